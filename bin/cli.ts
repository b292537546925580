/**
 * Entry of the published `jobx` command (`dist/cli.mjs`). Registers tsx first, for ESM and CommonJS both, so
 * that the user's own TypeScript files (`--providers ./my-providers.ts`, spec files) load as they do in this
 * repository, whether the user's project is ESM or CommonJS (a stock CDK app is CommonJS).
 */
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

registerCommonJs();
register();
const { runCli } = await import('../functions/cli/program');
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
