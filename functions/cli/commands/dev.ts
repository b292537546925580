/**
 * `jobx dev` (and `npm start`): runs the jobx local stack with the example providers until Ctrl-C.
 *
 * Switches: `--data DIR` keeps DynamoDB Local's data; `--port N` or `PORT` (default 3000);
 * `JOBX_DUPLICATE_DELIVERY=1`; `JOBX_SWEEP_SECONDS` (default 60).
 * @module
 */
import type { CliContext } from '../context';
import { CliError, EXIT } from '../io';
import type { Program } from '../program';

/** Options of {@link runDev}. */
export interface DevOptions {
  data?: string;
  port?: string;
  verbose?: boolean;
}

/**
 * A listen error on the API's own port as one line that says what to do; undefined for any other error (a port
 * DynamoDB Local or the SQS server picked is not the user's business).
 */
export function portError(err: unknown, port: number): CliError | undefined {
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (e?.port !== port) return undefined;
  if (e.code === 'EADDRINUSE') return new CliError('PORT_IN_USE', `port ${port} is in use: stop the other process or pass --port (or set PORT)`);
  if (e.code === 'EACCES') return new CliError('PORT_NOT_ALLOWED', `port ${port} needs privileges this process lacks: pass --port 1024 or above`);
  return undefined;
}

/**
 * Starts the local stack and keeps it running; SIGINT/SIGTERM stop everything (the JVM included) and exit.
 * Resolves once the stack is up (the open server keeps the process alive).
 */
export async function runDev(ctx: CliContext, opts: DevOptions): Promise<void> {
  const env = ctx.io.env;
  const port = Number(opts.port ?? env.PORT ?? 3000);
  const sweepSeconds = Number(env.JOBX_SWEEP_SECONDS ?? 60);
  const duplicateDelivery = env.JOBX_DUPLICATE_DELIVERY === '1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError('INVALID_PORT', `invalid port: ${opts.port ?? env.PORT}`, EXIT.usage);
  if (!(sweepSeconds > 0)) throw new CliError('INVALID_SWEEP_SECONDS', `invalid JOBX_SWEEP_SECONDS: ${env.JOBX_SWEEP_SECONDS}`, EXIT.usage);

  // Before the JVM starts: a busy port is known in a millisecond, not after DynamoDB Local has come up.
  if (port !== 0) {
    const { assertPortFree } = await import('../../local/free-port');
    await assertPortFree(port).catch((err: unknown) => {
      throw portError(err, port) ?? err;
    });
  }
  // Loaded here so that the other commands never load the AWS SDK, DynamoDB Local or the SQS server.
  const { startLocalStack } = await import('../../local/stack');
  const started = Date.now();
  ctx.out('starting jobx local stack…');
  const stack = await startLocalStack({
    port,
    dataDir: opts.data ?? null,
    duplicateDelivery,
    sweepSeconds,
    ...(opts.verbose ? { log: (line: string) => ctx.out(`[local] ${line}`) } : {}),
  }).catch((err: unknown) => {
    // Taken between the check and the gateway's listen: the same one line (the stack has stopped what it started).
    throw portError(err, port) ?? err;
  });

  ctx.out(`jobx local stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  ctx.out(`  API:        ${stack.url}`);
  ctx.out(`  data:       ${stack.dataDir ?? 'in memory (use --data DIR to keep it)'}`);
  ctx.out(`  providers:  demo, flaky, delay`);
  ctx.out(`  switches:   duplicateDelivery=${duplicateDelivery} sweepSeconds=${sweepSeconds}`);
  ctx.out('');
  ctx.out('Try it:');
  ctx.out(
    `  curl -s -X POST '${stack.url}/jobs?wait=10' -H 'content-type: application/json' \\\n` +
      `    -d '{"name":"jober1","owner":"sqc","env":{"env":"test"},"tasks":[{"name":"task_1","provider":"demo"},{"name":"task_2","provider":"demo","input":{"all_config":"yes"}}]}'`,
  );
  ctx.out(`  curl -s ${stack.url}/jobs/<jobId>`);
  ctx.out(`  JOBX_URL=${stack.url} npx jobx get <jobId>`);
  ctx.out('');
  ctx.out('Ctrl-C stops everything.');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    ctx.out(`\n${signal}: stopping…`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    stack
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        ctx.err(String((err as Error)?.stack ?? err));
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** Registers `dev`. */
export function registerDev(program: Program, ctx: CliContext): void {
  program
    .command('dev')
    .description('run the local stack (DynamoDB Local, SQS, event source mappings, sweeper, HTTP API) with the example providers until Ctrl-C')
    .option('--data <dir>', "keep DynamoDB Local's data in DIR (a restart continues every job)")
    .option('--port <port>', 'HTTP port (overrides PORT; default 3000)')
    .option('--verbose', 'print diagnostic lines of the local event source mappings')
    .addHelpText('after', '\nEnvironment: PORT, JOBX_DUPLICATE_DELIVERY=1 (deliver every record twice), JOBX_SWEEP_SECONDS (default 60)')
    .action(async (opts) => runDev(ctx, opts));
}
