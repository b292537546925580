/**
 * `jobx-local`: the same as `jobx dev` (kept for scripts and tests that run `tsx bin/local.ts --port P --data DIR`).
 * See functions/cli/commands/dev.ts.
 */
import { runCli } from '../functions/cli/program';

const code = await runCli(['dev', ...process.argv.slice(2)], { stdout: process.stdout, stderr: process.stderr, env: process.env });
if (code !== 0) process.exitCode = code;
