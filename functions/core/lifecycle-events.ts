/**
 * Lifecycle events derived from a changed record: every job status change, and the task changes worth an
 * alert (failed, retrying, skipped). Task successes are left out on purpose: one event per task would cost as
 * much as the rest of a task's run (EventBridge bills per event).
 * @module
 */
import type { JobRecord, TaskRecord } from './model';

/** An event to publish. */
export interface LifecycleEventData {
  type: string;
  detail: Record<string, unknown>;
}

/** Event of a job status change, if any. */
export function jobEvent(before: JobRecord | undefined, after: JobRecord): LifecycleEventData | undefined {
  if (before?.status === after.status) return undefined;
  const name = after.status === 'running' ? (before?.status === 'paused' ? 'resumed' : 'started') : after.status;
  if (after.status === 'pending') return undefined;
  return {
    type: `jobx.job.${name}`,
    detail: {
      jobId: after.jobId,
      rootId: after.rootId,
      ...(after.parentId !== undefined ? { parentId: after.parentId } : {}),
      name: after.name,
      owner: after.owner,
      status: after.status,
      ...(after.bizId !== undefined ? { bizId: after.bizId } : {}),
      ...(after.reason !== undefined ? { reason: after.reason } : {}),
      at: after.updatedAt,
    },
  };
}

const TASK_EVENTS = new Set(['failed', 'retrying', 'skipped']);

/** Event of a task change, if it is one users alert on. */
export function taskEvent(before: TaskRecord | undefined, after: TaskRecord): LifecycleEventData | undefined {
  if (before?.status === after.status && before?.attemptCount === after.attemptCount) return undefined;
  if (!TASK_EVENTS.has(after.status)) return undefined;
  return {
    type: `jobx.task.${after.status}`,
    detail: {
      jobId: after.jobId,
      taskId: after.taskId,
      name: after.name,
      provider: after.provider,
      status: after.status,
      attempt: after.attemptCount,
      ...(after.reason !== undefined ? { reason: after.reason } : {}),
      ...(after.dueAt !== undefined ? { retryAt: new Date(after.dueAt).toISOString() } : {}),
      at: after.updatedAt,
    },
  };
}
