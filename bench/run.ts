/**
 * `npm run bench [-- --json] [-- --jobs N] [-- --widths 10,100,1000]`
 *
 * Runs jobs on the local stack (in this process) and prints, counted by an SDK middleware on every client and by
 * the local event source mappings: DynamoDB read/write units, SQS requests, scheduler calls and handler
 * invocations per task, the list-price cost per million tasks (jobx vs Step Functions Standard), throughput and
 * submit-to-finish latency.
 */
import { TASK_TOKEN_HEADER } from '../functions/core/task-token';
import { Command } from 'commander';
import { resetUsage, snapshotUsage, type UsageTotals } from '../functions/adapters/usage';
import { startLocalStack, type InvocationCounts, type LocalStack } from '../functions/local/stack';
import { ENGINE_MEMORY_GB, PRICES } from './prices';

const program = new Command()
  .option('--json', 'print one JSON line')
  .option('--jobs <n>', 'pipelines of 3 tasks to run', '200')
  .option('--widths <list>', 'children per parent for the width sweep', '10,100,1000')
  .option('--concurrency <n>', 'jobs in flight at once', '50')
  .parse();
const opts = program.opts<{ json?: boolean; jobs: string; widths: string; concurrency: string }>();
const jsonOut = opts.json === true;
const progress = (msg: string) => process.stderr.write(`${msg}\n`);

process.env.JOBX_COUNT_CAPACITY = '1';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

interface PhaseFigures {
  tasks: number;
  jobs: number;
  wallMs: number;
  latenciesMs: number[];
  usage: UsageTotals;
  invocations: InvocationCounts;
  apiRequests: number;
  stepFunctionsTransitions: number;
}

async function post(url: string, body: unknown): Promise<{ jobId: string }> {
  const res = await fetch(`${url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`submit failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { jobId: string };
}

async function waitFinished(url: string, jobId: string): Promise<number> {
  for (;;) {
    const res = await fetch(`${url}/jobs/${jobId}/result?wait=25`);
    if (res.status === 200) {
      const body = (await res.json()) as { status: string };
      if (body.status !== 'succeeded') throw new Error(`job ${jobId} ${body.status}`);
      return Date.now();
    }
    await res.text();
  }
}

async function waitIdle(stack: LocalStack): Promise<void> {
  // Quiet for a while: the last records (result rows, deactivation) drain after the result is visible.
  let quiet = 0;
  while (quiet < 5) {
    await new Promise((r) => setTimeout(r, 100));
    quiet = stack.idle() ? quiet + 1 : 0;
  }
}

function pipeline(i: number) {
  return { name: `bench-${i}`, owner: 'bench', tasks: ['a', 'b', 'c'].map((n) => ({ name: n, provider: 'demo', input: { [n]: i } })) };
}

async function phase(stack: LocalStack, specs: object[], tasks: number, transitions: number, concurrency: number): Promise<PhaseFigures> {
  const before = { ...stack.invocations };
  resetUsage();
  const latencies: number[] = [];
  const started = Date.now();
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, specs.length) }, async () => {
      while (next < specs.length) {
        const spec = specs[next++]!;
        const t0 = Date.now();
        const { jobId } = await post(stack.url, spec);
        const t1 = await waitFinished(stack.url, jobId);
        latencies.push(t1 - t0);
        if (++done % 50 === 0) progress(`  ${done}/${specs.length} jobs finished`);
      }
    }),
  );
  const wallMs = Date.now() - started;
  await waitIdle(stack);
  const inv = stack.invocations;
  return {
    tasks,
    jobs: specs.length,
    wallMs,
    latenciesMs: latencies.sort((a, b) => a - b),
    usage: snapshotUsage(),
    invocations: {
      stream: inv.stream - before.stream,
      providers: inv.providers - before.providers,
      api: inv.api - before.api,
      sweeper: inv.sweeper - before.sweeper,
      engineMs: inv.engineMs - before.engineMs,
    },
    apiRequests: specs.length,
    stepFunctionsTransitions: transitions,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function costPerTask(f: PhaseFigures) {
  const u = f.usage;
  const engineLambda = (f.invocations.stream + f.invocations.sweeper) * PRICES.lambdaRequest + (f.invocations.engineMs / 1000) * ENGINE_MEMORY_GB * PRICES.lambdaGbSecond;
  const jobx =
    u.ddbWriteUnits * PRICES.ddbWriteUnit +
    u.ddbReadUnits * PRICES.ddbReadUnit +
    u.sqsRequests * PRICES.sqsRequest +
    u.schedulerRequests * PRICES.schedulerInvocation +
    f.apiRequests * PRICES.httpApiRequest +
    engineLambda;
  const providerLambda = f.invocations.providers * PRICES.lambdaRequest;
  const sfn = f.stepFunctionsTransitions * PRICES.stepFunctionsTransition;
  return { jobx: jobx / f.tasks, sfn: sfn / f.tasks, provider: providerLambda / f.tasks };
}

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Claims per second of `workers` concurrent external workers (each claims, then reports success). */
async function claimThroughput(url: string, tasks: number, workers: number): Promise<number> {
  const children = Array.from({ length: tasks }, (_, i) => ({ name: `w${i}`, owner: 'bench', tasks: [{ name: 't', provider: 'demo' }] }));
  const { jobId } = await post(url, { name: 'claims', owner: 'bench', preLock: 'bench-worker', children });
  // Let the offers land before the clock starts: the figure is the claim path, not the dispatch.
  await new Promise((r) => setTimeout(r, 3000));
  let claimed = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (claimed < tasks) {
        const res = await call(url, 'POST', '/workers/bench-worker/claim?wait=2');
        if (res.status === 204) continue;
        claimed++;
        // The task token travels in its header, never in the path (issue 10).
        const done = await call(url, 'POST', '/task-tokens/success', { output: {} }, { [TASK_TOKEN_HEADER]: res.body.taskToken });
        if (done.status !== 200) throw new Error(`success by task token answered ${done.status}: ${JSON.stringify(done.body)}`);
      }
    }),
  );
  const rate = tasks / ((Date.now() - started) / 1000);
  await waitFinished(url, jobId);
  return round(rate, 1);
}

/** Latency from one token holder's end to the next holder's start. */
async function tokenHandOver(url: string, jobs: number): Promise<{ p50: number; p95: number }> {
  const token = `bench-${Date.now()}`;
  const ids: string[] = [];
  for (let i = 0; i < jobs; i++) ids.push((await post(url, { name: `h${i}`, owner: 'bench', tokens: [token], tasks: [{ name: 't', provider: 'demo' }] })).jobId);
  for (const id of ids) await waitFinished(url, id);
  const runs = await Promise.all(
    ids.map(async (id) => {
      const job = (await call(url, 'GET', `/jobs/${id}`)).body;
      return { start: Date.parse(job.tasks[0] && (await call(url, 'GET', `/jobs/${id}/tasks/t1`)).body.attempts[0].startedAt), end: Date.parse(job.updatedAt) };
    }),
  );
  const gaps = runs.slice(1).map((r, i) => r.start - runs[i]!.end).sort((a, b) => a - b);
  return { p50: percentile(gaps, 50), p95: percentile(gaps, 95) };
}

const stack = await startLocalStack({ port: 0, sweepSeconds: 60 });
try {
  const jobs = Number(opts.jobs);
  const concurrency = Number(opts.concurrency);
  progress(`pipelines: ${jobs} jobs × 3 tasks`);
  // Step Functions Standard: one transition per task attempt, plus job start and end.
  const main = await phase(stack, Array.from({ length: jobs }, (_, i) => pipeline(i)), jobs * 3, jobs * (3 + 2), concurrency);

  const byWidth: Array<{ children: number; tasks: number; ddbWriteUnitsPerTask: number; ddbReadUnitsPerTask: number; sqsRequestsPerTask: number; wallMs: number; tasksPerSecond: number }> = [];
  for (const width of opts.widths.split(',').map(Number).filter((n) => n > 0)) {
    progress(`parent with ${width} children × 3 tasks`);
    const spec = { name: `wide-${width}`, owner: 'bench', children: Array.from({ length: width }, (_, i) => pipeline(i)) };
    // a Map state: start/end of the parent, start/end per child, one per task
    const f = await phase(stack, [spec], width * 3, 2 + width * (2 + 3), 1);
    byWidth.push({
      children: width,
      tasks: f.tasks,
      ddbWriteUnitsPerTask: round(f.usage.ddbWriteUnits / f.tasks),
      ddbReadUnitsPerTask: round(f.usage.ddbReadUnits / f.tasks),
      sqsRequestsPerTask: round(f.usage.sqsRequests / f.tasks),
      wallMs: f.wallMs,
      tasksPerSecond: round(f.tasks / (f.wallMs / 1000), 1),
    });
  }

  progress('external workers: 4 workers claiming 200 pinned tasks');
  const claims = await claimThroughput(stack.url, 200, 4);
  progress('token hand-over: 30 jobs sharing one token');
  const handOver = await tokenHandOver(stack.url, 30);

  const cost = costPerTask(main);
  const figures = {
    jobs,
    tasks: main.tasks,
    ddbWriteUnitsPerTask: round(main.usage.ddbWriteUnits / main.tasks),
    ddbReadUnitsPerTask: round(main.usage.ddbReadUnits / main.tasks),
    sqsRequestsPerTask: round(main.usage.sqsRequests / main.tasks),
    schedulerCallsPerTask: round(main.usage.schedulerRequests / main.tasks),
    streamInvocationsPerTask: round(main.invocations.stream / main.tasks),
    providerInvocationsPerTask: round(main.invocations.providers / main.tasks),
    apiInvocationsPerTask: round(main.invocations.api / main.tasks),
    costPerMillionTasksUsd: round(cost.jobx * 1e6, 2),
    stepFunctionsCostPerMillionTasksUsd: round(cost.sfn * 1e6, 2),
    stepFunctionsToJobxRatio: round(cost.sfn / cost.jobx, 1),
    providerLambdaRequestsCostPerMillionTasksUsd: round(cost.provider * 1e6, 2),
    tasksPerSecond: round(main.tasks / (main.wallMs / 1000), 1),
    p50Ms: percentile(main.latenciesMs, 50),
    p95Ms: percentile(main.latenciesMs, 95),
    byWidth,
    claimsPerSecond4Workers: claims,
    tokenHandOverP50Ms: handOver.p50,
    tokenHandOverP95Ms: handOver.p95,
    byOperation: main.usage.byOperation,
  };
  if (jsonOut) console.log(JSON.stringify(figures));
  else {
    console.log(`\njobx bench (local stack, ${jobs} pipelines × 3 demo tasks, ${concurrency} in flight)`);
    console.log(`  DynamoDB write units / task   ${figures.ddbWriteUnitsPerTask}   (target ≤ 4)`);
    console.log(`  DynamoDB read units / task    ${figures.ddbReadUnitsPerTask}`);
    console.log(`  SQS requests / task           ${figures.sqsRequestsPerTask}   (target ≤ 3)`);
    console.log(`  scheduler calls / task        ${figures.schedulerCallsPerTask}`);
    console.log(`  invocations / task            stream ${figures.streamInvocationsPerTask}, provider ${figures.providerInvocationsPerTask}, api ${figures.apiInvocationsPerTask}`);
    console.log(`  cost / million tasks          jobx $${figures.costPerMillionTasksUsd} vs Step Functions Standard $${figures.stepFunctionsCostPerMillionTasksUsd} (×${figures.stepFunctionsToJobxRatio}); provider Lambda requests $${figures.providerLambdaRequestsCostPerMillionTasksUsd} on both sides`);
    console.log(`  throughput                    ${figures.tasksPerSecond} tasks/s`);
    console.log(`  submit→finish latency         p50 ${figures.p50Ms} ms, p95 ${figures.p95Ms} ms`);
    console.log('  by width (parent of N children × 3 tasks):');
    for (const w of byWidth) console.log(`    ${String(w.children).padStart(5)} children: ${w.ddbWriteUnitsPerTask} WRU/task, ${w.ddbReadUnitsPerTask} RRU/task, ${w.sqsRequestsPerTask} SQS/task, ${w.tasksPerSecond} tasks/s`);
    console.log(`  external workers              ${figures.claimsPerSecond4Workers} claims/s (4 workers, claim + success each)`);
    console.log(`  token hand-over latency       p50 ${figures.tokenHandOverP50Ms} ms, p95 ${figures.tokenHandOverP95Ms} ms (holder ends → next holder starts)`);
  }
} finally {
  await stack.stop();
}
process.exit(0);
