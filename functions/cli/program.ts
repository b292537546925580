/**
 * The `jobx` command line: commander program and the runner that maps errors to output and exit codes.
 *
 * Exit codes: 0 success; 1 an API error (`error CODE: message` on stderr), a failed or discarded job, a bad spec
 * file; 2 a usage error (commander's message) or `wait` timing out.
 * @module
 */
import { Command, CommanderError } from '@commander-js/extra-typings';
import pkg from '../../package.json' with { type: 'json' };
import { DEFAULT_BASE_URL } from '../sdk/client';
import { JobxApiError } from '../sdk/errors';
import { registerControl } from './commands/control';
import { registerDev } from './commands/dev';
import { registerGet } from './commands/get';
import { registerLs } from './commands/ls';
import { registerSubmit } from './commands/submit';
import { registerWait } from './commands/wait';
import { registerWorker } from './commands/worker';
import { createContext, type CliContext } from './context';
import { CliError, CliExit, EXIT, type CliIo } from './io';

function baseProgram(io: CliIo) {
  return new Command()
    .name('jobx')
    .description('jobx: submit, follow and operate jobs of a jobx API (the local stack by default)')
    .version(pkg.version, '-v, --version')
    .option('--url <url>', `API base URL (default: $JOBX_URL or ${DEFAULT_BASE_URL})`)
    .option('--sigv4', 'sign requests with SigV4 (execute-api) using AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN; on by default for execute-api URLs when those are set')
    .option('--region <region>', 'region to sign for (default: from the execute-api URL, else $AWS_REGION)')
    .showHelpAfterError('(run jobx --help for usage)')
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  jobx dev                                  # the local stack on http://127.0.0.1:3000
  jobx submit -f job.yaml --wait 60         # submit and wait, showing tasks done/total
  jobx get <jobId>                          # the job as a tree
  jobx get <jobId> t2                       # every attempt of a task
  jobx ls --status failed
  jobx retry <jobId> t1 --input '{"fail":false}'
  jobx skip <jobId> t2 --reason 'done by hand'

Environment: JOBX_URL (API URL), JOBX_TOKEN (sent as a bearer token), NO_COLOR.`,
    );
}

/** The program type the command modules register on. */
export type Program = ReturnType<typeof baseProgram>;

/** Builds the `jobx` program over `io`; returns it with its context. */
export function createProgram(io: CliIo): { program: Program; ctx: CliContext } {
  const program = baseProgram(io);
  const ctx = createContext(io, () => program.opts());
  registerSubmit(program, ctx);
  registerGet(program, ctx);
  registerWait(program, ctx);
  registerLs(program, ctx);
  registerControl(program, ctx);
  registerDev(program, ctx);
  registerWorker(program, ctx);
  return { program, ctx };
}

/**
 * Runs the CLI with `argv` (without node and the script) and returns the exit code; never calls process.exit
 * (except `dev` on Ctrl-C).
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const { program, ctx } = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    return reportError(err, ctx);
  }
}

function reportError(err: unknown, ctx: CliContext): number {
  const c = ctx.errColors;
  if (err instanceof CommanderError) {
    // commander has printed its message (or the help / version) already.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT.ok;
    return EXIT.usage;
  }
  if (err instanceof CliExit) {
    if (err.message) ctx.err(err.message);
    return err.exitCode;
  }
  if (err instanceof JobxApiError) {
    const status = err.details?.status;
    const extra = err.code === 'INVALID_STATE' && typeof status === 'string' && !err.message.includes(status) ? ` (status: ${status})` : '';
    ctx.err(`${c.red(`error ${err.code}`)}: ${err.message}${extra}`);
    if (err.code === 'NETWORK_ERROR') ctx.err(c.dim('is the API running? start the local stack with `jobx dev`, or pass --url / set JOBX_URL'));
    return EXIT.failed;
  }
  if (err instanceof CliError) {
    ctx.err(`${c.red(`error ${err.code}`)}: ${err.message}`);
    return err.exitCode;
  }
  ctx.err(`${c.red('error INTERNAL')}: ${(err as Error)?.stack ?? String(err)}`);
  return EXIT.failed;
}
