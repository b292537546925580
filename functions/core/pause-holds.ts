/**
 * Pause across a tree (invariant 8 for children). A parent's pause reaches its children through the stream,
 * some time after the pause answered; a child's claim in between is not stopped by any write of the pause. So a
 * claim in a child looks up its pause chain (the parent, and further up while each link is pausable) right after
 * it won: if an ancestor is paused, the attempt is handed back before its provider is called (the task becomes
 * `pending`, held, exactly as before the claim) and the ancestor's resume releases it. Reads after the claim
 * are strongly consistent, so any pause that answered before the claim is seen. Pure: the engine reads, calls
 * these and commits.
 * @module
 */
import type { JobRecord, TaskMessage, TaskRecord } from './model';
import { releaseHolds } from './control-decisions';
import { isTaskTxOp, type JobTree, type TaskTxOp } from './writes';

/** Where a pause chain walk goes from an ancestor as read: it holds the claim, or go on up, or nothing holds. */
export type PauseReach = { kind: 'held'; by: string } | { kind: 'up'; parentId: string } | { kind: 'free' };

/**
 * One step of the pause chain walk. A paused ancestor holds; a pausable one passes the walk to its own parent
 * (its pause would have cascaded down through it); a non-pausable one stops the walk, since a pause above it
 * never reaches below it.
 */
export function pauseReach(ancestor: JobRecord | undefined): PauseReach {
  if (!ancestor) return { kind: 'free' };
  if (ancestor.status === 'paused') return { kind: 'held', by: ancestor.jobId };
  if (ancestor.pausable && ancestor.parentId !== undefined) return { kind: 'up', parentId: ancestor.parentId };
  return { kind: 'free' };
}

/**
 * Hands back a claim made under a paused ancestor: the claimed attempt is removed (its provider was never
 * called) and the task is `pending`, as a pause holds it, from the state before the claim (an automatic retry
 * keeps a due time, so its release is a retry again; a manual run or a first attempt is released as queued).
 * A next-task placeholder a pause put meanwhile goes: the held task now blocks the pipeline itself. Guarded by
 * the claimed attempt being the one running; nothing when it is not (it ended, or was taken away).
 */
export function decideHandBack(t: JobTree, message: Pick<TaskMessage, 'taskIndex' | 'attempt' | 'manual'>, nowMs: number): TaskTxOp[] {
  const task = t.tasks[message.taskIndex];
  if (!task || task.status !== 'running' || task.attemptCount !== message.attempt) return [];
  const held: TaskRecord = {
    ...task,
    status: 'pending',
    attemptCount: message.attempt - 1,
    attempts: task.attempts.slice(0, message.attempt - 1),
    updatedAt: new Date(nowMs).toISOString(),
  };
  delete held.leaseUntil;
  delete held.held;
  delete held.dueAt;
  if (message.attempt > 1 && !message.manual) held.dueAt = nowMs;
  const ops: TaskTxOp[] = [{ op: 'replaceTask', before: task, after: held }];
  const next = t.tasks[message.taskIndex + 1];
  if (next?.status === 'pending' && next.attemptCount === 0) ops.push({ op: 'deleteHeldTask', task: next });
  return ops;
}

/**
 * Releases what a hand-back held in a job that is running (not paused itself): the held task is sent again.
 * Guarded by the job still running, so a pause that comes meanwhile keeps its hold; nothing for a paused,
 * finished or parent job.
 */
export function decideReleaseHeld(t: JobTree, now: string): TaskTxOp[] {
  if (t.job.status !== 'running' || t.job.kind !== 'pipeline') return [];
  const ops = releaseHolds(t, now).filter(isTaskTxOp);
  return ops.length ? [...ops, { op: 'checkJob', jobId: t.job.jobId, in: ['running'] }] : [];
}
