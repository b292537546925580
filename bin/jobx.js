#!/usr/bin/env node
// Launcher of the `jobx` CLI: jobx ships TypeScript sources, so register tsx, then load bin/jobx.ts.
import { register } from 'tsx/esm/api';

register();
await import('./jobx.ts');
