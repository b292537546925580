/**
 * `npm start`: runs the jobx local stack with the example providers until Ctrl-C.
 *
 * Switches: `--data DIR` keeps DynamoDB Local's data; `PORT` (default 3000); `JOBX_DUPLICATE_DELIVERY=1`;
 * `JOBX_SWEEP_SECONDS` (default 60).
 */
import { Command } from 'commander';
import { startLocalStack } from '../functions/local/stack';

const program = new Command()
  .name('jobx-local')
  .description('Run the jobx local stack (DynamoDB Local, SQS, event source mappings, sweeper, HTTP API) with the example providers')
  .option('--data <dir>', "keep DynamoDB Local's data in DIR (a restart continues every job)")
  .option('--port <port>', 'HTTP port (overrides PORT; default 3000)')
  .option('--verbose', 'print diagnostic lines of the local event source mappings')
  .parse();

const opts = program.opts<{ data?: string; port?: string; verbose?: boolean }>();
const port = Number(opts.port ?? process.env.PORT ?? 3000);
const sweepSeconds = Number(process.env.JOBX_SWEEP_SECONDS ?? 60);
const duplicateDelivery = process.env.JOBX_DUPLICATE_DELIVERY === '1';

if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid port: ${opts.port ?? process.env.PORT}`);
  process.exit(2);
}
if (!(sweepSeconds > 0)) {
  console.error(`invalid JOBX_SWEEP_SECONDS: ${process.env.JOBX_SWEEP_SECONDS}`);
  process.exit(2);
}

const started = Date.now();
console.log('starting jobx local stack…');
const stack = await startLocalStack({
  port,
  dataDir: opts.data ?? null,
  duplicateDelivery,
  sweepSeconds,
  ...(opts.verbose ? { log: (line: string) => console.log(`[local] ${line}`) } : {}),
});

console.log(`jobx local stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`  API:        ${stack.url}`);
console.log(`  data:       ${stack.dataDir ?? 'in memory (use --data DIR to keep it)'}`);
console.log(`  providers:  demo, flaky, delay`);
console.log(`  switches:   duplicateDelivery=${duplicateDelivery} sweepSeconds=${sweepSeconds}`);
console.log('');
console.log('Try it:');
console.log(
  `  curl -s -X POST '${stack.url}/jobs?wait=10' -H 'content-type: application/json' \\\n` +
    `    -d '{"name":"jober1","owner":"sqc","env":{"env":"test"},"tasks":[{"name":"task_1","provider":"demo"},{"name":"task_2","provider":"demo","input":{"all_config":"yes"}}]}'`,
);
console.log(`  curl -s ${stack.url}/jobs/<jobId>`);
console.log('');
console.log('Ctrl-C stops everything.');

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  stack
    .stop()
    .then(() => process.exit(0))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
