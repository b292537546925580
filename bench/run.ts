/**
 * `npm run bench [-- --json] [-- --jobs N] [-- --widths 10,100,1000,10000] [-- --concurrency N]`
 *
 * Runs jobs on the local stack (in this process) and counts every billable request jobx makes, as AWS would bill
 * it: DynamoDB read and write units (refused conditional writes included) by an SDK middleware on every client,
 * SQS requests and Lambda invocations by the local event source mappings, the API's requests and billed time by
 * the local gateway, EventBridge events by the local publisher (which publishes nothing), Scheduler invocations
 * by the local timers. `bench/cost-model.ts` prices them with `bench/prices.ts` (the one price table), for two
 * scenarios: fire-and-forget (submit; the bench learns of the end from the result table, unbilled) and
 * submit-and-wait (the caller long-polls `GET /jobs/{id}/result?wait=25`, every call counted). Beside it, the
 * same workload as Step Functions Standard and as Lambda durable functions, from the attempts and results the
 * tasks really had; the providers' own Lambda cost is shown apart.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Command } from 'commander';
import { TASK_TOKEN_HEADER } from '../functions/core/task-token';
import { resetUsage, snapshotUsage, type UsageTotals } from '../functions/adapters/usage';
import { ENV } from '../functions/runtime/env-names';
import { startLocalStack, type InvocationCounts, type LocalStack } from '../functions/local/stack';
import {
  SERVICES,
  durableDataBytes,
  durableOperations,
  idleMappingsUsdPerMonth,
  jobxCost,
  lambdaDurableUsdPerMillionTasks,
  roundUsd,
  stepFunctionsTransitions,
  stepFunctionsUsdPerMillionTasks,
  sweeperUsdPerMonth,
  type CountedUsage,
  type WorkflowRun,
} from './cost-model';
import { FUNCTION_MEMORY_MB, MINUTES_PER_MONTH, SWEEPER_RATE_MINUTES } from './prices';

const program = new Command()
  .option('--json', 'print one JSON line')
  .option('--jobs <n>', 'pipelines of 3 tasks to run in each scenario', '200')
  .option('--widths <list>', 'children per parent for the width sweep', '10,100,1000,10000')
  .option('--concurrency <n>', 'jobs in flight at once', '50')
  .option('--step-only', 'measure only the per-step time of one 100-task pipeline (stepMsP50) and stop')
  .parse();
const opts = program.opts<{ json?: boolean; jobs: string; widths: string; concurrency: string; stepOnly?: boolean }>();
const jsonOut = opts.json === true;
const progress = (msg: string) => process.stderr.write(`${msg}\n`);

process.env.JOBX_COUNT_CAPACITY = '1';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

type Mode = 'fire-and-forget' | 'submit-and-wait';

interface PhaseFigures {
  mode: Mode;
  tasks: number;
  jobs: number;
  wallMs: number;
  latenciesMs: number[];
  usage: UsageTotals;
  invocations: InvocationCounts;
  /** The jobs as they ran (attempts, result bytes, children), read back from the table after the phase. */
  runs: WorkflowRun[];
}

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function post(url: string, body: unknown): Promise<{ jobId: string }> {
  const res = await fetch(`${url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`submit failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { jobId: string };
}

async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The caller of submit-and-wait: long-polls the result through the API until the job has one (every call billed). */
async function waitThroughApi(url: string, jobId: string): Promise<number> {
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

/**
 * Tables read by the bench itself, never through the API nor through an instrumented client: what it reads here
 * is not jobx's bill (on AWS nobody would be reading).
 */
function benchReader() {
  // The SDK picks the local endpoint and credentials from the environment the local stack set.
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 8 }));
  const jobsTable = process.env[ENV.jobsTable]!;
  const resultsTable = process.env[ENV.resultsTable]!;

  /** Every item of a partition whose sort key starts with `prefix`. */
  async function partition(pk: string, prefix: string): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await doc.send(
        new QueryCommand({ TableName: jobsTable, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': pk, ':p': prefix }, ExclusiveStartKey: start }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** A job as it ran: its tasks' attempts and the bytes of their results and errors, its children's too. */
  async function run(jobId: string): Promise<WorkflowRun> {
    const [tasks, children] = await Promise.all([partition(`J#${jobId}`, 'T#'), partition(`J#${jobId}`, 'C#')]);
    let attempts = 0;
    let resultBytes = 0;
    for (const task of tasks) {
      for (const a of (task.attempts ?? []) as Array<{ output?: unknown; error?: unknown }>) {
        attempts++;
        const result = a.output ?? a.error;
        if (result !== undefined) resultBytes += Buffer.byteLength(JSON.stringify(result));
      }
    }
    const out: WorkflowRun = { attempts, resultBytes };
    if (children.length > 0) out.children = await mapLimited(children, 8, (c) => run(String(c.jobId)));
    return out;
  }

  /**
   * Resolves each job's promise when its result row says it ended, polling the result table in batches (a
   * hundred keys a request, a few requests a second), so the figures of fire-and-forget carry no waiting caller.
   */
  function watcher() {
    const pending = new Map<string, { started: number; resolve: (at: number) => void; reject: (err: Error) => void }>();
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const ids = [...pending.keys()];
        for (let i = 0; i < ids.length; i += 100) {
          const keys = ids.slice(i, i + 100).map((jobId) => ({ jobId }));
          let request: Record<string, { Keys: Array<Record<string, unknown>> }> | undefined = { [resultsTable]: { Keys: keys } };
          while (request && Object.keys(request).length > 0) {
            const out = await doc.send(new BatchGetCommand({ RequestItems: request }));
            for (const item of out.Responses?.[resultsTable] ?? []) {
              const waiter = pending.get(String(item.jobId));
              if (!waiter || item.status === 'running') continue;
              pending.delete(String(item.jobId));
              if (item.status === 'succeeded') waiter.resolve(Date.now());
              else waiter.reject(new Error(`job ${String(item.jobId)} ${String(item.status)}`));
            }
            request = out.UnprocessedKeys as typeof request;
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    return {
      wait: (jobId: string) => new Promise<number>((resolve, reject) => pending.set(jobId, { started: Date.now(), resolve, reject })),
      stop: async () => {
        stopped = true;
        await loop;
      },
    };
  }

  /** When each task of a pipeline started its first attempt and the last one ended (ms since epoch), in task order. */
  async function taskTimes(jobId: string): Promise<{ starts: number[]; lastEnd: number }> {
    const tasks = (await partition(`J#${jobId}`, 'T#')).sort((a, b) => Number(a.taskIndex) - Number(b.taskIndex));
    const attempts = tasks.map((t) => ((t.attempts ?? []) as Array<{ startedAt: string; endedAt?: string }>)[0]!);
    return { starts: attempts.map((a) => Date.parse(a.startedAt)), lastEnd: Date.parse(attempts[attempts.length - 1]?.endedAt ?? '') };
  }

  return { run, watcher, taskTimes };
}

/**
 * Per-step time of a pipeline on the unloaded stack: one pipeline of `steps` no-op `demo` tasks, the median of the
 * gaps between consecutive tasks' starts (and, beside it, (last end − first start) / (steps − 1)).
 */
async function stepTime(stack: LocalStack, steps: number): Promise<{ p50: number; p95: number; meanMs: number }> {
  await waitIdle(stack);
  const spec = { name: `steps-${steps}`, owner: 'bench', tasks: Array.from({ length: steps }, (_, i) => ({ name: `s${i + 1}`, provider: 'demo' })) };
  const { jobId } = await post(stack.url, spec);
  await waitThroughApi(stack.url, jobId);
  const { starts, lastEnd } = await reader().taskTimes(jobId);
  const gaps = starts.slice(1).map((t, i) => t - starts[i]!).sort((a, b) => a - b);
  return { p50: percentile(gaps, 50), p95: percentile(gaps, 95), meanMs: round((lastEnd - starts[0]!) / (steps - 1), 1) };
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

async function waitIdle(stack: LocalStack): Promise<void> {
  // Quiet for a while: the last records (result rows, deactivation) drain after the result is visible.
  let quiet = 0;
  while (quiet < 5) {
    await new Promise((r) => setTimeout(r, 100));
    quiet = stack.idle() ? quiet + 1 : 0;
  }
}

function copyInvocations(i: InvocationCounts): InvocationCounts {
  return { ...i, billedMs: { ...i.billedMs } };
}

function invocationsSince(before: InvocationCounts, now: InvocationCounts): InvocationCounts {
  return {
    stream: now.stream - before.stream,
    providers: now.providers - before.providers,
    api: now.api - before.api,
    wait: now.wait - before.wait,
    sweeper: now.sweeper - before.sweeper,
    engineMs: now.engineMs - before.engineMs,
    billedMs: {
      stream: now.billedMs.stream - before.billedMs.stream,
      sweeper: now.billedMs.sweeper - before.billedMs.sweeper,
      api: now.billedMs.api - before.billedMs.api,
      wait: now.billedMs.wait - before.billedMs.wait,
      providers: now.billedMs.providers - before.billedMs.providers,
    },
    apiGatewayRequests: now.apiGatewayRequests - before.apiGatewayRequests,
  };
}

function pipeline(i: number) {
  return { name: `bench-${i}`, owner: 'bench', tasks: ['a', 'b', 'c'].map((n) => ({ name: n, provider: 'demo', input: { [n]: i } })) };
}

/**
 * Tasks of each child in the width sweep. Children are as small as a spec can be (2 tasks, no input), the same at
 * every width: a parent of 10,000 children of 3 tasks with inputs would exceed the API's 1 MiB request limit.
 */
const CHILD_TASKS = 2;

function child(i: number) {
  return { name: `c${i}`, owner: 'b', tasks: ['a', 'b'].slice(0, CHILD_TASKS).map((n) => ({ name: n, provider: 'demo' })) };
}

const reader = () => (readerInstance ??= benchReader());
let readerInstance: ReturnType<typeof benchReader> | undefined;

async function phase(stack: LocalStack, mode: Mode, specs: object[], tasks: number, concurrency: number): Promise<PhaseFigures> {
  await waitIdle(stack);
  const before = copyInvocations(stack.invocations);
  resetUsage();
  const watcher = mode === 'fire-and-forget' ? reader().watcher() : undefined;
  const latencies: number[] = [];
  const jobIds: string[] = [];
  const started = Date.now();
  let next = 0;
  let done = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, specs.length) }, async () => {
        while (next < specs.length) {
          const spec = specs[next++]!;
          const t0 = Date.now();
          const { jobId } = await post(stack.url, spec);
          jobIds.push(jobId);
          const t1 = watcher ? await watcher.wait(jobId) : await waitThroughApi(stack.url, jobId);
          latencies.push(t1 - t0);
          if (++done % 50 === 0) progress(`  ${done}/${specs.length} jobs finished`);
        }
      }),
    );
  } finally {
    await watcher?.stop();
  }
  const wallMs = Date.now() - started;
  await waitIdle(stack);
  const figures = { usage: snapshotUsage(), invocations: invocationsSince(before, stack.invocations) };
  const runs = await mapLimited(jobIds, 8, (id) => reader().run(id));
  return { mode, tasks, jobs: specs.length, wallMs, latenciesMs: latencies.sort((a, b) => a - b), ...figures, runs };
}

/** What a phase used, in the cost model's terms. */
function countedOf(f: { tasks: number; usage: UsageTotals; invocations: InvocationCounts }): CountedUsage {
  const { usage: u, invocations: i } = f;
  return {
    tasks: f.tasks,
    ddbReadUnits: u.ddbReadUnits,
    ddbWriteUnits: u.ddbWriteUnits,
    sqsRequests: u.sqsRequests,
    schedulerInvocations: u.schedulerInvocations,
    eventBridgeEvents: u.eventBridgeEvents,
    apiGatewayRequests: i.apiGatewayRequests,
    api: { invocations: i.api, billedMs: i.billedMs.api },
    wait: { invocations: i.wait, billedMs: i.billedMs.wait },
    stream: { invocations: i.stream, billedMs: i.billedMs.stream },
    sweeper: { invocations: i.sweeper, billedMs: i.billedMs.sweeper },
    providers: { invocations: i.providers, billedMs: i.billedMs.providers },
  };
}

/** The single partition key that took the most table write units, and its share of all write units. */
function hottestPartition(u: UsageTotals): { key: string; share: number } {
  let key = '';
  let units = 0;
  for (const [k, v] of Object.entries(u.ddbWriteUnitsByPartition)) if (v > units) [key, units] = [k, v];
  return { key, share: u.ddbWriteUnits > 0 ? round(units / u.ddbWriteUnits, 4) : 0 };
}

function scenario(f: PhaseFigures) {
  const cost = jobxCost(countedOf(f));
  const per = (n: number) => round(n / f.tasks);
  const i = f.invocations;
  return {
    usdPerMillionTasks: cost.usdPerMillionTasks,
    byService: cost.byService,
    providerLambdaUsdPerMillionTasks: cost.providerLambdaUsdPerMillionTasks,
    perTask: {
      ddbWriteUnits: per(f.usage.ddbWriteUnits),
      ddbFailedWriteUnits: per(f.usage.ddbFailedWriteUnits),
      // Which writes the units go to (see UsageTotals.ddbWriteUnitsByKind), so a cut can be aimed.
      ddbWriteUnitsByKind: Object.fromEntries(Object.entries(f.usage.ddbWriteUnitsByKind).sort(([, a], [, b]) => b - a).map(([k, v]) => [k, per(v)])),
      ddbReadUnits: per(f.usage.ddbReadUnits),
      // Requests are not billed on demand (units are), but each is work for DynamoDB: the throughput lever.
      ddbRequests: per(f.usage.ddbRequests),
      sqsRequests: per(f.usage.sqsRequests),
      schedulerInvocations: per(f.usage.schedulerInvocations),
      eventBridgeEvents: per(f.usage.eventBridgeEvents),
      apiGatewayRequests: per(i.apiGatewayRequests),
      apiInvocations: per(i.api),
      apiBilledMs: per(i.billedMs.api),
      waitInvocations: per(i.wait),
      waitBilledMs: per(i.billedMs.wait),
      streamInvocations: per(i.stream),
      streamBilledMs: per(i.billedMs.stream),
      sweeperInvocations: per(i.sweeper),
      providerInvocations: per(i.providers),
      providerBilledMs: per(i.billedMs.providers),
    },
    tasksPerSecond: round(f.tasks / (f.wallMs / 1000), 1),
    p50Ms: percentile(f.latenciesMs, 50),
    p95Ms: percentile(f.latenciesMs, 95),
  };
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
  await waitThroughApi(url, jobId);
  return round(rate, 1);
}

/** Latency from one token holder's end to the next holder's start. */
async function tokenHandOver(url: string, jobs: number): Promise<{ p50: number; p95: number }> {
  const token = `bench-${Date.now()}`;
  const ids: string[] = [];
  for (let i = 0; i < jobs; i++) ids.push((await post(url, { name: `h${i}`, owner: 'bench', tokens: [token], tasks: [{ name: 't', provider: 'demo' }] })).jobId);
  for (const id of ids) await waitThroughApi(url, id);
  const runs = await Promise.all(
    ids.map(async (id) => {
      const job = (await call(url, 'GET', `/jobs/${id}`)).body;
      return { start: Date.parse(job.tasks[0] && (await call(url, 'GET', `/jobs/${id}/tasks/t1`)).body.attempts[0].startedAt), end: Date.parse(job.updatedAt) };
    }),
  );
  const gaps = runs.slice(1).map((r, i) => r.start - runs[i]!.end).sort((a, b) => a - b);
  return { p50: percentile(gaps, 50), p95: percentile(gaps, 95) };
}

/** The sweeper's cost on an idle deployment, per month (it runs every minute whatever the load). */
async function idleSweeperPerMonth(stack: LocalStack, sweeps: number): Promise<{ usd: number; billedMsPerRun: number; ddbReadUnitsPerRun: number }> {
  await waitIdle(stack);
  const before = copyInvocations(stack.invocations);
  resetUsage();
  for (let i = 0; i < sweeps; i++) await stack.sweep();
  const f = { tasks: sweeps, usage: snapshotUsage(), invocations: invocationsSince(before, stack.invocations) };
  // Only the sweeps' own requests: nothing else runs on an idle stack (the mappings' empty receives are apart).
  const runs = countedOf(f);
  runs.api = { invocations: 0, billedMs: 0 };
  runs.wait = { invocations: 0, billedMs: 0 };
  runs.apiGatewayRequests = 0;
  return { usd: sweeperUsdPerMonth(runs, sweeps), billedMsPerRun: round(runs.sweeper.billedMs / sweeps, 1), ddbReadUnitsPerRun: round(runs.ddbReadUnits / sweeps, 2) };
}

const stack = await startLocalStack({ port: 0, sweepSeconds: SWEEPER_RATE_MINUTES * 60 });
try {
  const jobs = Number(opts.jobs);
  const concurrency = Number(opts.concurrency);
  const specs = () => Array.from({ length: jobs }, (_, i) => pipeline(i));

  // The sweeper's fixed cost, on the stack before any job: an idle deployment's sweeps find no recent roots (its
  // watermark has passed them all) and no active ones; measured after the load, they would still be re-reading the
  // bench's own roots of the last minutes (core/recent-roots.ts), which is per-root cost, counted with the jobs.
  progress('sweeper on the idle stack: 3 runs');
  const sweeper = await idleSweeperPerMonth(stack, 3);

  // First, on the unloaded stack (after one job that loads the handlers): how long one step of a pipeline takes.
  progress('per-step time: one pipeline of 100 demo tasks, unloaded');
  await phase(stack, 'submit-and-wait', [pipeline(0)], 3, 1);
  const step = await stepTime(stack, 100);
  progress(`  per step: p50 ${step.p50} ms, p95 ${step.p95} ms, (last end − first start) / 99 = ${step.meanMs} ms`);
  if (opts.stepOnly) {
    if (jsonOut) console.log(JSON.stringify({ stepMsP50: step.p50, stepMsP95: step.p95, stepMsMean: step.meanMs }));
    await stack.stop();
    process.exit(0);
  }

  // Not measured: the first requests load and compile the handlers (a cold start each Lambda instance pays once).
  progress('warm-up: 20 pipelines, not measured');
  await phase(stack, 'submit-and-wait', Array.from({ length: 20 }, (_, i) => pipeline(i)), 60, 10);
  progress(`fire-and-forget: ${jobs} pipelines × 3 tasks, ${concurrency} in flight`);
  const ff = await phase(stack, 'fire-and-forget', specs(), jobs * 3, concurrency);
  progress(`submit-and-wait: ${jobs} pipelines × 3 tasks, ${concurrency} in flight, each caller long-polling its result`);
  const sw = await phase(stack, 'submit-and-wait', specs(), jobs * 3, concurrency);

  const byWidth = [];
  for (const width of opts.widths.split(',').map(Number).filter((n) => n > 0)) {
    progress(`parent with ${width} children × ${CHILD_TASKS} tasks (fire-and-forget)`);
    const spec = { name: `wide-${width}`, owner: 'bench', children: Array.from({ length: width }, (_, i) => child(i)) };
    const f = await phase(stack, 'fire-and-forget', [spec], width * CHILD_TASKS, 1);
    const hot = hottestPartition(f.usage);
    byWidth.push({
      children: width,
      tasks: f.tasks,
      ddbWriteUnitsPerTask: round(f.usage.ddbWriteUnits / f.tasks),
      ddbWriteUnitsPerTaskByKind: Object.fromEntries(Object.entries(f.usage.ddbWriteUnitsByKind).sort(([, a], [, b]) => b - a).map(([k, v]) => [k, round(v / f.tasks)])),
      ddbReadUnitsPerTask: round(f.usage.ddbReadUnits / f.tasks),
      sqsRequestsPerTask: round(f.usage.sqsRequests / f.tasks),
      usdPerMillionTasks: jobxCost(countedOf(f)).usdPerMillionTasks,
      stepFunctionsUsdPerMillionTasks: stepFunctionsUsdPerMillionTasks(f.runs, f.tasks),
      lambdaDurableUsdPerMillionTasks: lambdaDurableUsdPerMillionTasks(f.runs, f.tasks),
      hottestPartitionWriteShare: hot.share,
      hottestPartition: hot.key,
      wallMs: f.wallMs,
      tasksPerSecond: round(f.tasks / (f.wallMs / 1000), 1),
    });
  }

  progress('external workers: 4 workers claiming 200 pinned tasks');
  const claims = await claimThroughput(stack.url, 200, 4);
  progress('token hand-over: 30 jobs sharing one token');
  const handOver = await tokenHandOver(stack.url, 30);

  const fireAndForget = scenario(ff);
  const submitAndWait = scenario(sw);
  const attempts = ff.runs.reduce((n, r) => n + r.attempts, 0);
  const sfn = stepFunctionsUsdPerMillionTasks(ff.runs, ff.tasks);
  const durable = lambdaDurableUsdPerMillionTasks(ff.runs, ff.tasks);
  const hot = hottestPartition(ff.usage);
  const mappings = idleMappingsUsdPerMonth(stack.eventSourceQueues);
  const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : null);
  const figures = {
    jobs,
    tasks: ff.tasks,
    concurrency,
    fireAndForget,
    submitAndWait,
    stepFunctionsUsdPerMillionTasks: sfn,
    lambdaDurableUsdPerMillionTasks: durable,
    // What the other systems are charged for on this workload.
    stepFunctionsTransitionsPerTask: round(ff.runs.reduce((n, r) => n + stepFunctionsTransitions(r), 0) / ff.tasks),
    lambdaDurableOperationsPerTask: round(ff.runs.reduce((n, r) => n + durableOperations(r), 0) / ff.tasks),
    lambdaDurableBytesWrittenPerTask: round(ff.runs.reduce((n, r) => n + durableDataBytes(r), 0) / ff.tasks, 1),
    taskAttemptsPerTask: round(attempts / ff.tasks),
    // Each system over jobx, per scenario (jobx's providers' Lambda time is apart on every side).
    ratios: {
      stepFunctionsToJobx: { fireAndForget: ratio(sfn, fireAndForget.usdPerMillionTasks), submitAndWait: ratio(sfn, submitAndWait.usdPerMillionTasks) },
      lambdaDurableToJobx: { fireAndForget: ratio(durable, fireAndForget.usdPerMillionTasks), submitAndWait: ratio(durable, submitAndWait.usdPerMillionTasks) },
    },
    // Costs per month whatever the load (not per task): the mappings' empty receives and the sweeper's runs.
    fixedMonthlyUsd: {
      eventSourceMappings: { queues: stack.eventSourceQueues, usd: roundUsd(mappings) },
      sweeper: { runsPerMonth: MINUTES_PER_MONTH / SWEEPER_RATE_MINUTES, billedMsPerRun: sweeper.billedMsPerRun, ddbReadUnitsPerRun: sweeper.ddbReadUnitsPerRun, usd: roundUsd(sweeper.usd) },
      total: roundUsd(roundUsd(mappings) + roundUsd(sweeper.usd)),
    },
    functionMemoryMb: FUNCTION_MEMORY_MB,
    ddbWriteUnitsPerTask: fireAndForget.perTask.ddbWriteUnits,
    ddbReadUnitsPerTask: fireAndForget.perTask.ddbReadUnits,
    sqsRequestsPerTask: fireAndForget.perTask.sqsRequests,
    hottestPartitionWriteShare: hot.share,
    hottestPartition: hot.key,
    tasksPerSecond: fireAndForget.tasksPerSecond,
    p50Ms: submitAndWait.p50Ms,
    p95Ms: submitAndWait.p95Ms,
    // One pipeline of 100 no-op tasks on the unloaded stack: the median gap between consecutive tasks' starts.
    stepMsP50: step.p50,
    stepMsP95: step.p95,
    byWidth,
    claimsPerSecond4Workers: claims,
    tokenHandOverP50Ms: handOver.p50,
    tokenHandOverP95Ms: handOver.p95,
    byOperation: ff.usage.byOperation,
  };

  if (jsonOut) console.log(JSON.stringify(figures));
  else {
    const usd = (n: number) => `$${n.toFixed(4)}`.padStart(10);
    console.log(`\njobx bench (local stack, ${jobs} pipelines × 3 demo tasks, ${concurrency} in flight), USD per million tasks at list prices`);
    console.log(`  ${'service'.padEnd(34)}${'fire-and-forget'.padStart(16)}${'submit-and-wait'.padStart(16)}`);
    const labels: Record<(typeof SERVICES)[number], string> = {
      dynamodb: 'DynamoDB (read + write units)',
      sqs: 'SQS requests',
      scheduler: 'EventBridge Scheduler',
      eventbridge: 'EventBridge events',
      apiGateway: 'API Gateway (HTTP API)',
      apiLambda: `API functions (${FUNCTION_MEMORY_MB.api} + wait ${FUNCTION_MEMORY_MB.wait} MB)`,
      engineLambda: `stream + sweeper (${FUNCTION_MEMORY_MB.stream} MB)`,
    };
    for (const s of SERVICES) console.log(`  ${labels[s].padEnd(34)}${usd(fireAndForget.byService[s]).padStart(16)}${usd(submitAndWait.byService[s]).padStart(16)}`);
    console.log(`  ${'jobx total'.padEnd(34)}${usd(fireAndForget.usdPerMillionTasks).padStart(16)}${usd(submitAndWait.usdPerMillionTasks).padStart(16)}`);
    console.log(`  ${`providers' Lambda (apart)`.padEnd(34)}${usd(fireAndForget.providerLambdaUsdPerMillionTasks).padStart(16)}${usd(submitAndWait.providerLambdaUsdPerMillionTasks).padStart(16)}`);
    console.log(`  Step Functions Standard, same workload: ${usd(sfn).trim()} (state transitions per task: ${figures.stepFunctionsTransitionsPerTask})`);
    console.log(`  Lambda durable functions, same workload: ${usd(durable).trim()} (per task: ${figures.lambdaDurableOperationsPerTask} durable operations, ${figures.lambdaDurableBytesWrittenPerTask} bytes written)`);
    console.log(`  fixed per month: $${figures.fixedMonthlyUsd.total} (${stack.eventSourceQueues} idle queue mappings $${figures.fixedMonthlyUsd.eventSourceMappings.usd}, sweeper every minute $${figures.fixedMonthlyUsd.sweeper.usd})`);
    const p = fireAndForget.perTask;
    const q = submitAndWait.perTask;
    console.log(`  per task (fire-and-forget / submit-and-wait):`);
    console.log(`    DynamoDB write units        ${p.ddbWriteUnits} / ${q.ddbWriteUnits} (of which refused conditional writes ${p.ddbFailedWriteUnits} / ${q.ddbFailedWriteUnits})`);
    console.log(`    DynamoDB read units         ${p.ddbReadUnits} / ${q.ddbReadUnits}`);
    console.log(`    SQS requests                ${p.sqsRequests} / ${q.sqsRequests}`);
    console.log(`    EventBridge events          ${p.eventBridgeEvents} / ${q.eventBridgeEvents}`);
    console.log(`    API requests                ${p.apiGatewayRequests} / ${q.apiGatewayRequests} (billed API time ${p.apiBilledMs} / ${q.apiBilledMs} ms, wait function ${p.waitBilledMs} / ${q.waitBilledMs} ms)`);
    console.log(`    stream invocations          ${p.streamInvocations} / ${q.streamInvocations} (${p.streamBilledMs} / ${q.streamBilledMs} ms)`);
    console.log(`  hottest partition key         ${figures.hottestPartitionWriteShare} of write units (${figures.hottestPartition})`);
    console.log(`  throughput                    ${fireAndForget.tasksPerSecond} tasks/s fire-and-forget, ${submitAndWait.tasksPerSecond} submit-and-wait`);
    console.log(`  submit→finish latency         p50 ${figures.p50Ms} ms, p95 ${figures.p95Ms} ms (caller waiting)`);
    console.log(`  per-step time                 p50 ${figures.stepMsP50} ms, p95 ${figures.stepMsP95} ms (100-task pipeline, unloaded)`);
    console.log('  by width (parent of N children × 3 tasks, fire-and-forget):');
    for (const w of byWidth) {
      console.log(`    ${String(w.children).padStart(5)} children: ${w.ddbWriteUnitsPerTask} WRU/task, ${w.ddbReadUnitsPerTask} RRU/task, ${w.sqsRequestsPerTask} SQS/task, $${w.usdPerMillionTasks}/M tasks, hottest key ${w.hottestPartitionWriteShare}, ${w.tasksPerSecond} tasks/s`);
    }
    console.log(`  external workers              ${figures.claimsPerSecond4Workers} claims/s (4 workers, claim + success each)`);
    console.log(`  token hand-over latency       p50 ${figures.tokenHandOverP50Ms} ms, p95 ${figures.tokenHandOverP95Ms} ms (holder ends → next holder starts)`);
  }
} finally {
  await stack.stop();
}
process.exit(0);
