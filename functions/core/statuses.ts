/**
 * Status vocabularies of jobs, tasks and attempts. The API, the SDK and the tests depend on these exact words.
 * @module
 */

/** Every status a job can be in. */
export const JOB_STATUSES = ['pending', 'running', 'paused', 'succeeded', 'failed', 'discarded'] as const;
/** A job's status. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Every status a task can be in. */
export const TASK_STATUSES = [
  'pending',
  'queued',
  'running',
  'retrying',
  'succeeded',
  'failed',
  'skipped',
  'discarded',
] as const;
/** A task's status. */
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Status of one attempt (one run of a task). `abandoned`: its lease ran out or its job was discarded. */
export type AttemptStatus = 'running' | 'succeeded' | 'failed' | 'abandoned';

/** Job statuses after which nothing runs any more (a failed job may still be retried by hand). */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'discarded'];

/** True when a job in this status has finished (succeeded, failed or discarded). */
export function isTerminalJob(status: JobStatus): boolean {
  return TERMINAL_JOB_STATUSES.includes(status);
}

/** True when a task in this status lets the pipeline move on. */
export function isTaskDone(status: TaskStatus): boolean {
  return status === 'succeeded' || status === 'skipped';
}
