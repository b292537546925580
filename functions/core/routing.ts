/**
 * Ids, buckets and routing targets: the one place that spells out how jobx names things and where a task
 * message goes. Child ids, task ids, completion buckets, worker inboxes (`exec:<id>`, `prov:<name>`), queue
 * routes (`provider@executor`) and schedule names are all derived here, so the engine, the adapters and the
 * local stack cannot disagree about them.
 *
 * Pure: no AWS SDK, no I/O, no clock (the caller passes `now`).
 * @module
 */
import { createHash } from 'node:crypto';
import { JobxError } from './errors';
import type { TaskMessage } from './model';

// ---------------------------------------------------------------------------------------------------------------
// Job and task ids
// ---------------------------------------------------------------------------------------------------------------

/** Children per completion bucket of a parent (bounds the size of every bucket item). */
export const CHILD_BUCKET_SIZE = 100;

/**
 * Id of the `childIndex`-th (1-based) child of a job. Child ids are derived so every write for a child is idempotent.
 * @example
 * childJobId('01J…', 2); // '01J….2'
 */
export function childJobId(parentId: string, childIndex: number): string {
  return `${parentId}.${childIndex}`;
}

/**
 * Parent id and position of a child id; undefined for a root id.
 * @example
 * parseChildJobId('R.3.12'); // { parentId: 'R.3', childIndex: 12 }
 */
export function parseChildJobId(jobId: string): { parentId: string; childIndex: number } | undefined {
  // Canonical positions only ("R.01" or "R.1e0" name no job), so every id maps to one key or to none.
  const m = /^(.+)\.([1-9][0-9]{0,5})$/.exec(jobId);
  return m ? { parentId: m[1]!, childIndex: Number(m[2]) } : undefined;
}

/** Root id of any job id (a child's id starts with its root's, which has no dot). */
export function rootIdOf(jobId: string): string {
  const dot = jobId.indexOf('.');
  return dot < 0 ? jobId : jobId.slice(0, dot);
}

/** Whether a job id names a root (roots have no parent, so no `.<n>` suffix). */
export function isRootJobId(jobId: string): boolean {
  return parseChildJobId(jobId) === undefined;
}

/** Ids of all `childCount` children of a parent, in order. */
export function childJobIds(parentId: string, childCount: number): string[] {
  return Array.from({ length: childCount }, (_, i) => childJobId(parentId, i + 1));
}

/** Bucket (0-based) that records the completion of a child. */
export function bucketOf(childIndex: number): number {
  return Math.floor((childIndex - 1) / CHILD_BUCKET_SIZE);
}

/** Number of completion buckets of a parent with `childCount` children. */
export function bucketCount(childCount: number): number {
  return Math.ceil(childCount / CHILD_BUCKET_SIZE);
}

/**
 * The buckets of `0 … count-1` not in `complete`, as inclusive ranges of consecutive buckets (one read each).
 * @example
 * incompleteRanges(new Set([1, 2]), 5); // [[0, 0], [3, 4]]
 */
export function incompleteRanges(complete: ReadonlySet<number>, count: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let b = 0; b < count; b++) {
    if (complete.has(b)) continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === b - 1) last[1] = b;
    else ranges.push([b, b]);
  }
  return ranges;
}

/** Number of children that report into `bucket`. */
export function bucketSize(bucket: number, childCount: number): number {
  return Math.min(CHILD_BUCKET_SIZE, childCount - bucket * CHILD_BUCKET_SIZE);
}

/**
 * Task id shown to users for the task at a 0-based position.
 * @example
 * taskIdOf(0); // 't1'
 */
export function taskIdOf(taskIndex: number): string {
  return `t${taskIndex + 1}`;
}

/** Inverse of {@link taskIdOf}; undefined when the id is not a task id. */
export function taskIndexOf(taskId: string): number | undefined {
  const m = /^t([1-9][0-9]{0,4})$/.exec(taskId);
  return m ? Number(m[1]) - 1 : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Routing targets
// ---------------------------------------------------------------------------------------------------------------

/** Worker inbox of an executor: where tasks pinned to it wait when it has no Lambda deployment. */
export function executorInbox(executorId: string): string {
  return `exec:${executorId}`;
}

/** Worker inbox of an external provider: where its unpinned tasks wait for a worker that offers it. */
export function providerInbox(provider: string): string {
  return `prov:${provider}`;
}

/**
 * The worker inbox a task would wait in: its executor's when pinned (`preLock`), else its provider's.
 * Whether it waits in an inbox at all is {@link routeTaskMessage}'s decision.
 */
export function inboxOf(message: Pick<TaskMessage, 'provider' | 'preLock'>): string {
  return message.preLock === undefined ? providerInbox(message.provider) : executorInbox(message.preLock);
}

/**
 * The worker inboxes a deployment declares: each external provider's, and each executor's that has a provider
 * deployment (`provider@executor` routes: its tasks of other providers wait in its inbox), in name order.
 * @example
 * declaredInboxes(['demo', 'demo@edge-1'], ['ext']); // ['exec:edge-1', 'prov:ext']
 */
export function declaredInboxes(routes: Iterable<string>, externalProviders: Iterable<string>): string[] {
  const inboxes = new Set<string>();
  for (const route of routes) {
    const at = route.indexOf('@');
    if (at >= 0) inboxes.add(executorInbox(route.slice(at + 1)));
  }
  for (const provider of externalProviders) inboxes.add(providerInbox(provider));
  return [...inboxes].sort();
}

/**
 * The queue route (a `JOBX_ROUTES` entry) of a message: its provider, or the provider's deployment under its
 * pinned executor (`provider@executor`). A pinned task never has the unpinned route.
 * @example
 * queueRouteOf({ provider: 'demo', preLock: 'edge-1' }); // 'demo@edge-1'
 */
export function queueRouteOf(message: Pick<TaskMessage, 'provider' | 'preLock'>): string {
  return message.preLock === undefined ? message.provider : `${message.provider}@${message.preLock}`;
}

/** A queue route with no queue behind it (a provider or `provider@executor` missing from `JOBX_ROUTES`). */
export class UnknownRouteError extends JobxError {
  /** The route that has no queue. */
  readonly route: string;

  constructor(route: string) {
    super('UNKNOWN_PROVIDER', `no queue for route ${route}`, { route });
    this.name = 'UnknownRouteError';
    this.route = route;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Schedule names
// ---------------------------------------------------------------------------------------------------------------

/** EventBridge Scheduler's limit on a schedule name. */
export const MAX_SCHEDULE_NAME_LENGTH = 64;
/** EventBridge Scheduler's pattern for a schedule name. */
export const SCHEDULE_NAME_PATTERN = /^[0-9a-zA-Z\-_.]+$/;
/** Hex digits of the identity hash in a long schedule name (128 bits). */
const NAME_HASH_DIGITS = 32;

/**
 * Name of the one-time schedule of one attempt: unique per (jobId, taskIndex, attempt), at most 64 characters,
 * and the same every time for the same attempt, so a replayed dispatch hits ConflictException instead of
 * scheduling twice.
 *
 * Two forms that can never be equal: `jobx-<jobId>-<taskIndex>-<attempt>` when that fits and the id uses only
 * name characters (injective: read from the right, the last two fields are numbers); otherwise
 * `jobx-<readable prefix>-h<sha-256 of the identity>` (its last field starts with `h`, so it is never a number).
 * @example
 * scheduleNameOf({ jobId: '01ABC.2', taskIndex: 1, attempt: 3 }); // 'jobx-01ABC.2-1-3'
 */
export function scheduleNameOf(message: Pick<TaskMessage, 'jobId' | 'taskIndex' | 'attempt'>): string {
  const plain = `jobx-${message.jobId}-${message.taskIndex}-${message.attempt}`;
  if (plain.length <= MAX_SCHEDULE_NAME_LENGTH && SCHEDULE_NAME_PATTERN.test(message.jobId)) return plain;
  // A deep child id is long: keep its head (the root's id) for people, and let the hash tell attempts apart.
  const hash = createHash('sha256').update(JSON.stringify([message.jobId, message.taskIndex, message.attempt])).digest('hex').slice(0, NAME_HASH_DIGITS);
  const room = MAX_SCHEDULE_NAME_LENGTH - 'jobx-'.length - '-h'.length - NAME_HASH_DIGITS;
  const readable = message.jobId.replace(/[^0-9a-zA-Z\-_.]/g, '_').slice(0, room);
  return `jobx-${readable}-h${hash}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Where a task message goes
// ---------------------------------------------------------------------------------------------------------------

/** SQS DelaySeconds holds at most 15 minutes; longer waits go through a one-time schedule. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/** What the deployment offers: which queue routes have a Lambda queue, which providers external workers serve. */
export interface RouteTopology {
  /** Whether a queue route (`provider` or `provider@executor`) has a Lambda queue. */
  hasQueue(route: string): boolean;
  /** Whether a provider is served by external workers (its unpinned tasks wait in `prov:<name>`). */
  isExternal(provider: string): boolean;
}

/** Where one task message goes, and when. */
export type TaskRoute =
  /** Send to the queue of `route` now (`delaySeconds` 0) or after up to 900 s. */
  | { kind: 'queue'; route: string; delaySeconds: number }
  /** Send to the queue of `route` at `at` (ms since epoch) through the one-time schedule `name`. */
  | { kind: 'schedule'; route: string; name: string; at: number }
  /** Wait in the worker inbox `target`, claimable from `visibleAt` (ms since epoch). */
  | { kind: 'inbox'; target: string; visibleAt: number };

/**
 * Decides where a task message goes. A pinned task goes to its executor's deployment (`provider@executor`), or,
 * when that executor has none, to the executor's worker inbox, whatever its delay (an inbox offer carries its
 * own visible time, so a long retry waits there and never touches a queue). An unpinned task of an external
 * provider without a queue waits in the provider's inbox. Everything else goes to a queue: now, after a queue
 * delay of up to 900 s, or through a one-time schedule for longer waits. A route without a queue is still a
 * queue route: the adapter refuses it with {@link UnknownRouteError} (the API refuses such jobs up front).
 * @param now - the current time (ms since epoch)
 * @param notBefore - when the message may run at the earliest (ms since epoch); undefined: now
 * @example
 * routeTaskMessage(message, { hasQueue: (r) => r === 'demo', isExternal: () => false }, now, now + 3_600_000);
 * // { kind: 'schedule', route: 'demo', name: 'jobx-…', at: now + 3_600_000 }
 */
export function routeTaskMessage(message: Pick<TaskMessage, 'jobId' | 'taskIndex' | 'attempt' | 'provider' | 'preLock'>, topology: RouteTopology, now: number, notBefore?: number): TaskRoute {
  const route = queueRouteOf(message);
  const pinned = message.preLock !== undefined;
  const inWorkerInbox = pinned ? !topology.hasQueue(route) : !topology.hasQueue(route) && topology.isExternal(message.provider);
  if (inWorkerInbox) return { kind: 'inbox', target: inboxOf(message), visibleAt: Math.max(notBefore ?? now, now) };
  const wait = notBefore === undefined ? 0 : notBefore - now;
  if (wait <= 0) return { kind: 'queue', route, delaySeconds: 0 };
  // Round up: a message must never run before its due time.
  if (wait <= MAX_QUEUE_DELAY_SECONDS * 1000) return { kind: 'queue', route, delaySeconds: Math.ceil(wait / 1000) };
  return { kind: 'schedule', route, name: scheduleNameOf(message), at: notBefore! };
}
