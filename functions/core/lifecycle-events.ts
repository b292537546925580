/**
 * Lifecycle events derived from a changed record: every job status change, and the task changes worth an
 * alert (failed, retrying, skipped). Task successes are left out on purpose: one event per task would cost as
 * much as the rest of a task's run (EventBridge bills per event).
 *
 * Which of them are published is the flow's {@link EventSelection} (the `events` prop of `JobFlow`): by default
 * only what operators subscribe to, see {@link DEFAULT_PUBLISHED_EVENTS}.
 * @module
 */
import type { JobRecord, TaskRecord } from './model';

/** Every lifecycle event type jobx can publish (the `detail-type` of the EventBridge event). */
export const LIFECYCLE_EVENT_TYPES = [
  'jobx.job.started',
  'jobx.job.resumed',
  'jobx.job.paused',
  'jobx.job.succeeded',
  'jobx.job.failed',
  'jobx.job.discarded',
  'jobx.task.retrying',
  'jobx.task.failed',
  'jobx.task.skipped',
] as const;
/** A lifecycle event type. */
export type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPES)[number];

/** An event to publish. */
export interface LifecycleEventData {
  type: LifecycleEventType;
  detail: Record<string, unknown>;
}

/** Event of a job status change, if any. */
export function jobEvent(before: JobRecord | undefined, after: JobRecord): LifecycleEventData | undefined {
  if (before?.status === after.status) return undefined;
  const name = after.status === 'running' ? (before?.status === 'paused' ? 'resumed' : 'started') : after.status;
  if (after.status === 'pending') return undefined;
  return {
    type: `jobx.job.${name}` as LifecycleEventType,
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
    type: `jobx.task.${after.status}` as LifecycleEventType,
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

/**
 * Which lifecycle events a flow publishes: a set of types, and whether job events (`jobx.job.*`) of child jobs
 * count too or only those of root jobs. Task events are published at any depth.
 */
export interface EventSelection {
  readonly types: ReadonlySet<LifecycleEventType>;
  readonly childJobs: boolean;
}

/**
 * The lean default: a root job finished (succeeded, failed, discarded) and a task failed with no retry left.
 * That is what operators subscribe to (a caller waiting for its job, an alert that needs a person); it costs
 * one event per job that succeeds, where publishing everything costs at least two (started, succeeded) plus one
 * per child job. A child's failure still reaches the bus: as the `jobx.task.failed` of its task and the
 * `jobx.job.failed` of its root.
 */
export const DEFAULT_PUBLISHED_EVENTS: readonly LifecycleEventType[] = ['jobx.job.succeeded', 'jobx.job.failed', 'jobx.job.discarded', 'jobx.task.failed'];

/** The selection of a flow: `publish` (default {@link DEFAULT_PUBLISHED_EVENTS}) and `childJobs` (default: only with `'all'`). */
export function eventSelection(publish: ReadonlyArray<string> | 'all' | 'none' = DEFAULT_PUBLISHED_EVENTS, childJobs?: boolean): EventSelection {
  if (publish === 'all') return { types: new Set(LIFECYCLE_EVENT_TYPES), childJobs: childJobs ?? true };
  if (publish === 'none') return { types: new Set(), childJobs: childJobs ?? false };
  const unknown = unknownEventTypes(publish);
  if (unknown.length > 0) throw new Error(`${unknown.map((t) => `"${t}"`).join(', ')} ${unknown.length === 1 ? 'is not a lifecycle event type' : 'are not lifecycle event types'} (known: ${LIFECYCLE_EVENT_TYPES.join(', ')})`);
  return { types: new Set(publish as ReadonlyArray<LifecycleEventType>), childJobs: childJobs ?? false };
}

/** The names among `types` that are no lifecycle event type. */
export function unknownEventTypes(types: ReadonlyArray<unknown>): string[] {
  return types.filter((t) => !(LIFECYCLE_EVENT_TYPES as readonly unknown[]).includes(t)).map(String);
}

/** The lean default selection. */
export const DEFAULT_EVENT_SELECTION: EventSelection = eventSelection();

/** Whether a flow with this selection publishes the event (a job event of a child job carries its `parentId`). */
export function isPublished(selection: EventSelection, event: LifecycleEventData): boolean {
  if (!selection.types.has(event.type)) return false;
  return selection.childJobs || !event.type.startsWith('jobx.job.') || event.detail.parentId === undefined;
}

/** Token of the environment form that adds child jobs' job events to a list of types. */
const CHILD_JOBS = 'child-jobs';

/**
 * The selection as one environment value: `all` (every type, child jobs too), `none`, or a comma-separated list
 * of types with `child-jobs` among them when child jobs' job events count.
 */
export function formatEventSelection(selection: EventSelection): string {
  const types = LIFECYCLE_EVENT_TYPES.filter((t) => selection.types.has(t));
  if (types.length === 0) return 'none';
  if (types.length === LIFECYCLE_EVENT_TYPES.length && selection.childJobs) return 'all';
  return [...types, ...(selection.childJobs ? [CHILD_JOBS] : [])].join(',');
}

/** Reads {@link formatEventSelection}'s form; unset or empty is the lean default. Throws on an unknown word. */
export function parseEventSelection(text: string | undefined): EventSelection {
  const value = text?.trim() ?? '';
  if (value === '') return DEFAULT_EVENT_SELECTION;
  if (value === 'all' || value === 'none') return eventSelection(value);
  const words = value.split(',').map((w) => w.trim()).filter(Boolean);
  return eventSelection(words.filter((w) => w !== CHILD_JOBS), words.includes(CHILD_JOBS));
}
