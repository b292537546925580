/**
 * `jobx`: the command line (`npx jobx --help`). `bin/jobx.js` registers tsx and imports this file.
 */
import { runCli } from '../functions/cli/program';

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
