/**
 * Entry of the published `jobx` command (`dist/cli.mjs`). Registers tsx first, so that the user's own
 * TypeScript files (`--providers ./my-providers.ts`, spec files) load as they do in this repository.
 */
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../functions/cli/program');
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
