/**
 * `npx tsx bench/measured-section.ts BENCH.json BUNDLES.json DATE MACHINE` prints the README's "Measured" section
 * from the last JSON line of `npm run bench -- --json` and the output of `npm run bundle-sizes -- --json`, so every
 * figure there comes from a run and none is typed by hand.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';

/** What this section reads of one scenario of the bench's JSON line. */
const scenarioSchema = z.object({
  usdPerMillionTasks: z.number(),
  byService: z.object({ dynamodb: z.number(), sqs: z.number(), scheduler: z.number(), eventbridge: z.number(), apiGateway: z.number(), apiLambda: z.number(), engineLambda: z.number() }),
  providerLambdaUsdPerMillionTasks: z.number(),
  perTask: z.object({
    ddbWriteUnits: z.number(),
    ddbWriteUnitsByKind: z.record(z.string(), z.number()),
    ddbReadUnits: z.number(),
    ddbRequests: z.number(),
    sqsRequests: z.number(),
    eventBridgeEvents: z.number(),
    apiGatewayRequests: z.number(),
    apiBilledMs: z.number(),
    waitBilledMs: z.number(),
    streamBilledMs: z.number(),
  }),
  tasksPerSecond: z.number(),
  p50Ms: z.number(),
  p95Ms: z.number(),
});

const ratioSchema = z.object({ fireAndForget: z.number(), submitAndWait: z.number() });

/** What this section reads of `npm run bench -- --json`. */
const benchSchema = z.object({
  jobs: z.number(),
  concurrency: z.number(),
  fireAndForget: scenarioSchema,
  submitAndWait: scenarioSchema,
  functionMemoryMb: z.object({ api: z.number(), wait: z.number(), stream: z.number(), provider: z.number() }),
  byWidth: z.array(
    z.object({
      children: z.number(),
      ddbWriteUnitsPerTask: z.number(),
      ddbWriteUnitsPerTaskByKind: z.record(z.string(), z.number()),
      usdPerMillionTasks: z.number(),
      stepFunctionsUsdPerMillionTasks: z.number(),
      lambdaDurableUsdPerMillionTasks: z.number(),
      hottestPartitionWriteShare: z.number(),
      wallMs: z.number(),
      tasksPerSecond: z.number(),
    }),
  ),
  ratios: z.object({ stepFunctionsToJobx: ratioSchema, lambdaDurableToJobx: ratioSchema }),
  fixedMonthlyUsd: z.object({
    eventSourceMappings: z.object({ queues: z.number(), usd: z.number() }),
    sweeper: z.object({ runsPerMonth: z.number(), billedMsPerRun: z.number(), ddbReadUnitsPerRun: z.number(), usd: z.number() }),
  }),
  stepFunctionsUsdPerMillionTasks: z.number(),
  lambdaDurableUsdPerMillionTasks: z.number(),
  lambdaDurableOperationsPerTask: z.number(),
  ddbWriteUnitsPerTask: z.number(),
  hottestPartitionWriteShare: z.number(),
  tasksPerSecond: z.number(),
  stepMsP50: z.number(),
  stepMsP95: z.number(),
  claimsPerSecond4Workers: z.number(),
  tokenHandOverP50Ms: z.number(),
  tokenHandOverP95Ms: z.number(),
});

/** What this section reads of `npm run bundle-sizes -- --json`. */
const sizesSchema = z.object({
  functions: z.array(z.object({ name: z.string(), bytes: z.number(), initMs: z.number() })).min(1),
  console: z.array(z.object({ file: z.string(), bytes: z.number(), gzipBytes: z.number() })),
});
type Width = z.infer<typeof benchSchema>['byWidth'][number];

const [benchFile, bundlesFile, date, machine] = process.argv.slice(2);
if (!benchFile || !bundlesFile || !date || !machine) throw new Error('usage: measured-section.ts BENCH.json BUNDLES.json DATE MACHINE');
const lastJsonLine = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).at(-1)!);
const b = benchSchema.parse(lastJsonLine(benchFile));
const text = readFileSync(bundlesFile, 'utf8');
const sizes = sizesSchema.parse(JSON.parse(text.slice(text.indexOf('{'))));

const ff = b.fireAndForget;
const sw = b.submitAndWait;
const p = ff.perTask;
const q = sw.perTask;
const mem = b.functionMemoryMb;
const byWidth = new Map<number, Width>(b.byWidth.map((w) => [w.children, w]));
const widths = [...byWidth.keys()].sort((x, y) => x - y);
const each = (f: (w: Width) => string) => widths.map((c) => f(byWidth.get(c)!)).join(' / ');
const usd = (x: number) => (x ? x.toFixed(4) : '0');
const kinds = (k: Record<string, number>) => Object.entries(k).map(([name, v]) => `${name} ${v}`).join(', ');
const widest = byWidth.get(widths.at(-1)!)!;
const fns = sizes.functions;
const api = fns.find((f) => f.name === 'ApiFunction') ?? fns[0]!;
const engine = fns.filter((f) => /^(Stream|Sweeper)Function$/.test(f.name));
const providers = fns.filter((f) => /Provider$/.test(f.name));
const kb = (n: number) => `${Math.round(n / 1000)} KB`;
const consoleJs = sizes.console.filter((f) => f.file.endsWith('.js'));
const r = b.ratios;
const fixed = b.fixedMonthlyUsd;

const out = `## Measured

\`npm run bench -- --json\` on the local stack, ${date}, ${machine}, DynamoDB Local in memory, nothing else running: one
100-task pipeline alone (per-step time), then ${b.jobs} pipelines of 3 \`demo\` tasks with ${b.concurrency} in flight in each
scenario (after 20 unmeasured warm-up pipelines), then one parent each of ${widths.map((c) => c.toLocaleString('en-US')).join(' / ')} children of 2
tasks, 4 external workers claiming 200 pinned tasks, 30 jobs handing one token over. \`bench/measured-section.ts\`
writes this section from that JSON line and \`npm run bundle-sizes -- --json\`.

| target (issue 12) | before (2026-11-30) | now | target |
|---|---|---|---|
| jobx's bill, fire-and-forget, USD per million tasks | 4.72 | **${ff.usdPerMillionTasks.toFixed(2)}** | ≤ 2.50 |
| jobx's bill, submit-and-wait | 8.31 | **${sw.usdPerMillionTasks.toFixed(2)}** | ≤ 4.00 |
| DynamoDB write units / task, 3-task pipelines | 4.00 | **${b.ddbWriteUnitsPerTask.toFixed(2)}** | ≤ 3 |
| DynamoDB write units / task, parents of ${widths.map((c) => c.toLocaleString('en-US')).join(' / ')} children | 3.60 / 3.37 / 3.36 (3-task children, to 1,000) | **${each((w) => w.ddbWriteUnitsPerTask.toFixed(2))}** (2-task children) | ≤ 3, flat |
| per-step time p50, 100-task pipeline, unloaded | ≈ 140 ms | **${b.stepMsP50} ms** (p95 ${b.stepMsP95} ms) | ≤ 40 ms |
| throughput, 3-task pipelines, ${b.concurrency} in flight | 37–73 tasks/s | **${b.tasksPerSecond} tasks/s** | ≥ 100 |
| a parent of ${widths.at(-1)!.toLocaleString('en-US')} children | not run | **finished** in ${Math.round(widest.wallMs / 1000)} s, ${widest.tasksPerSecond} tasks/s | finishes, flat cost |
| API bundle | 997 KB | **${kb(api.bytes)}** (module load ${api.initMs} ms) | ≤ 450 KB |
| stream, sweeper bundles | 495, 499 KB | **${engine.map((f) => kb(f.bytes)).join(', ')}** | ≤ 250 KB |
| provider bundles | 467 KB | **${kb(Math.min(...providers.map((f) => f.bytes)))}–${kb(Math.max(...providers.map((f) => f.bytes)))}** | ≤ 250 KB |
| hottest table partition key's share of write units | not counted | **${b.hottestPartitionWriteShare}** (pipelines), ${widest.hottestPartitionWriteShare} (${widths.at(-1)!.toLocaleString('en-US')}-child parent) | printed |

**What jobx costs, counted.** USD per million tasks at list prices (\`bench/prices.ts\`), per service:

| service | fire-and-forget | submit-and-wait |
|---|---|---|
| DynamoDB (${p.ddbWriteUnits} write units / task; ${p.ddbReadUnits} read units, ${q.ddbReadUnits} with a caller waiting; ${p.ddbRequests} requests / task) | ${usd(ff.byService.dynamodb)} | ${usd(sw.byService.dynamodb)} |
| SQS (${p.sqsRequests} / ${q.sqsRequests} requests / task: a continued pipeline sends one message per job) | ${usd(ff.byService.sqs)} | ${usd(sw.byService.sqs)} |
| EventBridge Scheduler (no retry delays in this workload) | ${usd(ff.byService.scheduler)} | ${usd(sw.byService.scheduler)} |
| EventBridge events (${p.eventBridgeEvents} / task: the lean default publishes a root job's end) | ${usd(ff.byService.eventbridge)} | ${usd(sw.byService.eventbridge)} |
| API Gateway HTTP API (${p.apiGatewayRequests} / ${q.apiGatewayRequests} requests / task) | ${usd(ff.byService.apiGateway)} | ${usd(sw.byService.apiGateway)} |
| API function ${mem.api} MB (${p.apiBilledMs} / ${q.apiBilledMs} billed ms / task), wait function ${mem.wait} MB (${q.waitBilledMs} ms / task with a caller waiting) | ${usd(ff.byService.apiLambda)} | ${usd(sw.byService.apiLambda)} |
| stream and sweeper functions, ${mem.stream} MB (${p.streamBilledMs} / ${q.streamBilledMs} ms / task) | ${usd(ff.byService.engineLambda)} | ${usd(sw.byService.engineLambda)} |
| **jobx total** | **${ff.usdPerMillionTasks.toFixed(4)}** | **${sw.usdPerMillionTasks.toFixed(4)}** |
| providers' own Lambda, ${mem.provider} MB (apart: the same on every side) | ${usd(ff.providerLambdaUsdPerMillionTasks)} | ${usd(sw.providerLambdaUsdPerMillionTasks)} |

The same workload on Step Functions Standard: **$${b.stepFunctionsUsdPerMillionTasks.toFixed(2)}** (one transition per state
entered) → ${r.stepFunctionsToJobx.fireAndForget}× jobx fire-and-forget, ${r.stepFunctionsToJobx.submitAndWait}× submit-and-wait; on Lambda durable functions:
**$${b.lambdaDurableUsdPerMillionTasks.toFixed(2)}** (${b.lambdaDurableOperationsPerTask} durable operations per task) → ${r.lambdaDurableToJobx.fireAndForget}× and ${r.lambdaDurableToJobx.submitAndWait}×. Parents of
${widths.map((c) => c.toLocaleString('en-US')).join(' / ')} children: jobx ${each((w) => `$${w.usdPerMillionTasks.toFixed(2)}`)}, Step Functions
${each((w) => `$${w.stepFunctionsUsdPerMillionTasks.toFixed(2)}`)}, durable functions ${each((w) => `$${w.lambdaDurableUsdPerMillionTasks.toFixed(2)}`)};
${each((w) => String(w.tasksPerSecond))} tasks/s. Fixed per month, whatever the load: $${fixed.eventSourceMappings.usd.toFixed(2)} of empty receives for
the event source mappings of ${fixed.eventSourceMappings.queues} provider queues (5 pollers each, 20 s long polls) and
$${fixed.sweeper.usd.toFixed(2)} for the idle sweeper (${fixed.sweeper.runsPerMonth.toLocaleString('en-US')} runs of about ${fixed.sweeper.billedMsPerRun} ms and ${fixed.sweeper.ddbReadUnitsPerRun} read units). Submit → finish
p50 ${ff.p50Ms} ms, p95 ${ff.p95Ms} ms with ${b.concurrency} jobs in flight; external workers ${b.claimsPerSecond4Workers} claims/s with 4 workers; token
hand-over p50 ${b.tokenHandOverP50Ms} ms, p95 ${b.tokenHandOverP95Ms} ms. The console's script: ${consoleJs.map((f) => `${(f.bytes / 1000).toFixed(1)} KB (${(f.gzipBytes / 1000).toFixed(1)} KB gzip)`).join(', ')}.

Where a 3-task pipeline's write units go, per task: ${kinds(p.ddbWriteUnitsByKind)} (T a task item, J the job, R its
result row, \`→ list\` its list index entry). A ${widths.at(-1)!.toLocaleString('en-US')}-child parent's, per task: ${kinds(widest.ddbWriteUnitsPerTaskByKind)} (C a
child job item, B a completion bucket).
`;
process.stdout.write(out);
