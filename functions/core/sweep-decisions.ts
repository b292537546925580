/**
 * The sweeper's repairs, decided from what was read (pure): what a running pipeline, or a child of a running
 * parent, needs when the event flow did not finish its step. Every repair is the same idempotent, guarded step
 * the stream would have taken (a dispatch whose claim is conditional, a finish guarded by the task it was
 * decided from, a lease expiry guarded by the lease it saw, a start or count guarded by the status it read).
 * @module
 */
import type { AttemptError, JobRecord, TaskMessage, TaskRecord } from './model';
import { buildTaskMessage, guardOf, nextAttemptIsManual, nextPipelineStep, type Effect } from './reactions';
import { isTerminalJob } from './statuses';
import { taskRetryPolicy } from './submission';
import { expireLease, isRejection } from './task-transitions';

/** What the sweeper knows besides the records: the time, its grace, and whether every running attempt is gone. */
export interface SweepContext {
  now: number;
  /** A dispatch or retry older than this without a claim is considered lost. */
  requeueAfterMs: number;
  /** Every running attempt is dead whatever its lease says (the local stack at start). */
  abandonRunning?: boolean;
  /** Source of a random number in [0, 1) for the retry jitter of an expired lease (called only for one). */
  random: () => number;
}

/**
 * The error of an attempt the local stack abandons when it starts: it was running in the process that stopped
 * (providers run in the stack's own process), so it is gone whatever its lease says, and the user is told so.
 */
export const LOCAL_RESTART_ERROR: Readonly<AttemptError> = Object.freeze({
  message: 'the local stack restarted while this attempt ran: its provider stopped with the previous process',
  code: 'LOCAL_STACK_RESTARTED',
  retryable: true,
});

/** A repair of a running pipeline. */
export type PipelineRepair =
  | { kind: 'none' }
  /**
   * Send this message again (its first send was lost, or a retry or manual run was never delivered); `since`:
   * when it was due (ms since epoch), so the sweeper can tell how long it may have waited in its queue.
   */
  | { kind: 'redispatch'; message: TaskMessage; since: number }
  /** Carry out this effect (the pipeline's finish, lost). */
  | { kind: 'finish'; effect: Extract<Effect, { kind: 'finishJob' }> }
  /** Send again a task held in this running job (a claim handed back under a pause that is over; its release was lost). */
  | { kind: 'release' }
  /** End the running attempt whose lease ran out, only while its lease is still the one seen (`leaseGuard`). */
  | { kind: 'expireLease'; before: TaskRecord; after: TaskRecord; leaseGuard: number };

function olderThan(iso: string | undefined, now: number, ms: number): boolean {
  return iso === undefined || Date.parse(iso) <= now - ms;
}

/** Decides the repair of a running pipeline from its record and its tasks as read. */
export function decidePipelineRepair(job: JobRecord, tasks: ReadonlyArray<TaskRecord | undefined>, ctx: SweepContext): PipelineRepair {
  const { now, requeueAfterMs } = ctx;
  const step = nextPipelineStep(job, tasks);
  switch (step.kind) {
    case 'dispatch':
      return olderThan(step.since, now, requeueAfterMs)
        ? { kind: 'redispatch', message: buildTaskMessage(job, step.taskIndex, 1, step.context, false), since: step.since === undefined ? 0 : Date.parse(step.since) }
        : { kind: 'none' };
    case 'complete':
      return { kind: 'finish', effect: { kind: 'finishJob', jobId: job.jobId, status: 'succeeded', output: step.output } };
    case 'fail':
      return { kind: 'finish', effect: { kind: 'finishJob', jobId: job.jobId, status: 'failed', reason: step.reason, guard: guardOf(step.task) } };
    case 'stopped':
      return { kind: 'none' };
    case 'wait': {
      const task = step.task;
      if (task.status === 'running' && task.leaseUntil !== undefined && (task.leaseUntil < now || ctx.abandonRunning)) {
        const expired = expireLease(task, taskRetryPolicy(job, task.taskIndex), now, ctx.random(), ctx.abandonRunning ? LOCAL_RESTART_ERROR : undefined);
        // The condition pins the lease seen: a new claim since then keeps its attempt.
        return isRejection(expired) ? { kind: 'none' } : { kind: 'expireLease', before: task, after: expired, leaseGuard: Math.max(now, task.leaseUntil + 1) };
      }
      if (task.status === 'retrying' && (task.dueAt ?? 0) <= now - requeueAfterMs) {
        return { kind: 'redispatch', message: buildTaskMessage(job, task.taskIndex, task.attemptCount + 1, task.context, false, task), since: task.dueAt ?? 0 };
      }
      // The sweeper reaches a job only through running ancestors: no pause holds this task any more.
      if (task.status === 'pending' && olderThan(task.updatedAt, now, requeueAfterMs)) return { kind: 'release' };
      if (task.status === 'queued' && olderThan(task.updatedAt, now, requeueAfterMs)) {
        // Queued is a manual retry, or an automatic attempt held by a pause and resumed: the stored run start tells them apart.
        return { kind: 'redispatch', message: buildTaskMessage(job, task.taskIndex, task.attemptCount + 1, task.context, nextAttemptIsManual(task), task), since: Date.parse(task.updatedAt) };
      }
      return { kind: 'none' };
    }
  }
}

/** A repair of one child of a running parent. */
export type ChildRepair =
  | { kind: 'none' }
  /** Start a child the parent's start did not reach (only if still pending). */
  | { kind: 'start' }
  /** Count a finished child its parent never counted. */
  | { kind: 'report'; failed: boolean }
  /** Look into a running child (its tasks, or its own children). */
  | { kind: 'descend' };

/** Decides the repair of a child from the parent, the child and the parent's counted children as read. */
export function decideChildRepair(parent: JobRecord, child: JobRecord, counted: ReadonlySet<number>, ctx: Pick<SweepContext, 'now' | 'requeueAfterMs'>): ChildRepair {
  if (child.status === 'pending') return olderThan(parent.startedAt ?? parent.updatedAt, ctx.now, ctx.requeueAfterMs) ? { kind: 'start' } : { kind: 'none' };
  if (isTerminalJob(child.status)) {
    return !counted.has(child.childIndex!) && olderThan(child.updatedAt, ctx.now, ctx.requeueAfterMs) ? { kind: 'report', failed: child.status !== 'succeeded' } : { kind: 'none' };
  }
  return child.status === 'running' ? { kind: 'descend' } : { kind: 'none' };
}

/**
 * How long the sweeper holds back a message it would send again while the message's queue still has messages
 * waiting (ms since the message was due). A message it takes for lost may only be waiting its turn behind a
 * backlog (a wide parent's first tasks, a provider with a low concurrency): sending it again would only add a
 * duplicate whose claim is refused. Past this, it is sent again whatever the queue holds, so a queue that never
 * empties still gets its lost messages back.
 */
export const HOLD_WHILE_QUEUED_MS = 15 * 60_000;

/** Whether a re-send decided at `now` for a message due `since` waits, given the messages waiting in its queue. */
export function holdRedispatch(since: number, now: number, waitingInQueue: number, holdMs: number = HOLD_WHILE_QUEUED_MS): boolean {
  return waitingInQueue > 0 && now - since < holdMs;
}
