/**
 * The bench's accounting, pure: counted usage → USD per million tasks per service (jobx), and the same workload
 * priced as Step Functions Standard and as Lambda durable functions. Every price comes from `./prices`.
 * @module
 */
import { BYTES_PER_GB, FUNCTION_MEMORY_MB, IDLE_MAPPING, MINUTES_PER_MONTH, PRICES, SWEEPER_RATE_MINUTES } from './prices';

/** Invocations of one function and their billed duration (each rounded up to the next ms, summed). */
export interface FunctionUsage {
  invocations: number;
  billedMs: number;
}

/** What one scenario used, counted by the usage middleware, the local mappings and the local gateway. */
export interface CountedUsage {
  /** Tasks the scenario ran (the per-task denominator). */
  tasks: number;
  ddbReadUnits: number;
  ddbWriteUnits: number;
  /** SQS requests, the mappings' empty receives excluded (a fixed monthly cost, {@link idleMappingsUsdPerMonth}). */
  sqsRequests: number;
  schedulerInvocations: number;
  eventBridgeEvents: number;
  /** API Gateway requests as billed (per 512 KB chunk). */
  apiGatewayRequests: number;
  /** The API function: every route but the result long-polls. */
  api: FunctionUsage;
  /** The wait function: the result long-polls (`GET /jobs/{jobId}/result`), at its own memory size. */
  wait: FunctionUsage;
  stream: FunctionUsage;
  sweeper: FunctionUsage;
  providers: FunctionUsage;
}

/** The services of jobx's own bill, in the order the bench prints them. */
export const SERVICES = ['dynamodb', 'sqs', 'scheduler', 'eventbridge', 'apiGateway', 'apiLambda', 'engineLambda'] as const;
export type Service = (typeof SERVICES)[number];

/** Function memory sizes (MB) the Lambda figures are priced at. */
export type MemorySizes = { readonly api: number; readonly wait: number; readonly stream: number; readonly sweeper: number; readonly provider: number };

/** jobx's bill for a scenario, per million tasks. */
export interface JobxCost {
  /** The sum of {@link JobxCost.byService} (of the rounded figures, so the printed parts add up to it). */
  usdPerMillionTasks: number;
  byService: Record<Service, number>;
  /** The providers' own Lambda requests and GB-seconds: the same whichever system runs the tasks, so not in the total. */
  providerLambdaUsdPerMillionTasks: number;
}

const DECIMALS = 4;
/** Rounds a USD figure for output (to 1/100 of a cent per million tasks). */
export const roundUsd = (n: number) => Math.round(n * 10 ** DECIMALS) / 10 ** DECIMALS;

/** Lambda cost of a function's usage at `memoryMb`: requests plus GB-seconds of billed duration. */
export function lambdaUsd(f: FunctionUsage, memoryMb: number): number {
  return f.invocations * PRICES.lambdaRequest + (f.billedMs / 1000) * (memoryMb / 1024) * PRICES.lambdaGbSecond;
}

/** USD of each service for the counted usage (not per task). */
export function serviceUsd(u: CountedUsage, memory: MemorySizes = FUNCTION_MEMORY_MB): Record<Service, number> {
  return {
    dynamodb: u.ddbWriteUnits * PRICES.ddbWriteUnit + u.ddbReadUnits * PRICES.ddbReadUnit,
    sqs: u.sqsRequests * PRICES.sqsRequest,
    scheduler: u.schedulerInvocations * PRICES.schedulerInvocation,
    eventbridge: u.eventBridgeEvents * PRICES.eventBridgeEvent,
    apiGateway: u.apiGatewayRequests * PRICES.httpApiRequest,
    // The API's two functions: the API function, and the wait function the result long-polls hold.
    apiLambda: lambdaUsd(u.api, memory.api) + lambdaUsd(u.wait, memory.wait),
    engineLambda: lambdaUsd(u.stream, memory.stream) + lambdaUsd(u.sweeper, memory.sweeper),
  };
}

/** jobx's bill per million tasks, by service; the providers' Lambda cost apart. */
export function jobxCost(u: CountedUsage, memory: MemorySizes = FUNCTION_MEMORY_MB): JobxCost {
  if (u.tasks <= 0) throw new Error('a scenario needs at least one task');
  const usd = serviceUsd(u, memory);
  const perMillion = (x: number) => roundUsd((x / u.tasks) * 1e6);
  const byService = Object.fromEntries(SERVICES.map((s) => [s, perMillion(usd[s])])) as Record<Service, number>;
  return {
    usdPerMillionTasks: roundUsd(SERVICES.reduce((sum, s) => sum + byService[s], 0)),
    byService,
    providerLambdaUsdPerMillionTasks: perMillion(lambdaUsd(u.providers, memory.provider)),
  };
}

/**
 * One job of the workload as the other systems would run it: its own tasks' attempts (retries included), the
 * bytes of the results and errors those attempts produced, and its children (run as a Map / a `map`).
 */
export interface WorkflowRun {
  attempts: number;
  resultBytes: number;
  children?: readonly WorkflowRun[];
}

/**
 * Step Functions Standard state transitions of a run: one per state entered. A task state is entered once per
 * attempt (a retry enters it again); a parent's children add one for the Map state plus their own; the
 * execution's start and end are not transitions.
 */
export function stepFunctionsTransitions(run: WorkflowRun): number {
  return run.attempts + (run.children ? 1 + run.children.reduce((n, c) => n + stepFunctionsTransitions(c), 0) : 0);
}

/** Durable operations inside a run: one per step attempt, and one per branch of a `map` over its children. */
function durableStepOperations(run: WorkflowRun): number {
  return run.attempts + (run.children ? run.children.reduce((n, c) => n + 1 + durableStepOperations(c), 0) : 0);
}

/** Lambda durable functions operations of a root run: one for the execution's start, plus its steps and branches. */
export function durableOperations(run: WorkflowRun): number {
  return 1 + durableStepOperations(run);
}

/** Bytes a durable execution checkpoints for a run: every step attempt's result or error, children included. */
export function durableDataBytes(run: WorkflowRun): number {
  return run.resultBytes + (run.children ?? []).reduce((n, c) => n + durableDataBytes(c), 0);
}

/** Task attempts of a run, its children's included. */
export function attemptsOf(run: WorkflowRun): number {
  return run.attempts + (run.children ?? []).reduce((n, c) => n + attemptsOf(c), 0);
}

/** Step Functions Standard, per million tasks, for root runs that ran `tasks` tasks. */
export function stepFunctionsUsdPerMillionTasks(runs: readonly WorkflowRun[], tasks: number): number {
  const transitions = runs.reduce((n, r) => n + stepFunctionsTransitions(r), 0);
  return roundUsd(((transitions * PRICES.stepFunctionsTransition) / tasks) * 1e6);
}

/** Lambda durable functions, per million tasks: operations plus data written (the provider's Lambda time apart). */
export function lambdaDurableUsdPerMillionTasks(runs: readonly WorkflowRun[], tasks: number): number {
  const operations = runs.reduce((n, r) => n + durableOperations(r), 0);
  const bytes = runs.reduce((n, r) => n + durableDataBytes(r), 0);
  return roundUsd((((operations * PRICES.durableOperation) + (bytes / BYTES_PER_GB) * PRICES.durableDataWrittenPerGb) / tasks) * 1e6);
}

/**
 * Empty receives of idle event source mappings, per month: {@link IDLE_MAPPING} pollers per queue, each
 * long-polling all month, priced as SQS requests (about 0.26 USD per queue, as the price table says).
 */
export function idleMappingsUsdPerMonth(queues: number): number {
  const receivesPerQueue = IDLE_MAPPING.pollers * (60 / IDLE_MAPPING.longPollSeconds) * MINUTES_PER_MONTH;
  return queues * receivesPerQueue * PRICES.sqsRequest;
}

/**
 * The sweeper's floor per month: it runs every {@link SWEEPER_RATE_MINUTES} whatever the load. `runs` is the
 * usage of `count` sweeps of an idle deployment (its Lambda time and its own DynamoDB and SQS requests).
 */
export function sweeperUsdPerMonth(runs: CountedUsage, count: number, memory: MemorySizes = FUNCTION_MEMORY_MB): number {
  if (count <= 0) return 0;
  const usd = serviceUsd(runs, memory);
  const perRun = SERVICES.reduce((sum, s) => sum + usd[s], 0) / count;
  return perRun * (MINUTES_PER_MONTH / SWEEPER_RATE_MINUTES);
}
