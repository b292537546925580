/**
 * {@link JobStore} on plain maps, with the same guards as the DynamoDB adapter: every write that the DynamoDB
 * adapter makes conditional is conditional here too, and applies the same partial update (never a wholesale
 * replace where DynamoDB updates a few attributes). It also plays DynamoDB's part around the writes:
 * - every change of a job or task item is handed to `onChange` with its old and new image, as a stream would;
 * - items over 400 KB are refused like DynamoDB refuses them, so size bugs show up in millisecond tests;
 * - `beforeWrite` runs before every write request, so a test can crash a handler between any two writes.
 * Engine flows run against it in milliseconds under a fake clock.
 * @module
 */
import type { JsonObject } from '../../core/json';
import type { AttemptError, AuditEntry, JobRecord, TaskMessage, TaskRecord } from '../../core/model';
import { bucketOf } from '../../core/submission';
import { CHILD_BUCKET_SIZE, bucketCount, bucketSize, childJobId, incompleteRanges } from '../../core/routing';
import type { StagedPart } from '../../core/staging';
import { creationKey, type RecentRoot } from '../../core/recent-roots';
import type { JobStatus } from '../../core/statuses';
import type { BucketState, ChildCount, Clock, InboxClaim, InboxSummary, JobPatch, JobStore, JobSummary, JobTree, Offer, ParentCounts, TaskGuard, TaskTxOp, TokenState, TokenUse, TxOp } from '../../ports';
import { CLAIMS_KEPT, inboxSummaryOf, summaryOf, tokenUses } from './console-reads';
import type { MemoryResultStore } from './result-store';

/** DynamoDB's largest item. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** What DynamoDB answers for an item over 400 KB (a ValidationException). */
export class ItemTooLargeError extends Error {
  constructor(
    readonly key: string,
    readonly bytes: number,
  ) {
    super(`Item size has exceeded the maximum allowed size (${key}: ${bytes} bytes)`);
    this.name = 'ValidationException';
  }
}

/** One committed change of a job or task item, as a DynamoDB stream record carries it. */
export type MemoryChange =
  | { key: string; type: 'job'; before?: JobRecord; after?: JobRecord }
  | { key: string; type: 'task'; before?: TaskRecord; after?: TaskRecord };

/** Options of {@link MemoryJobStore}. */
export interface MemoryJobStoreOptions {
  clock: Clock;
  /** The result table (manual actions remove a reopened root's row in the same transaction). */
  results: MemoryResultStore;
  /** Called with every change of a job or task item, in commit order. */
  onChange?: (change: MemoryChange) => void;
  /** Called before every write request (throw to simulate a crash between two writes). */
  beforeWrite?: (what: string) => void;
}

interface StoredJob extends JobRecord {
  doneBuckets?: Set<number>;
  failedBuckets?: Set<number>;
  active?: boolean;
  stagedParts?: Set<number>;
}

interface Bucket {
  done: Set<number>;
  failed: Set<number>;
  size?: number;
  /** Times one of its children was uncounted by a reopen (the version counts are guarded by). */
  reopens?: number;
  /** The version at which the parent counted this bucket. */
  onParent?: number;
}

const TERMINAL = new Set<JobStatus>(['succeeded', 'failed', 'discarded']);
const isRoot = (jobId: string) => !jobId.includes('.');
const clone = <T>(v: T): T => structuredClone(v);

/**
 * DynamoDB keeps no key order in maps, and GetItem and stream images return the same map's keys in different
 * orders: reads here reverse every map's keys and stream images sort them, so code that compares JSON by its
 * text (instead of by its content) fails in millisecond tests too, not only against a real table.
 */
function reordered<T>(value: T, order: 'reverse' | 'sort'): T {
  if (Array.isArray(value)) return value.map((v: unknown) => reordered(v, order)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Set) return value;
  const keys = Object.keys(value);
  const ordered = order === 'sort' ? [...keys].sort() : [...keys].reverse();
  return Object.fromEntries(ordered.map((k) => [k, reordered((value as Record<string, unknown>)[k], order)])) as T;
}
const read = <T>(v: T): T => reordered(clone(v), 'reverse');
const image = <T>(v: T): T => reordered(clone(v), 'sort');
const taskKeyOf = (jobId: string, taskIndex: number) => `${jobId}#T${taskIndex}`;

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, (_k, v: unknown) => (v instanceof Set ? [...v].sort() : v)) === JSON.stringify(b, (_k, v: unknown) => (v instanceof Set ? [...v].sort() : v));
}

function itemBytes(item: unknown): number {
  return Buffer.byteLength(JSON.stringify(item, (_k, v: unknown) => (v instanceof Set ? [...v] : v)), 'utf8');
}

function publicJob(job: StoredJob): JobRecord {
  const { doneBuckets: done, failedBuckets: failed, active: _a, stagedParts: staged, ...rest } = clone(job);
  if (done?.size) rest.bucketsDone = done.size;
  if (failed?.size) rest.bucketsFailed = failed.size;
  if (rest.staging && staged?.size) rest.staging = { ...rest.staging, done: [...staged].sort((a, b) => a - b) };
  return read(rest);
}

/** {@link JobStore} on maps. */
export class MemoryJobStore implements JobStore {
  /** Manual actions by job, oldest first. */
  readonly audits = new Map<string, AuditEntry[]>();
  readonly jobs = new Map<string, StoredJob>();
  readonly tasks = new Map<string, TaskRecord>();
  readonly buckets = new Map<string, Bucket>();
  readonly holders = new Map<string, { jobId: string; since: string }>();
  /** token → waiter sort key (`createdAt#jobId`) → waiter. */
  readonly waiters = new Map<string, Map<string, { jobId: string; createdAt: string }>>();
  /** target → offer key → offer. */
  readonly offers = new Map<string, Map<string, Offer>>();
  /** Reads the sweeper's cost is judged by: calls of `unfinishedChildren` and the child items they returned. */
  readonly reads = { unfinishedChildren: 0, childItems: 0 };
  /** Parts of staged submissions: `rootId#nonce#index` → records. */
  readonly parts = new Map<string, JobRecord[]>();
  /**
   * The sweeper's watermark of recent roots. It starts before every root (`''`): a table whose sweeper walked it
   * from its creation. `undefined` models a deployment upgraded to lazy activation, before its first lazy sweep.
   */
  sweepWatermark: string | undefined = '';

  constructor(private readonly opts: MemoryJobStoreOptions) {}

  private nowIso(): string {
    return new Date(this.opts.clock.now()).toISOString();
  }

  private write(what: string): void {
    this.opts.beforeWrite?.(what);
  }

  private setJob(jobId: string, next: StoredJob | undefined): void {
    const before = this.jobs.get(jobId);
    if (next) {
      const bytes = itemBytes(next);
      if (bytes > MAX_ITEM_BYTES) throw new ItemTooLargeError(`job ${jobId}`, bytes);
      this.jobs.set(jobId, next);
    } else this.jobs.delete(jobId);
    if (before && next && sameJson(before, next)) return;
    this.opts.onChange?.({ key: `job:${jobId}`, type: 'job', ...(before ? { before: image(publicJob(before)) } : {}), ...(next ? { after: image(publicJob(next)) } : {}) });
  }

  private setTask(task: TaskRecord): void {
    const key = taskKeyOf(task.jobId, task.taskIndex);
    const bytes = itemBytes(task);
    if (bytes > MAX_ITEM_BYTES) throw new ItemTooLargeError(`task ${key}`, bytes);
    const before = this.tasks.get(key);
    this.tasks.set(key, task);
    if (before && sameJson(before, task)) return;
    this.opts.onChange?.({ key: `task:${key}`, type: 'task', ...(before ? { before: image(before) } : {}), after: image(task) });
  }

  /** As the DynamoDB store: an existing root answers at once; else descendants, then root + waiters in one write. */
  async createJobs(records: readonly JobRecord[], staged?: { nonce: string; parts: readonly StagedPart[] }): Promise<{ created: boolean; root: JobRecord }> {
    const root = records[records.length - 1];
    if (!root) throw new Error('createJobs needs at least the root record');
    const found = this.jobs.get(root.jobId);
    if (found) return { created: false, root: publicJob(found) };
    for (const part of staged?.parts ?? []) {
      this.write('putStagedPart');
      this.parts.set(`${root.jobId}#${staged!.nonce}#${part.index}`, clone(part.records));
    }
    await this.createDescendants(records.slice(0, -1));
    // One transaction: the root only if absent, and with it the waiter of each of its tokens.
    this.write('createRoot');
    const existing = this.jobs.get(root.jobId);
    if (existing) return { created: false, root: publicJob(existing) };
    // Off the active index: the sweeper activates the root if it is still unfinished at the activation age.
    this.setJob(root.jobId, clone(root));
    if (root.tokens?.length && root.status === 'pending') {
      for (const token of root.tokens) {
        const queue = this.waiters.get(token) ?? new Map();
        queue.set(`${root.createdAt}#${root.jobId}`, { jobId: root.jobId, createdAt: root.createdAt });
        this.waiters.set(token, queue);
      }
    }
    return { created: true, root: clone(root) };
  }

  async createDescendants(records: readonly JobRecord[]): Promise<void> {
    for (const record of records) {
      this.write('createJob');
      if (!this.jobs.has(record.jobId)) this.setJob(record.jobId, clone(record));
    }
  }

  async stagedPart(rootId: string, nonce: string, index: number): Promise<JobRecord[] | undefined> {
    const part = this.parts.get(`${rootId}#${nonce}#${index}`);
    return part ? clone(part) : undefined;
  }

  async markStagedPart(rootId: string, nonce: string, index: number): Promise<void> {
    this.write('markStagedPart');
    const job = this.jobs.get(rootId);
    if (!job || job.staging?.nonce !== nonce || job.stagedParts?.has(index)) return;
    this.setJob(rootId, { ...clone(job), stagedParts: new Set([...(job.stagedParts ?? []), index]), updatedAt: this.nowIso() });
  }

  async finishStaging(rootId: string, nonce: string, parts: number, patch: JobPatch): Promise<boolean> {
    this.write('finishStaging');
    const job = this.jobs.get(rootId);
    if (!job || job.status !== 'pending' || job.staging?.nonce !== nonce || (job.stagedParts?.size ?? 0) !== parts) return false;
    const next: StoredJob = { ...clone(job), status: patch.status, updatedAt: this.nowIso() };
    delete next.staging;
    delete next.stagedParts;
    if (patch.reason !== undefined) next.reason = patch.reason;
    else delete next.reason;
    if (patch.startedAt !== undefined) next.startedAt = patch.startedAt;
    this.setJob(rootId, next);
    return true;
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const job = this.jobs.get(jobId);
    return job ? publicJob(job) : undefined;
  }

  async getJobs(jobIds: readonly string[]): Promise<JobRecord[]> {
    return jobIds.flatMap((id) => {
      const job = this.jobs.get(id);
      return job ? [publicJob(job)] : [];
    });
  }

  async getJobTree(jobId: string): Promise<JobTree | undefined> {
    const stored = this.jobs.get(jobId);
    if (!stored) return undefined;
    const job = publicJob(stored);
    const tasks: Array<TaskRecord | undefined> = new Array(job.tasks?.length ?? 0).fill(undefined);
    for (let i = 0; i < tasks.length; i++) {
      const task = this.tasks.get(taskKeyOf(jobId, i));
      if (task) tasks[i] = read(task);
    }
    const children: JobRecord[] = [];
    const countedChildren = new Set<number>();
    for (let i = 1; i <= (job.childCount ?? 0); i++) {
      const child = this.jobs.get(`${jobId}.${i}`);
      if (child) children.push(publicJob(child));
    }
    for (const [key, bucket] of this.buckets) if (key.startsWith(`${jobId}#B`)) for (const n of bucket.done) countedChildren.add(n);
    const audit = this.audits.get(jobId);
    return { job, tasks, children, countedChildren, ...(audit ? { audit: audit.map(clone) } : {}) };
  }

  async unfinishedChildren(parentId: string, childCount: number): Promise<{ children: JobRecord[]; counted: Set<number> }> {
    this.reads.unfinishedChildren++;
    const counted = new Set<number>();
    const complete = new Set<number>();
    for (let b = 0; b < bucketCount(childCount); b++) {
      const bucket = this.buckets.get(`${parentId}#B${b}`);
      for (const n of bucket?.done ?? []) counted.add(n);
      if ((bucket?.done.size ?? 0) >= bucketSize(b, childCount)) complete.add(b);
    }
    const children: JobRecord[] = [];
    for (const [from, to] of incompleteRanges(complete, bucketCount(childCount))) {
      for (let i = from * CHILD_BUCKET_SIZE + 1; i <= Math.min(childCount, (to + 1) * CHILD_BUCKET_SIZE); i++) {
        const child = this.jobs.get(childJobId(parentId, i));
        if (child) children.push(publicJob(child));
      }
    }
    this.reads.childItems += children.length;
    return { children, counted };
  }

  async getTask(jobId: string, taskIndex: number): Promise<TaskRecord | undefined> {
    const task = this.tasks.get(taskKeyOf(jobId, taskIndex));
    return task ? read(task) : undefined;
  }

  async claimAttempt(before: TaskRecord | undefined, after: TaskRecord): Promise<boolean> {
    this.write('claimAttempt');
    const key = taskKeyOf(after.jobId, after.taskIndex);
    const stored = this.tasks.get(key);
    if (!before) {
      if (stored) return false;
      this.setTask(clone(after));
      return true;
    }
    const n = after.attemptCount;
    if (!stored || (stored.status !== 'queued' && stored.status !== 'retrying') || stored.attemptCount !== n - 1) return false;
    const next: TaskRecord = { ...clone(stored), status: 'running', attemptCount: n, leaseUntil: after.leaseUntil!, updatedAt: after.updatedAt };
    next.attempts = [...next.attempts.slice(0, n - 1), clone(after.attempts[n - 1]!)];
    delete next.dueAt;
    delete next.reason;
    this.setTask(next);
    return true;
  }

  async endAttempt(before: TaskRecord, after: TaskRecord, opts?: { onlyIfLeaseExpiredAt?: number; tokenNonce?: string }): Promise<boolean> {
    this.write('endAttempt');
    const n = before.attemptCount;
    const stored = this.tasks.get(taskKeyOf(before.jobId, before.taskIndex));
    if (!stored || stored.status !== 'running' || stored.attemptCount !== n) return false;
    if (opts?.onlyIfLeaseExpiredAt !== undefined && !((stored.leaseUntil ?? Infinity) < opts.onlyIfLeaseExpiredAt)) return false;
    if (opts?.tokenNonce !== undefined && stored.attempts[n - 1]?.tokenNonce !== opts.tokenNonce) return false;
    const next: TaskRecord = { ...clone(stored), status: after.status, updatedAt: after.updatedAt };
    next.attempts = next.attempts.map((a, i) => (i === n - 1 ? clone(after.attempts[n - 1]!) : a));
    delete next.leaseUntil;
    delete next.held;
    if (after.dueAt !== undefined) next.dueAt = after.dueAt;
    else delete next.dueAt;
    if (after.reason !== undefined) next.reason = after.reason;
    else delete next.reason;
    if (after.continued) next.continued = true;
    this.setTask(next);
    return true;
  }

  async extendLease(task: Pick<TaskRecord, 'jobId' | 'taskIndex'>, attempt: number, tokenNonce: string, leaseUntil: number): Promise<boolean> {
    this.write('extendLease');
    const stored = this.tasks.get(taskKeyOf(task.jobId, task.taskIndex));
    if (!stored || stored.status !== 'running' || stored.attemptCount !== attempt || stored.attempts[attempt - 1]?.tokenNonce !== tokenNonce) return false;
    this.setTask({ ...clone(stored), leaseUntil });
    return true;
  }

  /** The job after a patch (the same fields DynamoDB's update expression sets and removes). */
  private patched(jobId: string, stored: StoredJob, patch: JobPatch, opts: Pick<Extract<TxOp, { op: 'updateJob' }>, 'reopen' | 'preSkipped' | 'uncountChildIndex' | 'run' | 'keepActive'> = {}): StoredJob {
    const next: StoredJob = { ...clone(stored), status: patch.status, updatedAt: this.nowIso() };
    for (const field of ['output', 'reason', 'startedAt', 'endedAt'] as const) {
      if (patch[field] !== undefined) (next as unknown as Record<string, unknown>)[field] = clone(patch[field]);
      else if (opts.reopen && field !== 'startedAt') delete next[field];
    }
    if (opts.preSkipped) next.preSkipped = true;
    if (opts.run !== undefined) next.run = opts.run;
    if ((opts.reopen || opts.keepActive) && isRoot(jobId)) next.active = true;
    else if (!opts.reopen && TERMINAL.has(patch.status) && isRoot(jobId)) delete next.active;
    if (opts.uncountChildIndex !== undefined) {
      const b = bucketOf(opts.uncountChildIndex);
      next.doneBuckets?.delete(b);
      next.failedBuckets?.delete(b);
    }
    return next;
  }

  async transitionJob(jobId: string, from: readonly JobStatus[], patch: JobPatch, guard?: TaskGuard, opts: { bucketsDone?: number } = {}): Promise<boolean> {
    this.write('transitionJob');
    const stored = this.jobs.get(jobId);
    if (!stored || !from.includes(stored.status)) return false;
    if (opts.bucketsDone !== undefined && (stored.doneBuckets?.size ?? 0) !== opts.bucketsDone) return false;
    if (guard) {
      const task = this.tasks.get(taskKeyOf(guard.jobId, guard.taskIndex));
      if (!task || task.status !== guard.status || task.attemptCount !== guard.attemptCount) return false;
    }
    this.setJob(jobId, this.patched(jobId, stored, patch));
    return true;
  }

  async bucketState(parentId: string, bucket: number): Promise<BucketState> {
    const stored = this.buckets.get(`${parentId}#B${bucket}`);
    const reopens = stored?.reopens ?? 0;
    return { reopens, done: new Set(stored?.done), anyFailed: (stored?.failed.size ?? 0) > 0, onParent: stored?.onParent === reopens };
  }

  async parentCounts(parentId: string): Promise<ParentCounts> {
    const now = this.jobs.get(parentId);
    return { doneBuckets: now?.doneBuckets?.size ?? 0, failedBuckets: now?.failedBuckets?.size ?? 0, status: now?.status ?? 'running' };
  }

  async countChild(parentId: string, childIndex: number, failed: boolean, size: number, seenReopens: number): Promise<{ bucketComplete: boolean; bucketFailed: boolean; reopens: number } | undefined> {
    return this.countChildren(parentId, bucketOf(childIndex), [{ childIndex, failed }], size, seenReopens);
  }

  async countChildren(parentId: string, bucketIndex: number, children: readonly ChildCount[], size: number, seenReopens: number): Promise<{ bucketComplete: boolean; bucketFailed: boolean; reopens: number } | undefined> {
    this.write('countChild');
    const key = `${parentId}#B${bucketIndex}`;
    const bucket = this.buckets.get(key) ?? { done: new Set<number>(), failed: new Set<number>() };
    if (children.some((c) => !bucket.done.has(c.childIndex))) {
      // As on DynamoDB: a reopen since the version was read makes the count fail (a replay carries on).
      if ((bucket.reopens ?? 0) !== seenReopens) return undefined;
      for (const c of children) {
        bucket.done.add(c.childIndex);
        if (c.failed) bucket.failed.add(c.childIndex);
      }
      bucket.size = size;
      this.buckets.set(key, bucket);
    }
    return { bucketComplete: bucket.done.size >= size, bucketFailed: bucket.failed.size > 0, reopens: bucket.reopens ?? 0 };
  }

  async countBucket(parentId: string, bucket: number, failed: boolean, seenReopens: number): Promise<ParentCounts | undefined> {
    this.write('countBucket');
    const stored = this.jobs.get(parentId);
    if (!stored) return { doneBuckets: 0, failedBuckets: 0, status: 'running' };
    if (!stored.doneBuckets?.has(bucket)) {
      const counted = this.buckets.get(`${parentId}#B${bucket}`);
      if ((counted?.reopens ?? 0) !== seenReopens) return undefined;
      const next = clone(stored);
      next.doneBuckets = new Set([...(next.doneBuckets ?? []), bucket]);
      if (failed) next.failedBuckets = new Set([...(next.failedBuckets ?? []), bucket]);
      this.setJob(parentId, next);
      // As on DynamoDB: the bucket keeps the version it was counted at, in the same transaction.
      if (counted) counted.onParent = seenReopens;
    }
    return this.parentCounts(parentId);
  }

  async deactivateRoot(jobId: string): Promise<void> {
    this.write('deactivateRoot');
    const stored = this.jobs.get(jobId);
    if (stored?.active && TERMINAL.has(stored.status)) {
      const next = clone(stored);
      delete next.active;
      this.setJob(jobId, next);
    }
  }

  async recordLateResult(jobId: string, taskIndex: number, attempt: number, result: { output?: JsonObject; error?: AttemptError }, endedAt: string): Promise<void> {
    this.write('recordLateResult');
    const stored = this.tasks.get(taskKeyOf(jobId, taskIndex));
    const at = stored?.attempts[attempt - 1];
    if (!stored || !at || stored.status !== 'discarded' || stored.attemptCount !== attempt || at.output !== undefined || at.error !== undefined) return;
    const next = clone(stored);
    const rec = next.attempts[attempt - 1]!;
    if (result.output !== undefined) rec.output = clone(result.output);
    else rec.error = clone(result.error!);
    rec.status = 'abandoned';
    rec.endedAt ??= endedAt;
    delete next.leaseUntil;
    this.setTask(next);
  }

  /** Whether a transaction op's condition holds on the current state. */
  private holds(op: TxOp): boolean {
    switch (op.op) {
      case 'putTask':
        return !this.tasks.has(taskKeyOf(op.task.jobId, op.task.taskIndex));
      case 'replaceTask': {
        const stored = this.tasks.get(taskKeyOf(op.before.jobId, op.before.taskIndex));
        return stored !== undefined && stored.status === op.before.status && stored.attemptCount === op.before.attemptCount;
      }
      case 'updateJob': {
        const stored = this.jobs.get(op.jobId);
        return stored !== undefined && op.from.includes(stored.status) && (!op.requirePausable || stored.pausable === true);
      }
      case 'checkJob': {
        const stored = this.jobs.get(op.jobId);
        return stored !== undefined && op.in.includes(stored.status);
      }
      case 'uncountBucket': {
        const stored = this.jobs.get(op.parentId);
        return stored !== undefined && op.in.includes(stored.status);
      }
      case 'deleteHeldTask': {
        const stored = this.tasks.get(taskKeyOf(op.task.jobId, op.task.taskIndex));
        return stored !== undefined && stored.status === op.task.status && stored.attemptCount === op.task.attemptCount;
      }
      case 'uncountChild':
      case 'resetResult':
      case 'putAudit':
        return true;
    }
  }

  private itemOf(op: TxOp): string {
    switch (op.op) {
      case 'putTask':
      case 'deleteHeldTask':
        return taskKeyOf(op.task.jobId, op.task.taskIndex);
      case 'replaceTask':
        return taskKeyOf(op.after.jobId, op.after.taskIndex);
      case 'updateJob':
      case 'checkJob':
        return `job:${op.jobId}`;
      case 'uncountBucket':
        return `job:${op.parentId}`;
      case 'uncountChild':
        return `${op.parentId}#B${bucketOf(op.childIndex)}`;
      case 'resetResult':
        return `result:${op.jobId}`;
      case 'putAudit':
        return `audit:${op.jobId}#${op.entry.at}#${op.nonce}`;
    }
  }

  async transactTasks(ops: readonly TaskTxOp[]): Promise<number> {
    return this.transact(ops);
  }

  async transact(ops: readonly TxOp[]): Promise<number> {
    this.write('transact');
    // DynamoDB refuses a transaction that names one item twice.
    const items = ops.map((op) => this.itemOf(op));
    if (new Set(items).size !== items.length) throw new Error(`ValidationException: Transaction request cannot include multiple operations on one item (${items.join(', ')})`);
    const failed = ops.findIndex((op) => !this.holds(op));
    if (failed >= 0) return failed;
    for (const op of ops) {
      switch (op.op) {
        case 'putTask':
          this.setTask(clone(op.task));
          break;
        case 'replaceTask':
          this.setTask(clone(op.after));
          break;
        case 'updateJob':
          this.setJob(op.jobId, this.patched(op.jobId, this.jobs.get(op.jobId)!, op.patch, op));
          break;
        case 'uncountChild': {
          const key = this.itemOf(op);
          const bucket = this.buckets.get(key) ?? { done: new Set<number>(), failed: new Set<number>() };
          bucket.done.delete(op.childIndex);
          bucket.failed.delete(op.childIndex);
          bucket.reopens = (bucket.reopens ?? 0) + 1;
          this.buckets.set(key, bucket);
          break;
        }
        case 'uncountBucket': {
          const next = clone(this.jobs.get(op.parentId)!);
          next.doneBuckets?.delete(bucketOf(op.childIndex));
          next.failedBuckets?.delete(bucketOf(op.childIndex));
          this.setJob(op.parentId, next);
          break;
        }
        case 'resetResult':
          this.opts.results.rows.set(op.jobId, { jobId: op.jobId, status: 'running', run: op.run });
          break;
        case 'deleteHeldTask': {
          const key = taskKeyOf(op.task.jobId, op.task.taskIndex);
          const before = this.tasks.get(key)!;
          this.tasks.delete(key);
          this.opts.onChange?.({ key: `task:${key}`, type: 'task', before: image(before) });
          break;
        }
        case 'checkJob':
          break;
        case 'putAudit': {
          const list = this.audits.get(op.jobId) ?? [];
          list.push(clone(op.entry));
          list.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
          this.audits.set(op.jobId, list);
          break;
        }
      }
    }
    return -1;
  }

  async tokenState(token: string, limit: number): Promise<TokenState> {
    const queue = [...(this.waiters.get(token) ?? new Map<string, { jobId: string; createdAt: string }>()).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const state: TokenState = { token, waiters: queue.slice(0, limit).map(([, w]) => ({ ...w })) };
    const holder = this.holders.get(token);
    if (holder) state.holder = { ...holder };
    return state;
  }

  async acquireTokens(job: JobRecord, staleHolders: Readonly<Record<string, string>>): Promise<boolean> {
    this.write('acquireTokens');
    const tokens = job.tokens ?? [];
    for (const token of tokens) {
      const holder = this.holders.get(token)?.jobId;
      if (holder !== undefined && holder !== job.jobId && holder !== staleHolders[token]) return false;
      if (!this.waiters.get(token)?.has(`${job.createdAt}#${job.jobId}`)) return false;
    }
    const stored = this.jobs.get(job.jobId);
    // As on DynamoDB: a root still creating its descendants takes no token.
    if (!stored || stored.status !== 'pending' || stored.staging) return false;
    const now = this.nowIso();
    for (const token of tokens) {
      this.holders.set(token, { jobId: job.jobId, since: now });
      this.waiters.get(token)!.delete(`${job.createdAt}#${job.jobId}`);
    }
    const next: StoredJob = { ...clone(stored), status: 'running', startedAt: now, updatedAt: now };
    delete next.reason;
    this.setJob(job.jobId, next);
    return true;
  }

  async releaseTokens(job: Pick<JobRecord, 'jobId' | 'tokens' | 'createdAt'>): Promise<void> {
    for (const token of job.tokens ?? []) {
      this.write('releaseToken');
      if (this.holders.get(token)?.jobId === job.jobId) this.holders.delete(token);
      this.write('leaveQueue');
      this.waiters.get(token)?.delete(`${job.createdAt}#${job.jobId}`);
    }
  }

  async removeWaiter(token: string, waiter: { jobId: string; createdAt: string }): Promise<void> {
    this.write('removeWaiter');
    this.waiters.get(token)?.delete(`${waiter.createdAt}#${waiter.jobId}`);
  }

  async setWaitingReason(jobId: string, reason: string): Promise<void> {
    this.write('setWaitingReason');
    const stored = this.jobs.get(jobId);
    if (!stored || stored.status !== 'pending' || stored.reason === reason) return;
    this.setJob(jobId, { ...clone(stored), reason });
  }

  /** Offer markers: `target#jobId#taskIndex#attempt` → the offer key that attempt waits under. */
  readonly offerMarkers = new Map<string, string>();

  async offer(target: string, visibleAt: number, message: TaskMessage): Promise<void> {
    this.write('offer');
    // Once per attempt and inbox: a marker names the one offer, as in the DynamoDB store's transaction.
    const marker = `${target}#${message.jobId}#${message.taskIndex}#${message.attempt}`;
    if (this.offerMarkers.has(marker)) return;
    const inbox = this.offers.get(target) ?? new Map<string, Offer>();
    const key = `${String(visibleAt).padStart(15, '0')}#${message.jobId}#${message.taskIndex}#${message.attempt}`;
    inbox.set(key, { target, key, message: clone(message) });
    this.offers.set(target, inbox);
    this.offerMarkers.set(marker, key);
    this.inboxes.add(target);
  }

  async dueOffers(target: string, now: number, limit: number): Promise<Offer[]> {
    const until = String(now + 1).padStart(15, '0');
    return [...(this.offers.get(target)?.values() ?? [])]
      .filter((o) => o.key < until)
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .slice(0, limit)
      .map(clone);
  }

  async removeOffer(offer: Offer, claim?: { workerId: string; at: string }): Promise<void> {
    this.write('removeOffer');
    const m = offer.message;
    const marker = `${offer.target}#${m.jobId}#${m.taskIndex}#${m.attempt}`;
    if (this.offerMarkers.get(marker) === offer.key) this.offerMarkers.delete(marker);
    this.offers.get(offer.target)?.delete(offer.key);
    if (claim) {
      const kept = this.claims.get(offer.target) ?? [];
      kept.push({ jobId: m.jobId, taskIndex: m.taskIndex, attempt: m.attempt, workerId: claim.workerId, at: claim.at });
      this.claims.set(offer.target, kept.slice(-CLAIMS_KEPT));
    }
  }

  /** Inboxes ever offered a task. */
  readonly inboxes = new Set<string>();
  /** Claim records by inbox, oldest first. */
  readonly claims = new Map<string, InboxClaim[]>();

  async inboxTargets(): Promise<string[]> {
    return [...this.inboxes].sort();
  }

  async inboxSummary(target: string, opts: { offers: number; claims: number }): Promise<InboxSummary> {
    return inboxSummaryOf(target, this.offerMarkers, this.claims.get(target), opts);
  }

  async listTokens(query: { limit: number; after?: string }): Promise<{ tokens: TokenUse[]; more: boolean }> {
    return tokenUses(this.holders, this.waiters, query);
  }

  async jobSummaries(jobIds: readonly string[]): Promise<Map<string, JobSummary>> {
    const found = jobIds.map((id) => this.jobs.get(id)).filter((j): j is StoredJob => j !== undefined);
    return new Map(found.map((j) => [j.jobId, summaryOf(j)]));
  }

  async rootSummaries(query: { limit: number; cursor?: string }): Promise<{ roots: JobSummary[]; cursor?: string }> {
    const { jobs, cursor } = await this.listRoots(query);
    return cursor === undefined ? { roots: jobs.map(summaryOf) } : { roots: jobs.map(summaryOf), cursor };
  }

  async listRoots(query: { limit: number; cursor?: string }): Promise<{ jobs: JobRecord[]; cursor?: string }> {
    const roots = [...this.jobs.values()].filter((j) => j.parentId === undefined).sort((a, b) => (`${b.createdAt}#${b.jobId}` < `${a.createdAt}#${a.jobId}` ? -1 : 1));
    const start = query.cursor === undefined ? 0 : Number(query.cursor);
    const page = roots.slice(start, start + query.limit).map(publicJob);
    return start + query.limit < roots.length ? { jobs: page, cursor: String(start + query.limit) } : { jobs: page };
  }

  async *activeRoots(): AsyncIterable<string> {
    for (const [jobId, job] of [...this.jobs.entries()]) if (job.active) yield jobId;
  }

  /** As the list index walk of the DynamoDB store: roots by creation key, in the months up to `until`. */
  async recentRoots(query: { since: string; after?: string; until: string; limit: number }): Promise<RecentRoot[]> {
    const month = query.until.slice(0, 7);
    return [...this.jobs.values()]
      .filter((j) => j.parentId === undefined && j.createdAt.slice(0, 7) <= month)
      .map((j) => ({ job: j, key: creationKey(j) }))
      .filter(({ key }) => key >= query.since && (query.after === undefined || key > query.after))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, Math.max(1, query.limit))
      .map(({ job, key }) => ({ jobId: job.jobId, createdAt: job.createdAt, key, status: job.status, active: job.active === true }));
  }

  async activateRoot(jobId: string): Promise<boolean> {
    this.write('activateRoot');
    const stored = this.jobs.get(jobId);
    // As on DynamoDB: only an existing root, not finished, not on the index already.
    if (!stored || stored.parentId !== undefined || stored.active || TERMINAL.has(stored.status)) return false;
    this.setJob(jobId, { ...clone(stored), active: true });
    return true;
  }

  async sweepMark(): Promise<string | undefined> {
    return this.sweepWatermark;
  }

  async setSweepMark(expected: string | undefined, next: string): Promise<boolean> {
    this.write('setSweepMark');
    if (this.sweepWatermark !== expected) return false;
    this.sweepWatermark = next;
    return true;
  }
}
