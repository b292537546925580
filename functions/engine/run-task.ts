/**
 * Runs one attempt of a task: claim (a conditional write), call the provider, record how it ended (another
 * conditional write). A duplicate message loses the claim and runs nothing.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject } from '../core/json';
import { PendingResult } from '../core/pending';
import { encodeTaskToken } from '../core/task-token';
import type { JobRecord, TaskMessage, TaskRecord } from '../core/model';
import { NonRetryableError, RetryAfterError } from '../core/provider-errors';
import { claimAttempt, finishAttempt, isRejection, type AttemptOutcome } from '../core/task-transitions';
import { originalPayload } from '../core/task-payload';
import { decideContinuation, decideFinish, markContinued } from '../core/continuation';
import type { Effect } from '../core/reactions';
import type { TaskDeps } from '../ports';
import { finishJob } from './finish-job';
import { keepClaimUnderPause } from './pause-holds';

/** The end of a pipeline an invocation writes itself. */
type FinishJobEffect = Extract<Effect, { kind: 'finishJob' }>;

/** What a provider function receives. */
export interface ProviderEvent<I extends JsonObject = JsonObject> {
  input: I;
  env: JsonObject;
  /** Shallow merge of the outputs of the tasks before this one. */
  context: JsonObject;
  job: { jobId: string; name: string; owner: string };
  task: { taskId: string; name: string; attempt: number };
  /** Aborted when the task's lease (timeoutSeconds) runs out. */
  signal: AbortSignal;
  /** Token of this attempt, for completing it later (return `pending()`) through `/task-tokens/…` (the token in the `x-jobx-task-token` header). */
  taskToken: string;
}

/** A provider: returns the task's output (a JSON object, or nothing for `{}`). */
export type ProviderFunction<I extends JsonObject = JsonObject> = (
  event: ProviderEvent<I>,
) => Promise<JsonObject | PendingResult | void> | JsonObject | PendingResult | void;

import { MAX_OUTPUT_BYTES } from '../core/attempt-limits';

/** Largest task output kept (bytes of JSON); larger outputs fail the attempt with OUTPUT_TOO_LARGE. */
export { MAX_OUTPUT_BYTES };

/** How a run of {@link runTask} ended. */
export type RunTaskResult = 'succeeded' | 'failed' | 'duplicate' | 'late' | 'pending';

class TimeoutError extends Error {
  constructor(seconds: number, cutBy?: number) {
    super(
      cutBy === undefined
        ? `task timed out after ${seconds} s`
        : `task stopped after ${cutBy} s: its provider's invocation was ending (the task's timeout is ${seconds} s; give the provider function a longer timeout)`,
    );
    this.name = 'TimeoutError';
  }
}

/** Thrown before a claim when the invocation has no time left to run the task: the message stays in its queue. */
export class InvocationEndingError extends Error {
  constructor() {
    super('the invocation is ending: the task is left in its queue for another one');
    this.name = 'InvocationEndingError';
  }
}

/** Options of {@link runTask}. */
export interface RunTaskOptions {
  /**
   * When the invocation ends (ms since epoch, less what recording the end takes). An attempt still running then
   * is ended as timed out (retryable) before Lambda stops the function, so its end is recorded and the rest of
   * the batch is not lost with it; with no time left at all, the task is not claimed.
   */
  deadline?: number;
  /**
   * Go on with the pipeline's next tasks in this invocation when they are this function's and their whole
   * timeout fits before `deadline` (`core/continuation.ts`), at most this many after the message's own task.
   * 0 or undefined: run only the message's attempt (the stream sends the next task's message).
   */
  continueSteps?: number;
  /** Called after each attempt a run ran (its message's, then each it continued with) with how it ended. */
  onAttempt?: (message: TaskMessage, result: RunTaskResult) => void;
  /**
   * Called when a continued task could not be claimed, run or recorded because a write threw: its task is left
   * for the sweeper (no record: sent again after the grace; a claim without an end: its lease expires).
   */
  onContinueError?: (message: TaskMessage, error: unknown) => void;
}

function toOutcome(err: unknown): AttemptOutcome {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e instanceof NonRetryableError) return { ok: false, error: { message: e.message, code: e.code, retryable: false } };
  if (e instanceof RetryAfterError) return { ok: false, error: { message: e.message, code: 'RETRY_AFTER', retryable: true }, retryAfterMs: e.retryAfterMs };
  if (e instanceof TimeoutError) return { ok: false, error: { message: e.message, code: 'TIMEOUT', retryable: true } };
  return { ok: false, error: { message: e.message || e.name, code: e.name && e.name !== 'Error' ? e.name : 'PROVIDER_ERROR', retryable: true } };
}

function asOutput(value: unknown): JsonObject {
  if (value === undefined || value === null) return {};
  if (typeof value === 'object' && !Array.isArray(value)) return JSON.parse(JSON.stringify(value)) as JsonObject;
  return { result: JSON.parse(JSON.stringify(value)) };
}

/**
 * Claims and runs one attempt; with `continueSteps`, then claims and runs the pipeline's next tasks of this
 * function as long as they can continue here (`core/continuation.ts`).
 * @returns for the message's own attempt: `duplicate` when the claim was refused (already claimed or no longer
 *   due), `late` when the attempt ended after its lease was taken away (the result is not recorded), else the
 *   attempt's outcome (each continued attempt's goes to `onAttempt`)
 */
export async function runTask(deps: TaskDeps, message: TaskMessage, fn: ProviderFunction, opts: RunTaskOptions = {}): Promise<RunTaskResult> {
  const first = await runAttempt(deps, message, fn, opts, 0);
  opts.onAttempt?.(message, first.result);
  await finishPipeline(deps, message, first.finish, opts);
  let next = first.next;
  let job = first.job;
  for (let continued = 1; next; continued++) {
    const current = next;
    next = undefined;
    try {
      const run = await runAttempt(deps, current, fn, opts, continued, job);
      opts.onAttempt?.(current, run.result);
      await finishPipeline(deps, current, run.finish, opts);
      next = run.next;
      job = run.job;
    } catch (error) {
      // The message's own attempt is recorded: its message must not come back for this one's sake.
      opts.onContinueError?.(current, error);
    }
  }
  return first.result;
}

/**
 * Finishes the job whose last task this invocation ended with `continued` (`decideFinish`). A failure here is the
 * sweeper's to repair (a running pipeline whose tasks are all done): the attempt itself is recorded.
 */
async function finishPipeline(deps: TaskDeps, message: TaskMessage, finish: FinishJobEffect | undefined, opts: RunTaskOptions): Promise<void> {
  if (!finish) return;
  try {
    await finishJob(deps, finish);
  } catch (error) {
    opts.onContinueError?.(message, error);
  }
}

async function runAttempt(
  deps: TaskDeps,
  message: TaskMessage,
  fn: ProviderFunction,
  opts: RunTaskOptions,
  continued: number,
  job?: JobRecord,
): Promise<{ result: RunTaskResult; next?: TaskMessage; job?: JobRecord; finish?: FinishJobEffect }> {
  const taskMs = message.timeoutSeconds * 1000;
  const budgetMs = opts.deadline === undefined ? taskMs : Math.min(taskMs, opts.deadline - Date.now());
  if (budgetMs <= 0) throw new InvocationEndingError();
  const claimed = await claimTask(deps, message);
  if (!claimed) return { result: 'duplicate' };
  const taskToken = encodeTaskToken({ jobId: message.jobId, taskIndex: message.taskIndex, attempt: message.attempt, nonce: claimed.attempts[message.attempt - 1]!.tokenNonce! });

  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let outcome: AttemptOutcome;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new TimeoutError(message.timeoutSeconds, budgetMs < taskMs ? Math.round(budgetMs / 100) / 10 : undefined));
      }, budgetMs);
    });
    const output = await Promise.race([
      Promise.resolve().then(() =>
        fn({
          input: message.input,
          env: message.env,
          context: message.context,
          job: message.job,
          task: { taskId: message.taskId, name: message.taskName, attempt: message.attempt },
          signal: controller.signal,
          taskToken,
        }),
      ),
      timeout,
    ]);
    if (output instanceof PendingResult) {
      clearTimeout(timer);
      // Someone else finishes this attempt by token; a heartbeat interval shortens the lease to that rhythm.
      if (output.heartbeatSeconds !== undefined) {
        await deps.store.extendLease(claimed, message.attempt, claimed.attempts[message.attempt - 1]!.tokenNonce!, deps.clock.now() + output.heartbeatSeconds * 1000);
      }
      return { result: 'pending' };
    }
    const value = asOutput(output);
    const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
    // An output the task item cannot hold would fail every write of the attempt's end: fail it cleanly instead.
    outcome =
      bytes > MAX_OUTPUT_BYTES
        ? { ok: false, error: { message: `output is ${bytes} bytes; the limit is ${MAX_OUTPUT_BYTES}`, code: 'OUTPUT_TOO_LARGE', retryable: false } }
        : { ok: true, output: value };
  } catch (err) {
    outcome = toOutcome(err);
  } finally {
    clearTimeout(timer);
  }
  const steps = opts.continueSteps ?? 0;
  // The deadline is wall-clock time; the decision reads the deps' clock (the same one on Lambda).
  const budget: ContinueBudget | undefined =
    steps > 0 && opts.deadline !== undefined ? { deadline: deps.clock.now() + (opts.deadline - Date.now()), continued, maxSteps: steps, ...(job ? { job } : {}) } : undefined;
  return completeAndContinue(deps, claimed, message, outcome, budget);
}

/**
 * Records how a claimed attempt ended: one conditional write on the attempt it claimed. When the attempt was
 * taken away meanwhile (lease expired, job discarded), only its late result is kept and nothing else moves.
 */
export async function completeAttempt(deps: TaskDeps, claimed: TaskRecord, message: TaskMessage, outcome: AttemptOutcome): Promise<Exclude<RunTaskResult, 'duplicate' | 'pending'>> {
  return (await completeAndContinue(deps, claimed, message, outcome)).result;
}

/** How far an invocation may continue a pipeline (see `core/continuation.ts`). */
export interface ContinueBudget {
  /** When the invocation ends (ms since epoch on the deps' clock, less what recording an end takes). */
  deadline: number;
  /** Tasks already run after the message's own. */
  continued: number;
  maxSteps: number;
  /**
   * The job as this invocation read it for the step before (strongly consistent), or as its message carried it
   * (`core/carried-job.ts`). What the next message is built from never changes once the job exists (its spec:
   * tasks, input, env, retry, preLock, pause chain); its status and `preSkipped` may have moved since, but each
   * such move writes the next task's record first (a pause's or a discard's placeholder, a skip), so the claim of
   * a message built from the older read fails and nothing runs.
   */
  job?: JobRecord;
}

/**
 * {@link completeAttempt}, deciding first (on the job read strongly consistent) whether the invocation goes on
 * with the pipeline's next task: then the end says so (`continued`), and the next task's message is returned for
 * the caller to claim like any message (`claimTask`). Undefined `next`: the stream sends it, as usual.
 */
export async function completeAndContinue(
  deps: TaskDeps,
  claimed: TaskRecord,
  message: TaskMessage,
  outcome: AttemptOutcome,
  budget?: ContinueBudget,
): Promise<{ result: Exclude<RunTaskResult, 'duplicate' | 'pending'>; next?: TaskMessage; job?: JobRecord; finish?: FinishJobEffect }> {
  const ended = finishAttempt(claimed, message.attempt, outcome, message.retry, deps.clock.now(), deps.clock.random());
  let next: TaskMessage | undefined;
  let finish: FinishJobEffect | undefined;
  let job: JobRecord | undefined;
  if (budget && !isRejection(ended) && ended.status === 'succeeded') {
    job = budget.job ?? message.carriedJob ?? (await deps.store.getJob(message.jobId));
    next = decideContinuation(job, claimed, ended, message, { now: deps.clock.now(), deadline: budget.deadline, continued: budget.continued, maxSteps: budget.maxSteps });
    if (!next) finish = decideFinish(job, claimed, ended, { deadline: budget.deadline });
  }
  if (isRejection(ended) || !(await deps.store.endAttempt(claimed, next || finish ? markContinued(ended) : ended))) {
    // The attempt was taken away (its job was discarded): keep what it produced, change nothing else.
    await deps.store.recordLateResult(message.jobId, message.taskIndex, message.attempt, outcome.ok ? { output: outcome.output } : { error: outcome.error }, new Date(deps.clock.now()).toISOString());
    return { result: 'late' };
  }
  const result = outcome.ok ? 'succeeded' : 'failed';
  if (finish) return { result, finish };
  return next && job ? { result, next, job } : { result };
}

/**
 * Claims the attempt a message asks for (with a fresh task token nonce); undefined when it is a duplicate or no
 * longer due, or when a paused ancestor holds it (the claim is handed back, see `pause-holds.ts`).
 */
export async function claimTask(deps: TaskDeps, message: TaskMessage) {
  const nonce = randomUUID();
  // Attempt 1 usually needs no read: its claim succeeds only on a task that has no record yet.
  if (message.attempt === 1) {
    const fresh = claimAttempt(undefined, message, deps.clock.now(), nonce);
    if (!isRejection(fresh) && (await deps.store.claimAttempt(undefined, fresh))) return (await keepClaimUnderPause(deps, message)) ? fresh : undefined;
  }
  // A record exists: a retry, a manual run, or a first attempt released by a resume.
  const before = await deps.store.getTask(message.jobId, message.taskIndex);
  if (!before) return undefined;
  // A duplicate or stale message stops here, without the job read below.
  if (isRejection(claimAttempt(before, message, deps.clock.now(), nonce))) return undefined;
  // The attempt keeps its input/env only where they differ from what the attempt before it ran with, which
  // follows from the task's original payload in the job's spec (the task record holds only the next run's).
  const job = message.carriedJob ?? (await deps.store.getJob(message.jobId));
  const next = claimAttempt(before, message, deps.clock.now(), nonce, job && originalPayload(job, message.taskIndex));
  if (isRejection(next) || !(await deps.store.claimAttempt(before, next))) return undefined;
  return (await keepClaimUnderPause(deps, message)) ? next : undefined;
}
