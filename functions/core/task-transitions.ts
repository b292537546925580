/**
 * Task state machine: (task, event) → new task. Pure; the store turns each into one conditional write
 * whose condition is the `from` state checked here, so a duplicate or stale event is a no-op.
 * @module
 */
import type { JsonObject } from './json';
import {
  DEFAULT_TASK_TIMEOUT_SECONDS,
  type AttemptError,
  type AttemptRecord,
  type TaskMessage,
  type TaskRecord,
} from './model';
import { retryDelayMs, type RetryPolicy } from './retry-policy';
import { boundedError, outputProblem } from './attempt-limits';
import { keptPayload, lastPayload, type TaskPayload } from './task-payload';

/** Why an event did not apply to a task. */
export type Rejection = { rejected: true; reason: string };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A provider claims attempt `msg.attempt`. Valid for attempt 1 on a task that never ran, or for attempt n+1
 * on a task that is `queued` or `retrying` after n attempts.
 * The attempt keeps the message's input/env only where they differ from what the attempt before it ran with,
 * derived from `original`, the task's payload as its spec gives it (see `task-payload.ts`), never from the
 * task's current values. Without `original`, the first attempt of a task that never ran is taken to run with
 * it (its message is built from the spec), and any later attempt keeps both.
 */
export function claimAttempt(task: TaskRecord | undefined, msg: TaskMessage, now: number, tokenNonce?: string, original?: TaskPayload): TaskRecord | Rejection {
  const timeout = (msg.timeoutSeconds || DEFAULT_TASK_TIMEOUT_SECONDS) * 1000;
  const payload: TaskPayload = { input: msg.input, env: msg.env };
  if (!task) {
    if (msg.attempt !== 1) return { rejected: true, reason: `attempt ${msg.attempt} of a task that never ran` };
    const attempt: AttemptRecord = { attempt: 1, manual: msg.manual, status: 'running', startedAt: iso(now), ...keptPayload(payload, original ?? payload) };
    if (tokenNonce !== undefined) attempt.tokenNonce = tokenNonce;
    return {
      jobId: msg.jobId,
      taskIndex: msg.taskIndex,
      taskId: msg.taskId,
      name: msg.taskName,
      provider: msg.provider,
      status: 'running',
      attemptCount: 1,
      runStart: 1,
      input: msg.input,
      env: msg.env,
      context: msg.context,
      leaseUntil: now + timeout,
      attempts: [attempt],
      updatedAt: iso(now),
    };
  }
  if ((task.status !== 'queued' && task.status !== 'retrying') || task.attemptCount !== msg.attempt - 1) {
    return { rejected: true, reason: `task is ${task.status} after ${task.attemptCount} attempts` };
  }
  const previous = original ? lastPayload(original, task.attempts) : undefined;
  const attempt: AttemptRecord = { attempt: msg.attempt, manual: msg.manual, status: 'running', startedAt: iso(now), ...keptPayload(payload, previous) };
  if (tokenNonce !== undefined) attempt.tokenNonce = tokenNonce;
  const next: TaskRecord = {
    ...task,
    status: 'running',
    attemptCount: msg.attempt,
    leaseUntil: now + timeout,
    attempts: [...task.attempts, attempt],
    updatedAt: iso(now),
  };
  delete next.dueAt;
  delete next.reason;
  return next;
}

/** How an attempt ended. */
export type AttemptOutcome =
  | { ok: true; output: JsonObject }
  | { ok: false; error: AttemptError; retryAfterMs?: number; abandoned?: boolean };

/**
 * Attempt `attempt` ends. Success → `succeeded`. Failure → `retrying` (with `dueAt`) while the run's retry
 * budget lasts and the error is retryable, else `failed`.
 * @param random - in [0, 1), for exponential jitter
 */
export function finishAttempt(
  task: TaskRecord,
  attempt: number,
  outcome: AttemptOutcome,
  policy: RetryPolicy,
  now: number,
  random: number,
): TaskRecord | Rejection {
  if (task.status !== 'running' || task.attemptCount !== attempt) {
    return { rejected: true, reason: `task is ${task.status} at attempt ${task.attemptCount}, not running attempt ${attempt}` };
  }
  const current = task.attempts[attempt - 1];
  if (!current) return { rejected: true, reason: `attempt ${attempt} has no record` };
  // What cannot be stored ends the attempt for good, with the limit named, instead of failing the write.
  const problem = outcome.ok ? outputProblem(task, outcome.output) : undefined;
  if (problem) outcome = { ok: false, error: problem };
  else if (!outcome.ok) outcome = { ...outcome, error: boundedError(outcome.error) };
  const ended: AttemptRecord = { ...current, endedAt: iso(now) };
  const next: TaskRecord = { ...task, updatedAt: iso(now) };
  delete next.leaseUntil;
  delete next.reason;
  delete next.held;
  if (outcome.ok) {
    ended.status = 'succeeded';
    ended.output = outcome.output;
    next.status = 'succeeded';
  } else {
    ended.status = outcome.abandoned ? 'abandoned' : 'failed';
    ended.error = outcome.error;
    const retriesUsed = attempt - task.runStart;
    const retryable = outcome.error.retryable !== false;
    if (retryable && retriesUsed < policy.count) {
      // In a job paused while this attempt ran, the retry waits for resume (with its due time kept).
      next.status = task.held ? 'pending' : 'retrying';
      const delay = outcome.retryAfterMs ?? retryDelayMs(policy, retriesUsed + 1, random);
      next.dueAt = now + delay;
      next.reason = `attempt ${attempt} ${outcome.abandoned ? 'abandoned' : 'failed'}: ${outcome.error.message}`;
    } else {
      next.status = 'failed';
      next.reason = outcome.error.message;
    }
  }
  next.attempts = task.attempts.map((a, i) => (i === attempt - 1 ? ended : a));
  return next;
}

/** The error of an attempt whose lease ran out. */
export const LEASE_EXPIRED_ERROR: Readonly<AttemptError> = Object.freeze({ message: 'lease expired: the provider did not finish in time', code: 'LEASE_EXPIRED', retryable: true });

/**
 * A running attempt whose lease ran out is abandoned and retried like a failure.
 * @param abandonedWith - abandon even though the lease has not run out, with this error: the caller knows the
 *   provider is gone, and why (the user reads it on the attempt, so it names the cause, not a lease)
 */
export function expireLease(task: TaskRecord, policy: RetryPolicy, now: number, random: number, abandonedWith?: AttemptError): TaskRecord | Rejection {
  if (task.status !== 'running' || task.leaseUntil === undefined || (task.leaseUntil >= now && abandonedWith === undefined)) {
    return { rejected: true, reason: 'lease has not expired' };
  }
  return finishAttempt(task, task.attemptCount, { ok: false, abandoned: true, error: { ...(abandonedWith ?? LEASE_EXPIRED_ERROR) } }, policy, now, random);
}

/** True when a transition result was refused. */
export function isRejection<T>(r: T | Rejection): r is Rejection {
  return typeof r === 'object' && r !== null && (r as Rejection).rejected === true;
}
