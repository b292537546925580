/**
 * `jobx dev` (and `npm start`): runs the jobx local stack with the example providers, and the user's own
 * (`--providers ./my-providers.ts`, beside the examples or, with `--no-examples`, instead of them), until Ctrl-C.
 *
 * Switches: `--data DIR` keeps DynamoDB Local's data; `--port N` or `PORT` (default 3000);
 * `JOBX_DUPLICATE_DELIVERY=1`; `JOBX_SWEEP_SECONDS` (default 60); `JOBX_PUBLISH_EVENTS` (`all`, `none`, or event
 * types separated by commas; default the construct's lean default), the lifecycle events counted as published.
 * @module
 */
import type { CliContext } from '../context';
import { CliError, EXIT } from '../io';
import { formatEventSelection, parseEventSelection, type EventSelection } from '../../core/lifecycle-events';
import type { Program } from '../program';
import type { ProviderDefinition } from '../../providers/define-provider';

/** Options of {@link runDev}. */
export interface DevOptions {
  data?: string;
  port?: string;
  verbose?: boolean;
  /** Modules whose `defineProvider` exports run beside the examples (or instead of them, with `examples: false`). */
  providers?: string[];
  /** Run the example providers too. @default true */
  examples?: boolean;
}

/**
 * The providers the local stack runs: the examples (unless turned off) and the user's, a user's provider
 * replacing an example of the same name. Each user definition is wrapped again with this CLI's own
 * `defineProvider`, so it runs on the same engine whichever copy of jobx its module imported.
 */
export async function devProviders(files: readonly string[], examples: boolean): Promise<{ providers: ProviderDefinition[]; names: string[] }> {
  const [{ exampleProviders }, { loadProviders }, { defineProvider }] = await Promise.all([
    import('../../providers/examples/index'),
    import('./worker'),
    import('../../providers/define-provider'),
  ]);
  const byName = new Map<string, ProviderDefinition>();
  const labels = new Map<string, string>();
  if (examples) for (const p of exampleProviders) byName.set(p.name, p);
  for (const file of files) {
    for (const [name, loaded] of await loadProviders(file)) {
      byName.set(name, defineProvider(name, loaded.fn));
      labels.set(name, `${name} (${file})`);
    }
  }
  if (byName.size === 0) throw new CliError('NO_PROVIDERS', 'no providers to run: pass --providers FILE, or leave the examples on', EXIT.usage);
  return { providers: [...byName.values()], names: [...byName.keys()].map((n) => labels.get(n) ?? n) };
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
  let events: EventSelection;
  try {
    events = parseEventSelection(env.JOBX_PUBLISH_EVENTS);
  } catch (err) {
    throw new CliError('INVALID_PUBLISH_EVENTS', `invalid JOBX_PUBLISH_EVENTS: ${(err as Error).message}`, EXIT.usage);
  }

  // Before the JVM starts: a busy port is known in a millisecond, not after DynamoDB Local has come up.
  if (port !== 0) {
    const { assertPortFree } = await import('../../local/free-port');
    await assertPortFree(port).catch((err: unknown) => {
      throw portError(err, port) ?? err;
    });
  }
  // The user's modules load before the JVM starts: a typo in them is known at once.
  const { providers, names } = await devProviders(opts.providers ?? [], opts.examples !== false);
  // Loaded here so that the other commands never load the AWS SDK, DynamoDB Local or the SQS server.
  const { startLocalStack } = await import('../../local/stack');
  const started = Date.now();
  ctx.out('starting jobx local stack…');
  const stack = await startLocalStack({
    port,
    dataDir: opts.data ?? null,
    duplicateDelivery,
    sweepSeconds,
    providers,
    events,
    ...(opts.verbose ? { log: (line: string) => ctx.out(`[local] ${line}`) } : {}),
  }).catch((err: unknown) => {
    // Taken between the check and the gateway's listen: the same one line (the stack has stopped what it started).
    throw portError(err, port) ?? err;
  });

  ctx.out(`jobx local stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  ctx.out(`  API:        ${stack.url}`);
  ctx.out(`  console:    ${stack.url}/console`);
  ctx.out(`  data:       ${stack.dataDir ?? 'in memory (use --data DIR to keep it)'}`);
  ctx.out(`  providers:  ${names.join(', ')}`);
  ctx.out(`  switches:   duplicateDelivery=${duplicateDelivery} sweepSeconds=${sweepSeconds} publishEvents=${formatEventSelection(events)}`);
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
    .option('--providers <file...>', 'also run the providers a module exports (defineProvider definitions; .ts or .js)')
    .option('--no-examples', 'run only the providers of --providers, not the examples (demo, flaky, delay, callback)')
    .addHelpText('after', '\nEnvironment: PORT, JOBX_DUPLICATE_DELIVERY=1 (deliver every record twice), JOBX_SWEEP_SECONDS (default 60)')
    .action(async (opts) => runDev(ctx, opts));
}
