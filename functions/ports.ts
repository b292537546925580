/**
 * Ports: the small interfaces the engine needs from storage, queues and timers. Adapters implement them per service.
 * @module
 */
import type { JsonObject } from './core/json';
import type { AttemptError, JobRecord, JobResult, TaskGuard, TaskMessage, TaskRecord } from './core/model';

export type { TaskGuard } from './core/model';
export type { JobPatch, JobTree, TaskTxOp, TxOp } from './core/writes';
import type { JobPatch, JobTree, TaskTxOp, TxOp } from './core/writes';
import type { JobStatus } from './core/statuses';
import type { StagedPart } from './core/staging';
import type { RecentRoot } from './core/recent-roots';

export type { RecentRoot } from './core/recent-roots';

/** Storage of jobs, tasks and parent bookkeeping. Every method that guards an invariant is one conditional write. */
export interface JobStore {
  /**
   * Writes a planned submission, unless its root exists (then nothing is written and `created` is false):
   * descendants first (each only if absent), or, staged, the parts that hold them; then the root (only if
   * absent) with its token waiters, in one transaction, so a waiter never exists without its root.
   */
  createJobs(records: readonly JobRecord[], staged?: { nonce: string; parts: readonly StagedPart[] }): Promise<{ created: boolean; root: JobRecord }>;
  /**
   * Staged submissions (`core/staging.ts`), with `createJobs(records, staged)` writing the parts before the root:
   * the records of one part (undefined when it is gone).
   */
  stagedPart(rootId: string, nonce: string, index: number): Promise<JobRecord[] | undefined>;
  /** Writes job records, each only if absent (a record that exists, possibly started since, is left as it is). */
  createDescendants(records: readonly JobRecord[]): Promise<void>;
  /** Marks a part of a staging root expanded, once, only while the root stages from `nonce`. */
  markStagedPart(rootId: string, nonce: string, index: number): Promise<void>;
  /** Ends a root's staging with `patch`, only while it is pending, staging from `nonce`, with all `parts` marked. */
  finishStaging(rootId: string, nonce: string, parts: number, patch: JobPatch): Promise<boolean>;
  /** Reads one job record (strongly consistent). */
  getJob(jobId: string): Promise<JobRecord | undefined>;
  /** Reads job records (strongly consistent), those that exist, in the order asked; one request per 100 jobs. */
  getJobs(jobIds: readonly string[]): Promise<JobRecord[]>;
  /** Reads a job and everything stored under it. */
  getJobTree(jobId: string): Promise<JobTree | undefined>;
  /**
   * What the sweeper reads of a parent: its completion buckets, and only the children of the buckets not yet
   * complete (a bucket of a hundred finished children costs one small item, not a hundred), eventually
   * consistent (every repair is a conditional write, so a stale read only defers it).
   */
  unfinishedChildren(parentId: string, childCount: number): Promise<{ children: JobRecord[]; counted: Set<number> }>;
  /** Reads one task record (strongly consistent). */
  getTask(jobId: string, taskIndex: number): Promise<TaskRecord | undefined>;
  /** Writes a claimed attempt. False when the task was not in the state `before` (a duplicate or stale claim). */
  claimAttempt(before: TaskRecord | undefined, after: TaskRecord): Promise<boolean>;
  /**
   * Writes the end of the current attempt. False when that attempt is no longer the running one (or, with
   * `tokenNonce`, when the token is not the running attempt's).
   */
  endAttempt(before: TaskRecord, after: TaskRecord, opts?: { onlyIfLeaseExpiredAt?: number; tokenNonce?: string }): Promise<boolean>;
  /** Moves the lease of the running attempt named by a token. False when the token no longer names it. */
  extendLease(task: Pick<TaskRecord, 'jobId' | 'taskIndex'>, attempt: number, tokenNonce: string, leaseUntil: number): Promise<boolean>;
  /**
   * Moves a job from one of `from` to `patch.status`. False when it was in none of them, or when `guard` names
   * a task that is no longer in the state the decision was made from, or when `bucketsDone` is given and the
   * job no longer has exactly that many completion buckets counted (a child reopened since): nothing is written.
   */
  transitionJob(jobId: string, from: readonly JobStatus[], patch: JobPatch, guard?: TaskGuard, opts?: { bucketsDone?: number }): Promise<boolean>;
  /**
   * A parent's completion bucket as stored, strongly consistent: its version (how many times its children were
   * reopened; the version a count is decided at), the children counted in it, and whether the parent counted it
   * at that version. A replay that finds its children counted writes nothing.
   */
  bucketState(parentId: string, bucket: number): Promise<BucketState>;
  /** How many completion buckets a parent has counted (and failed), and its status; strongly consistent. */
  parentCounts(parentId: string): Promise<ParentCounts>;
  /**
   * Counts a finished child in its parent's bucket (idempotent per child), only if the bucket's children were not
   * reopened since `seenReopens` (read before the child was read).
   * @returns whether the bucket is now complete, whether any child in it failed and the bucket's version; or
   *   undefined when a reopen came in between (decide again)
   */
  countChild(parentId: string, childIndex: number, failed: boolean, bucketSize: number, seenReopens: number): Promise<{ bucketComplete: boolean; bucketFailed: boolean; reopens: number } | undefined>;
  /**
   * {@link countChild} for several finished children of one bucket in one write (a stream batch's), idempotent:
   * a replay writes nothing once every one of them is counted.
   */
  countChildren(parentId: string, bucket: number, children: readonly ChildCount[], bucketSize: number, seenReopens: number): Promise<{ bucketComplete: boolean; bucketFailed: boolean; reopens: number } | undefined>;
  /**
   * Counts a complete bucket on its parent (idempotent per bucket), only if none of its children was reopened
   * since it completed at version `seenReopens`.
   * @returns how many buckets are complete and failed, and the parent's status; undefined when a reopen came in between
   */
  countBucket(parentId: string, bucket: number, failed: boolean, seenReopens: number): Promise<ParentCounts | undefined>;
  /** Takes a finished root off the active index the sweeper walks (a root never activated costs no index write). */
  deactivateRoot(jobId: string): Promise<void>;
  /**
   * Keeps the result of an attempt that ended after its task was discarded: the attempt (still running while
   * its provider ran on) ends `abandoned` at `endedAt` with that result. Changes nothing else.
   */
  recordLateResult(jobId: string, taskIndex: number, attempt: number, result: { output?: JsonObject; error?: AttemptError }, endedAt: string): Promise<void>;
  /**
   * Writes several changes atomically (a manual action). Each op carries the condition that makes it valid.
   * @returns the index of the first op whose condition failed, or -1 when all were written
   */
  transact(ops: readonly TxOp[]): Promise<number>;
  /**
   * {@link transact} restricted to a task's own hold and release (replace or delete a task record, check its
   * job's status): what a provider's claim writes under a paused ancestor, so a provider needs no other grant.
   */
  transactTasks(ops: readonly TaskTxOp[]): Promise<number>;
  /** A token's holder and its waiters in order (first `limit`). */
  tokenState(token: string, limit: number): Promise<TokenState>;
  /**
   * Takes every token of a pending root at once and starts it, in one transaction: only if each token is free
   * (or held by a job in `staleHolders`, which finished without releasing it) and the job heads each queue.
   */
  acquireTokens(job: JobRecord, staleHolders: Readonly<Record<string, string>>): Promise<boolean>;
  /** Gives a root's tokens back (where it holds them) and leaves every queue it waits in. */
  releaseTokens(job: Pick<JobRecord, 'jobId' | 'tokens' | 'createdAt'>): Promise<void>;
  /** Removes one waiter item from a token's queue (a waiter whose job finished or never existed). */
  removeWaiter(token: string, waiter: { jobId: string; createdAt: string }): Promise<void>;
  /** Records why a pending root waits (only while it is pending). */
  setWaitingReason(jobId: string, reason: string): Promise<void>;
  /** Puts a task message in the worker inbox of `target`, visible from `visibleAt` (ms). */
  offer(target: string, visibleAt: number, message: TaskMessage): Promise<void>;
  /** Offers of `target` visible at `now`, oldest first. */
  dueOffers(target: string, now: number, limit: number): Promise<Offer[]>;
  /**
   * Removes an offer (claimed, or stale). With `claim`, the offer was claimed: a record of the claim is written
   * in the same write (it expires after a day), for {@link JobStore.inboxSummary}.
   */
  removeOffer(offer: Offer, claim?: { workerId: string; at: string }): Promise<void>;
  /** Every worker inbox that was ever offered a task (`exec:<id>`, `prov:<name>`), in name order. */
  inboxTargets(): Promise<string[]>;
  /**
   * What waits in an inbox and what was claimed from it lately: every waiting offer counted, the first
   * `offers` of them by visible time, and the newest `claims` claim records (newest first).
   */
  inboxSummary(target: string, opts: { offers: number; claims: number }): Promise<InboxSummary>;
  /** One page of root jobs, newest first. */
  listRoots(query: { limit: number; cursor?: string }): Promise<{ jobs: JobRecord[]; cursor?: string }>;
  /**
   * The same walk as {@link JobStore.listRoots} (same cursors), reading only each root's identity and status,
   * eventually consistent: what counting roots by status needs.
   */
  rootSummaries(query: { limit: number; cursor?: string }): Promise<{ roots: JobSummary[]; cursor?: string }>;
  /** Identity and status of the named jobs that exist (strongly consistent), by job id. */
  jobSummaries(jobIds: readonly string[]): Promise<Map<string, JobSummary>>;
  /**
   * Tokens in use (held, or with waiters), in name order, `limit` at a time, starting after the token `after`.
   * Eventually consistent: a token taken or given back a moment ago may show as it was. `more` says whether
   * tokens follow the page.
   */
  listTokens(query: { limit: number; after?: string }): Promise<{ tokens: TokenUse[]; more: boolean }>;
  /**
   * Ids of roots on the active index: unfinished roots activated by the sweeper ({@link JobStore.activateRoot}),
   * reopened roots, and roots created before activation was lazy (not yet published).
   */
  activeRoots(): AsyncIterable<string>;
  /**
   * The sweeper's walk of recent roots (`core/recent-roots.ts`): the first `limit` roots, oldest first, whose
   * creation key (`<createdAt>#<jobId>`) is at or after `since` (and after `after`, when given: where the
   * previous page ended), created in the months up to `until` (ISO). Each with its status and whether it is on
   * the active index, read eventually consistent (a root not found by that read comes without a status).
   */
  recentRoots(query: { since: string; after?: string; until: string; limit: number }): Promise<RecentRoot[]>;
  /**
   * Puts a root on the active index, only if it is not terminal and not on the index already.
   * @returns whether it was written (false: it finished meanwhile, or was active already)
   */
  activateRoot(jobId: string): Promise<boolean>;
  /** The sweeper's watermark of recent roots (strongly consistent); undefined before the first lazy sweep. */
  sweepMark(): Promise<string | undefined>;
  /**
   * Moves the watermark to `next`, only if it is still `expected` (undefined: none yet), so overlapping sweeps
   * never move it backward. @returns whether it was written
   */
  setSweepMark(expected: string | undefined, next: string): Promise<boolean>;
}

/** A token: who holds it and who waits for it, in order. */
export interface TokenState {
  token: string;
  holder?: { jobId: string; since: string };
  waiters: Array<{ jobId: string; createdAt: string }>;
}

/** A token in use, as {@link JobStore.listTokens} finds it: its holder, and how many roots wait for it. */
export interface TokenUse {
  token: string;
  holder?: { jobId: string; since: string };
  waiting: number;
}

/** What names a job and says where it stands, without the rest of its record. */
export interface JobSummary {
  jobId: string;
  name: string;
  owner: string;
  status: JobStatus;
}

/** An attempt waiting in a worker inbox, visible (claimable) from `visibleAt` (ms since epoch). */
export interface WaitingOffer {
  jobId: string;
  taskIndex: number;
  attempt: number;
  visibleAt: number;
}

/** The record of one claim from a worker inbox. */
export interface InboxClaim {
  jobId: string;
  taskIndex: number;
  attempt: number;
  /** The worker that claimed (the id in its claim's path). */
  workerId: string;
  /** When (ISO 8601). */
  at: string;
}

/** What {@link JobStore.inboxSummary} reads of one inbox. */
export interface InboxSummary {
  /** Every offer waiting, visible now or later. */
  offersWaiting: number;
  /** The first offers by visible time (as many as asked for). */
  offers: WaitingOffer[];
  /** The newest claims, newest first (as many as asked for, of the last day). */
  recentClaims: InboxClaim[];
}

/** The result table behind sync waits. */
export interface ResultStore {
  /**
   * Writes a finished root's row, only if the row does not describe a later run (or the same run, finished):
   * a replayed record of an earlier outcome never overwrites the answer to a later manual action.
   * @returns whether the row was written
   */
  put(result: JobResult): Promise<boolean>;
  get(jobId: string): Promise<JobResult | undefined>;
}

/** A completion bucket of a parent as read ({@link JobStore.bucketState}). */
export interface BucketState {
  /** The bucket's version: how many times one of its children was reopened (0 for a new bucket). */
  reopens: number;
  /** Children counted in it (at this version). */
  done: ReadonlySet<number>;
  /** Whether one of the counted children failed. */
  anyFailed: boolean;
  /** Whether the parent counted this bucket at this version (a reopen since uncounts it, and moves the version). */
  onParent: boolean;
}

/** A parent's completion counts. */
export interface ParentCounts {
  doneBuckets: number;
  failedBuckets: number;
  status: JobStatus;
}

/** A finished child to count in its bucket. */
export interface ChildCount {
  childIndex: number;
  failed: boolean;
}

/** The provider queues. */
export interface WorkQueue {
  /** Sends a task message to its provider's queue, delayed by up to 900 s. */
  send(message: TaskMessage, delaySeconds?: number): Promise<void>;
  /**
   * Sends task messages now, in as few requests as the queues take (SQS: ten per request and queue). Throws when
   * one could not be sent (some others may have been: each is claimed at most once, so sending again is safe).
   */
  sendMany(messages: readonly TaskMessage[]): Promise<void>;
  /**
   * How many messages wait to be received on a route's queue, approximately, as SQS counts them (visible ones:
   * neither in flight nor delayed). The sweeper asks before it sends a message again: a message it takes for
   * lost may only be waiting its turn.
   */
  waiting(route: string): Promise<number>;
  /** Whether a provider has a Lambda queue. */
  hasProvider(provider: string): boolean;
  /** Whether a provider is served by external workers (its tasks wait in the worker inbox). */
  isExternal(provider: string): boolean;
  /** The longest task timeout (seconds) the function behind a route can run; undefined when not bounded. */
  maxTaskSeconds(route: string): number | undefined;
  /** The worker inboxes the deployment declares (`core/routing.ts` `declaredInboxes`), in name order. */
  declaredInboxes(): string[];
}

/** A task message waiting in the worker inbox for an executor (`exec:<id>`) or an external provider (`prov:<name>`). */
export interface Offer {
  target: string;
  /** Sort key of the offer (visible time first). */
  key: string;
  message: TaskMessage;
}

/** One-time timers for delays longer than a queue can hold (EventBridge Scheduler on AWS). */
export interface RetryScheduler {
  /** Delivers `message` to its provider's queue at `at` (ms since epoch). Idempotent per name. */
  scheduleAt(name: string, at: number, message: TaskMessage): Promise<void>;
}

/** A job or task lifecycle event (EventBridge `detail-type` and `detail`). */
export interface LifecycleEvent {
  /** e.g. `jobx.job.succeeded`, `jobx.task.failed`. */
  type: string;
  detail: Record<string, unknown>;
}

/** Where lifecycle events go (an EventBridge bus on AWS; nowhere when none is configured). */
export interface EventPublisher {
  publish(events: readonly LifecycleEvent[]): Promise<void>;
}

/** Time source, so the core never reads a clock of its own. */
export interface Clock {
  now(): number;
  random(): number;
}

/** What running a task needs (the provider wrapper): the job store and the clock, nothing that dispatches. */
export interface TaskDeps {
  store: JobStore;
  clock: Clock;
}

/** Everything the engine needs, bundled. */
export interface EngineDeps extends TaskDeps {
  results: ResultStore;
  queue: WorkQueue;
  scheduler: RetryScheduler;
  events: EventPublisher;
}
