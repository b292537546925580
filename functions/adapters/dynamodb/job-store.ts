/**
 * The jobs table through the DynamoDB document client. Each method is one request; the ones that guard an
 * invariant carry a named condition from `conditions.ts` and turn a failed check into `false`.
 * @module
 */
import { ConditionalCheckFailedException, TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { JobxError } from '../../core/errors';
import type { JsonObject } from '../../core/json';
import type { AttemptError, AuditEntry, JobRecord, TaskMessage, TaskRecord } from '../../core/model';
import type { JobStatus } from '../../core/statuses';
import type { JobPatch, JobStore, JobTree, Offer, TaskGuard, TaskTxOp, TokenState, TxOp } from '../../ports';
import { isTaskTxOp } from '../../core/writes';
import {
  BUCKET_NOT_COUNTED,
  BUCKET_NOT_REOPENED,
  CHILD_NOT_COUNTED,
  CLAIM_FIRST_ATTEMPT,
  CLAIM_NEXT_ATTEMPT,
  CREATE_IF_ABSENT,
  END_CURRENT_ATTEMPT,
  JOB_PAUSABLE,
  JOB_PENDING,
  LATE_RESULT_OF_DISCARDED,
  STILL_WAITING,
  TOKEN_FREE,
  TOKEN_HELD_BY_ME,
  LEASE_EXPIRED,
  MARKER_OF_OFFER,
  OFFER_NOT_WAITING,
  ROOT_FINISHED,
  TASK_UNCHANGED,
  cancelledByCondition,
  conditional,
  jobInStatus,
  tokenMatches,
} from './conditions';
import { mapLimit } from '../../util/map-limit';
import { CHILD_BUCKET_SIZE, bucketCount, bucketOf, bucketSize, childJobId, incompleteRanges } from '../../core/routing';
import type { StagedPart } from '../../core/staging';
import { DynamoStagedParts } from './staged-parts';
import { ACTIVE_INDEX, ACTIVE_SHARDS, LIST_INDEX, activeShardOf, auditKey, bucketKey, inboxPartitionOf, jobKey, offerKey, offerMarkerKey, partitionOf, taskKey, tokenKey, waiterKey } from './keys';

type Item = Record<string, unknown>;

const JOB_ITEM_ONLY = new Set(['pk', 'sk', 't', 'activeShard', 'doneBuckets', 'failedBuckets', 'stagedParts']);
const TASK_ITEM_ONLY = new Set(['pk', 'sk', 't']);

/** Strips storage-only attributes from a job item (a parent's bucket sets become counts). */
function auditFromItem(item: Item): AuditEntry {
  const entry: AuditEntry = { action: item.action as AuditEntry['action'], by: String(item.by), at: String(item.at) };
  if (item.taskId !== undefined) entry.taskId = String(item.taskId);
  if (item.reason !== undefined) entry.reason = String(item.reason);
  return entry;
}

export function jobFromItem(item: Item): JobRecord {
  const out: Item = {};
  for (const [k, v] of Object.entries(item)) if (!JOB_ITEM_ONLY.has(k)) out[k] = v;
  const done = item.doneBuckets as Set<number> | undefined;
  const failed = item.failedBuckets as Set<number> | undefined;
  if (done?.size) out.bucketsDone = done.size;
  if (failed?.size) out.bucketsFailed = failed.size;
  const staged = item.stagedParts as Set<number> | undefined;
  if (out.staging && staged?.size) out.staging = { ...(out.staging as object), done: [...staged].sort((a, b) => a - b) };
  return out as unknown as JobRecord;
}

/** Strips storage-only attributes from a task item. */
export function taskFromItem(item: Item): TaskRecord {
  const out: Item = {};
  for (const [k, v] of Object.entries(item)) if (!TASK_ITEM_ONLY.has(k)) out[k] = v;
  return out as unknown as TaskRecord;
}

function jobItem(job: JobRecord): Item {
  const item: Item = { ...jobKey(job.jobId), t: 'job', ...job };
  if (job.parentId === undefined) {
    item.activeShard = activeShardOf(job.jobId);
    Object.assign(item, listKeyOf(job));
  }
  return item;
}

/** A root's place in the list index: newest first within its month. */
function listKeyOf(job: Pick<JobRecord, 'jobId' | 'createdAt'>): { listPk: string; listSk: string } {
  return { listPk: `ALL#${job.createdAt.slice(0, 7)}`, listSk: `${job.createdAt}#${job.jobId}` };
}

const TERMINAL = new Set<JobStatus>(['succeeded', 'failed', 'discarded']);
const isRoot = (jobId: string) => !jobId.includes('.');


/** Options of {@link DynamoJobStore}. */
export interface DynamoJobStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** The result table (manual actions remove a reopened job's result row in the same transaction). */
  resultsTableName: string;
  /** Concurrent writes when creating a large submission. @default 16 */
  writeConcurrency?: number;
}

/** {@link JobStore} on a DynamoDB table. */
export class DynamoJobStore implements JobStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly concurrency: number;
  private readonly resultsTable: string;
  private readonly knownMonths = new Set<string>();
  private readonly parts: DynamoStagedParts;

  constructor(opts: DynamoJobStoreOptions) {
    this.client = opts.client;
    this.table = opts.tableName;
    this.resultsTable = opts.resultsTableName;
    this.concurrency = opts.writeConcurrency ?? 16;
    this.parts = new DynamoStagedParts(opts.client, opts.tableName, this.concurrency);
  }

  /**
   * Idempotent per root id (invariant 9): a root that exists already answers `created: false` and nothing is
   * written, no waiter, no child. Otherwise the descendants go first (each only if absent: a resubmission after a
   * crash fills in what is missing without touching what exists), then the root together with its token waiters
   * in one transaction, the root only if absent: a crash never leaves a waiter without its root, and a submit
   * that loses the race for the root writes no waiter.
   * Accepted residual case: two submits of one bizId racing with *different* specs may both pass the first read;
   * then whichever descendant is written first under an id stays (the winner's tree may hold some of the loser's
   * children), and the loser's descendants beyond the winner's own stay behind, never started. Identical
   * resubmissions, concurrent or not, write identical descendants, which is harmless.
   */
  async createJobs(records: readonly JobRecord[], staged?: { nonce: string; parts: readonly StagedPart[] }): Promise<{ created: boolean; root: JobRecord }> {
    const root = records[records.length - 1];
    if (!root) throw new Error('createJobs needs at least the root record');
    const existing = await this.getJob(root.jobId);
    if (existing) return { created: false, root: existing };
    if (staged) await this.parts.put(root.jobId, staged.nonce, staged.parts, Date.now());
    await this.createDescendants(records.slice(0, -1));
    await this.noteListMonth(root.createdAt.slice(0, 7));
    // A root waiting for tokens joins each token's queue in the same write that creates it.
    const waiters = root.tokens?.length && root.status === 'pending' ? root.tokens : [];
    for (let attempt = 1; ; attempt++) {
      try {
        // Literal inputs (not a shared object): the IAM contract test reads each command's table from its input.
        if (waiters.length === 0) await this.client.send(new PutCommand({ TableName: this.table, Item: jobItem(root), ConditionExpression: CREATE_IF_ABSENT, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
        else {
          await this.client.send(
            new TransactWriteCommand({
              TransactItems: [
                { Put: { TableName: this.table, Item: jobItem(root), ConditionExpression: CREATE_IF_ABSENT, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
                ...waiters.map((token) => ({ Put: { TableName: this.table, Item: { ...waiterKey(token, root.createdAt, root.jobId), jobId: root.jobId, createdAt: root.createdAt } } })),
              ],
            }),
          );
        }
        return { created: true, root };
      } catch (err) {
        const lost = err instanceof ConditionalCheckFailedException || cancelledByCondition(err, 0);
        // A transaction cancelled by a concurrent one on the same items (TransactionConflict) is tried again.
        const conflict = !lost && (err instanceof TransactionCanceledException || (err as Error).name === 'TransactionCanceledException') && attempt < 5;
        if (!lost && !conflict) throw err;
        const oldItem = err instanceof ConditionalCheckFailedException ? err.Item : (err as TransactionCanceledException).CancellationReasons?.[0]?.Item;
        const winner = oldItem ? jobFromItem(unmarshallLoose(oldItem)) : await this.getJob(root.jobId);
        if (winner) return { created: false, root: winner };
        if (!conflict) throw err;
      }
    }
  }

  async createDescendants(records: readonly JobRecord[]): Promise<void> {
    await mapLimit(records, this.concurrency, async (record) => {
      await conditional(() => this.client.send(new PutCommand({ TableName: this.table, Item: jobItem(record), ConditionExpression: CREATE_IF_ABSENT })));
    });
  }

  async stagedPart(rootId: string, nonce: string, index: number): Promise<JobRecord[] | undefined> {
    return this.parts.get(rootId, nonce, index);
  }

  async markStagedPart(rootId: string, nonce: string, index: number): Promise<void> {
    return this.parts.mark(rootId, nonce, index);
  }

  async finishStaging(rootId: string, nonce: string, parts: number, patch: JobPatch): Promise<boolean> {
    return this.parts.finish(rootId, nonce, parts, patch);
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: jobKey(jobId), ConsistentRead: true }));
    return out.Item ? jobFromItem(out.Item) : undefined;
  }

  async getJobTree(jobId: string): Promise<JobTree | undefined> {
    const key = jobKey(jobId);
    const ownsMeta = key.pk === partitionOf(jobId);
    const items = await this.queryPartition(partitionOf(jobId));
    let jobItemFound: Item | undefined = ownsMeta ? items.find((i) => i.sk === 'J') : undefined;
    if (!ownsMeta) {
      const out = await this.client.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
      jobItemFound = out.Item;
    }
    if (!jobItemFound) return undefined;
    const job = jobFromItem(jobItemFound);
    const tasks: Array<TaskRecord | undefined> = new Array(job.tasks?.length ?? 0).fill(undefined);
    const children: JobRecord[] = [];
    const countedChildren = new Set<number>();
    const audit: AuditEntry[] = [];
    for (const item of items) {
      const sk = String(item.sk);
      if (sk.startsWith('T#')) {
        const task = taskFromItem(item);
        tasks[task.taskIndex] = task;
      } else if (sk.startsWith('C#')) children.push(jobFromItem(item));
      else if (sk.startsWith('B#')) for (const n of (item.done as Set<number> | undefined) ?? []) countedChildren.add(Number(n));
      else if (sk.startsWith('A#')) audit.push(auditFromItem(item));
    }
    return { job, tasks, children, countedChildren, ...(audit.length ? { audit } : {}) };
  }

  async unfinishedChildren(parentId: string, childCount: number): Promise<{ children: JobRecord[]; counted: Set<number> }> {
    const pk = partitionOf(parentId);
    const counted = new Set<number>();
    const complete = new Set<number>();
    for (const item of await this.queryRange(pk, 'B#', 'B$')) {
      const done = (item.done as Set<number> | undefined) ?? new Set<number>();
      for (const n of done) counted.add(Number(n));
      const bucket = Number(String(item.sk).slice(2));
      if (done.size >= bucketSize(bucket, childCount)) complete.add(bucket);
    }
    const children: JobRecord[] = [];
    for (const [from, to] of incompleteRanges(complete, bucketCount(childCount))) {
      const first = from * CHILD_BUCKET_SIZE + 1;
      const last = Math.min(childCount, (to + 1) * CHILD_BUCKET_SIZE);
      for (const item of await this.queryRange(pk, jobKey(childJobId(parentId, first)).sk, jobKey(childJobId(parentId, last)).sk)) children.push(jobFromItem(item));
    }
    return { children, counted };
  }

  /** Every item of a partition with a sort key in [from, to], eventually consistent (the sweeper's reads). */
  private queryRange(pk: string, from: string, to: string): Promise<Item[]> {
    return this.queryAll('pk = :pk AND sk BETWEEN :from AND :to', { ':pk': pk, ':from': from, ':to': to }, false);
  }

  /** Every item of a partition, strongly consistent. */
  private queryPartition(pk: string): Promise<Item[]> {
    return this.queryAll('pk = :pk', { ':pk': pk }, true);
  }

  /** Every page of one Query, to the end (a page DynamoDB cuts at 1 MB is not the end). */
  private async queryAll(keyCondition: string, values: Record<string, unknown>, consistent: boolean): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({ TableName: this.table, KeyConditionExpression: keyCondition, ExpressionAttributeValues: values, ConsistentRead: consistent, ExclusiveStartKey: start }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async getTask(jobId: string, taskIndex: number): Promise<TaskRecord | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: taskKey(jobId, taskIndex), ConsistentRead: true }));
    return out.Item ? taskFromItem(out.Item) : undefined;
  }

  async claimAttempt(before: TaskRecord | undefined, after: TaskRecord): Promise<boolean> {
    if (!before) {
      const done = await conditional(() =>
        this.client.send(
          new PutCommand({ TableName: this.table, Item: { ...taskKey(after.jobId, after.taskIndex), t: 'task', ...after }, ConditionExpression: CLAIM_FIRST_ATTEMPT }),
        ),
      );
      return done !== undefined;
    }
    const n = after.attemptCount;
    const done = await conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: taskKey(after.jobId, after.taskIndex),
          ConditionExpression: CLAIM_NEXT_ATTEMPT,
          // Setting index n-1 of a list of n-1 elements appends: the earlier attempts are never rewritten.
          UpdateExpression: `SET #status = :running, #attemptCount = :n, #leaseUntil = :lease, #updatedAt = :now, #attempts[${n - 1}] = :attempt REMOVE #dueAt, #reason`,
          ExpressionAttributeNames: { '#status': 'status', '#attemptCount': 'attemptCount', '#leaseUntil': 'leaseUntil', '#updatedAt': 'updatedAt', '#attempts': 'attempts', '#dueAt': 'dueAt', '#reason': 'reason' },
          ExpressionAttributeValues: {
            ':running': 'running',
            ':queued': 'queued',
            ':retrying': 'retrying',
            ':prev': n - 1,
            ':n': n,
            ':lease': after.leaseUntil,
            ':now': after.updatedAt,
            ':attempt': after.attempts[n - 1],
          },
        }),
      ),
    );
    return done !== undefined;
  }

  async extendLease(task: Pick<TaskRecord, 'jobId' | 'taskIndex'>, attempt: number, tokenNonce: string, leaseUntil: number): Promise<boolean> {
    const done = await conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: taskKey(task.jobId, task.taskIndex),
          ConditionExpression: `${END_CURRENT_ATTEMPT} AND ${tokenMatches(attempt)}`,
          UpdateExpression: 'SET #leaseUntil = :lease',
          ExpressionAttributeNames: { '#status': 'status', '#attemptCount': 'attemptCount', '#leaseUntil': 'leaseUntil', '#attempts': 'attempts', '#tokenNonce': 'tokenNonce' },
          ExpressionAttributeValues: { ':running': 'running', ':attempt': attempt, ':lease': leaseUntil, ':nonce': tokenNonce },
        }),
      ),
    );
    return done !== undefined;
  }

  async endAttempt(before: TaskRecord, after: TaskRecord, opts?: { onlyIfLeaseExpiredAt?: number; tokenNonce?: string }): Promise<boolean> {
    const n = before.attemptCount;
    // Every name through a placeholder: several attribute names are DynamoDB reserved words.
    const names: Record<string, string> = { '#status': 'status', '#attemptCount': 'attemptCount', '#attempts': 'attempts', '#updatedAt': 'updatedAt', '#leaseUntil': 'leaseUntil', '#dueAt': 'dueAt', '#reason': 'reason', '#held': 'held' };
    const values: Record<string, unknown> = { ':running': 'running', ':attempt': n, ':status': after.status, ':rec': after.attempts[n - 1], ':now': after.updatedAt };
    const sets = ['#status = :status', `#attempts[${n - 1}] = :rec`, '#updatedAt = :now'];
    // A pause's hold applies to the attempt that ends here, not to later runs.
    const removes = ['#leaseUntil', '#held'];
    if (after.dueAt !== undefined) {
      sets.push('#dueAt = :due');
      values[':due'] = after.dueAt;
    } else removes.push('#dueAt');
    if (after.reason !== undefined) {
      sets.push('#reason = :reason');
      values[':reason'] = after.reason;
    } else removes.push('#reason');
    let condition = END_CURRENT_ATTEMPT;
    if (opts?.onlyIfLeaseExpiredAt !== undefined) {
      condition = `${condition} AND ${LEASE_EXPIRED}`;
      values[':lnow'] = opts.onlyIfLeaseExpiredAt;
    }
    if (opts?.tokenNonce !== undefined) {
      condition = `${condition} AND ${tokenMatches(n)}`;
      names['#tokenNonce'] = 'tokenNonce';
      values[':nonce'] = opts.tokenNonce;
    }
    const done = await conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: taskKey(before.jobId, before.taskIndex),
          ConditionExpression: condition,
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
    return done !== undefined;
  }

  async transitionJob(jobId: string, from: readonly JobStatus[], patch: JobPatch, guard?: TaskGuard, opts: { bucketsDone?: number } = {}): Promise<boolean> {
    const expr = jobPatchExpression(jobId, from, patch);
    if (opts.bucketsDone !== undefined) {
      expr.ConditionExpression = `${expr.ConditionExpression} AND size(doneBuckets) = :bucketsDone`;
      expr.ExpressionAttributeValues[':bucketsDone'] = opts.bucketsDone;
    }
    if (!guard) {
      const done = await conditional(() => this.client.send(new UpdateCommand({ TableName: this.table, Key: jobKey(jobId), ...expr })));
      return done !== undefined;
    }
    // The job moves only while the task it was decided from is still as it was read (one transaction).
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: { TableName: this.table, Key: jobKey(jobId), ...expr } },
            {
              ConditionCheck: {
                TableName: this.table,
                Key: taskKey(guard.jobId, guard.taskIndex),
                ConditionExpression: TASK_UNCHANGED,
                ExpressionAttributeNames: { '#status': 'status', '#attemptCount': 'attemptCount' },
                ExpressionAttributeValues: { ':seen': guard.status, ':n': guard.attemptCount },
              },
            },
          ],
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof TransactionCanceledException) return false;
      throw err;
    }
  }

  async bucketReopens(parentId: string, bucket: number): Promise<number> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: bucketKey(parentId, bucket), ConsistentRead: true, ProjectionExpression: 'reopens' }));
    return Number(out.Item?.reopens ?? 0);
  }

  async countChild(parentId: string, childIndex: number, failed: boolean, size: number, seenReopens: number) {
    const bucket = bucketOf(childIndex);
    const values: Record<string, unknown> = { ':child': childIndex, ':one': new Set([childIndex]), ':size': size, ':seen': seenReopens };
    const update = failed ? 'ADD #done :one, #failed :one SET #size = :size' : 'ADD #done :one SET #size = :size';
    const { item, written } = await this.addOnceOrOld({
      Key: bucketKey(parentId, bucket),
      ConditionExpression: `${CHILD_NOT_COUNTED} AND ${BUCKET_NOT_REOPENED}`,
      UpdateExpression: update,
      ExpressionAttributeNames: { '#size': 'size', '#done': 'done', ...(failed ? { '#failed': 'failed' } : {}) },
      ExpressionAttributeValues: values,
    });
    const done = (item?.done as Set<number> | undefined) ?? new Set<number>();
    // Not written and not counted already: a reopen moved the bucket since `seenReopens` (decide again).
    if (!written && !done.has(childIndex)) return undefined;
    const failedCount = (item?.failed as Set<number> | undefined)?.size ?? 0;
    return { bucketComplete: done.size >= size, bucketFailed: failedCount > 0, reopens: Number(item?.reopens ?? 0) };
  }

  async countBucket(parentId: string, bucket: number, failed: boolean, seenReopens: number) {
    // The parent counts the bucket only while none of its children was reopened since it completed: one
    // transaction with a check of the bucket's version (once per hundred children, so the doubled cost is small).
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: jobKey(parentId),
                ConditionExpression: `attribute_exists(pk) AND ${BUCKET_NOT_COUNTED}`,
                UpdateExpression: failed ? 'ADD doneBuckets :one, failedBuckets :one' : 'ADD doneBuckets :one',
                ExpressionAttributeValues: { ':bucket': bucket, ':one': new Set([bucket]) },
              },
            },
            {
              ConditionCheck: {
                TableName: this.table,
                Key: bucketKey(parentId, bucket),
                ConditionExpression: BUCKET_NOT_REOPENED,
                ExpressionAttributeValues: { ':seen': seenReopens },
              },
            },
          ],
        }),
      );
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      // Counted already (a replay) carries on as the first delivery did; a reopen in between stops here.
      if (!cancelledByCondition(err, 0)) return undefined;
    }
    const parent = await this.client.send(new GetCommand({ TableName: this.table, Key: jobKey(parentId), ConsistentRead: true, ProjectionExpression: 'doneBuckets, failedBuckets, #status', ExpressionAttributeNames: { '#status': 'status' } }));
    return {
      doneBuckets: (parent.Item?.doneBuckets as Set<number> | undefined)?.size ?? 0,
      failedBuckets: (parent.Item?.failedBuckets as Set<number> | undefined)?.size ?? 0,
      status: (parent.Item?.status as JobStatus | undefined) ?? 'running',
    };
  }

  /**
   * An idempotent set-add: the item after the add, or, when the condition failed, the item as stored (a replay
   * carries on exactly as the first delivery did), and whether this call wrote.
   */
  private async addOnceOrOld(input: Omit<UpdateCommandInput, 'TableName'>): Promise<{ item: Item | undefined; written: boolean }> {
    try {
      const out = await this.client.send(new UpdateCommand({ ...input, TableName: this.table, ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
      return { item: out.Attributes, written: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      return { item: err.Item ? unmarshallLoose(err.Item) : undefined, written: false };
    }
  }

  async deactivateRoot(jobId: string): Promise<void> {
    await conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(jobId),
          ConditionExpression: `attribute_exists(activeShard) AND ${ROOT_FINISHED}`,
          UpdateExpression: 'REMOVE activeShard',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':succeeded': 'succeeded', ':failed': 'failed', ':discarded': 'discarded' },
        }),
      ),
    );
  }

  async recordLateResult(jobId: string, taskIndex: number, attempt: number, result: { output?: JsonObject; error?: AttemptError }, endedAt: string): Promise<void> {
    const field = result.output !== undefined ? 'output' : 'error';
    const at = `#attempts[${attempt - 1}]`;
    await conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: taskKey(jobId, taskIndex),
          ConditionExpression: `${LATE_RESULT_OF_DISCARDED} AND attribute_not_exists(${at}.#output) AND attribute_not_exists(${at}.#error)`,
          // The attempt ran on after its job was discarded; it ends here, and with it the hold on the job's tokens.
          UpdateExpression: `SET ${at}.#${field} = :value, ${at}.#status = :abandoned, ${at}.#endedAt = if_not_exists(${at}.#endedAt, :endedAt) REMOVE #leaseUntil`,
          ExpressionAttributeNames: { '#status': 'status', '#attemptCount': 'attemptCount', '#attempts': 'attempts', '#output': 'output', '#error': 'error', '#endedAt': 'endedAt', '#leaseUntil': 'leaseUntil' },
          ExpressionAttributeValues: { ':discarded': 'discarded', ':attempt': attempt, ':value': result.output ?? result.error, ':abandoned': 'abandoned', ':endedAt': endedAt },
        }),
      ),
    );
  }

  async transactTasks(ops: readonly TaskTxOp[]): Promise<number> {
    return this.send(ops.map((op) => this.taskTxItem(op)));
  }

  async transact(ops: readonly TxOp[]): Promise<number> {
    return this.send(ops.map((op) => (isTaskTxOp(op) ? this.taskTxItem(op) : this.txItem(op))));
  }

  private async send(items: NonNullable<TransactWriteCommandInput['TransactItems']>): Promise<number> {
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return -1;
    } catch (err) {
      if (err instanceof TransactionCanceledException) {
        const index = (err.CancellationReasons ?? []).findIndex((r) => r.Code === 'ConditionalCheckFailed');
        if (index >= 0) return index;
      }
      throw err;
    }
  }

  private taskTxItem(op: TaskTxOp): NonNullable<TransactWriteCommandInput['TransactItems']>[number] {
    switch (op.op) {
      case 'replaceTask':
        return {
          Put: {
            TableName: this.table,
            Item: { ...taskKey(op.after.jobId, op.after.taskIndex), t: 'task', ...op.after },
            ConditionExpression: TASK_UNCHANGED,
            ExpressionAttributeNames: { '#status': 'status', '#attemptCount': 'attemptCount' },
            ExpressionAttributeValues: { ':seen': op.before.status, ':n': op.before.attemptCount },
          },
        };
      case 'checkJob': {
        const values: Record<string, unknown> = {};
        const placeholders = op.in.map((st, i) => {
          values[`:in${i}`] = st;
          return `:in${i}`;
        });
        return { ConditionCheck: { TableName: this.table, Key: jobKey(op.jobId), ConditionExpression: jobInStatus(placeholders), ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: values } };
      }
      case 'deleteHeldTask':
        return {
          Delete: {
            TableName: this.table,
            Key: taskKey(op.task.jobId, op.task.taskIndex),
            ConditionExpression: TASK_UNCHANGED,
            ExpressionAttributeNames: { '#status': 'status', '#attemptCount': 'attemptCount' },
            ExpressionAttributeValues: { ':seen': op.task.status, ':n': op.task.attemptCount },
          },
        };
    }
  }

  private txItem(op: Exclude<TxOp, TaskTxOp>): NonNullable<TransactWriteCommandInput['TransactItems']>[number] {
    switch (op.op) {
      case 'putTask':
        return { Put: { TableName: this.table, Item: { ...taskKey(op.task.jobId, op.task.taskIndex), t: 'task', ...op.task }, ConditionExpression: CREATE_IF_ABSENT } };
      case 'updateJob':
        return { Update: { TableName: this.table, Key: jobKey(op.jobId), ...jobPatchExpression(op.jobId, op.from, op.patch, op) } };
      case 'uncountChild':
        return {
          Update: {
            TableName: this.table,
            Key: bucketKey(op.parentId, Math.floor((op.childIndex - 1) / 100)),
            // The version moves: a count decided before this reopen can no longer land.
            UpdateExpression: 'DELETE #done :one, #failed :one ADD reopens :inc',
            ExpressionAttributeNames: { '#done': 'done', '#failed': 'failed' },
            ExpressionAttributeValues: { ':one': new Set([op.childIndex]), ':inc': 1 },
          },
        };
      case 'uncountBucket': {
        const values: Record<string, unknown> = { ':b': new Set([Math.floor((op.childIndex - 1) / 100)]) };
        const placeholders = op.in.map((st, i) => {
          values[`:in${i}`] = st;
          return `:in${i}`;
        });
        return {
          Update: {
            TableName: this.table,
            Key: jobKey(op.parentId),
            ConditionExpression: jobInStatus(placeholders),
            UpdateExpression: 'DELETE doneBuckets :b, failedBuckets :b',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: values,
          },
        };
      }
      case 'putAudit':
        return { Put: { TableName: this.table, Item: { ...auditKey(op.jobId, op.entry.at, op.nonce), t: 'audit', ...op.entry }, ConditionExpression: CREATE_IF_ABSENT } };
      case 'resetResult':
        // A marker row, not a deletion: a late record of the run before can then never recreate its answer.
        return { Put: { TableName: this.resultsTable, Item: { jobId: op.jobId, status: 'running', run: op.run } } };
    }
  }

  async tokenState(token: string, limit: number): Promise<TokenState> {
    const [holder, waiters] = await Promise.all([
      this.client.send(new GetCommand({ TableName: this.table, Key: tokenKey(token), ConsistentRead: true })),
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :w)',
          ExpressionAttributeValues: { ':pk': tokenKey(token).pk, ':w': 'W#' },
          ConsistentRead: true,
          Limit: limit,
        }),
      ),
    ]);
    const state: TokenState = { token, waiters: (waiters.Items ?? []).map((i) => ({ jobId: String(i.jobId), createdAt: String(i.createdAt) })) };
    if (holder.Item?.holder) state.holder = { jobId: String(holder.Item.holder), since: String(holder.Item.since) };
    return state;
  }

  async acquireTokens(job: JobRecord, staleHolders: Readonly<Record<string, string>>): Promise<boolean> {
    const now = new Date().toISOString();
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
    for (const token of job.tokens ?? []) {
      items.push({
        Update: {
          TableName: this.table,
          Key: tokenKey(token),
          ConditionExpression: TOKEN_FREE,
          UpdateExpression: 'SET #holder = :me, #since = :now',
          ExpressionAttributeNames: { '#holder': 'holder', '#since': 'since' },
          ExpressionAttributeValues: { ':me': job.jobId, ':stale': staleHolders[token] ?? '-', ':now': now },
        },
      });
      items.push({ Delete: { TableName: this.table, Key: waiterKey(token, job.createdAt, job.jobId), ConditionExpression: STILL_WAITING } });
    }
    items.push({
      Update: {
        TableName: this.table,
        Key: jobKey(job.jobId),
        // A root still creating its descendants takes no token (its staging ends first, then it queues).
        ConditionExpression: `${JOB_PENDING} AND attribute_not_exists(staging)`,
        UpdateExpression: 'SET #status = :running, startedAt = :now, updatedAt = :now REMOVE #reason',
        ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
        ExpressionAttributeValues: { ':pending': 'pending', ':running': 'running', ':now': now },
      },
    });
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (err) {
      if (err instanceof TransactionCanceledException) return false;
      throw err;
    }
  }

  async releaseTokens(job: Pick<JobRecord, 'jobId' | 'tokens' | 'createdAt'>): Promise<void> {
    await mapLimit(job.tokens ?? [], this.concurrency, async (token) => {
      await conditional(() =>
        this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: tokenKey(token),
            ConditionExpression: TOKEN_HELD_BY_ME,
            UpdateExpression: 'REMOVE #holder, #since',
            ExpressionAttributeNames: { '#holder': 'holder', '#since': 'since' },
            ExpressionAttributeValues: { ':me': job.jobId },
          }),
        ),
      );
      await this.client.send(new DeleteCommand({ TableName: this.table, Key: waiterKey(token, job.createdAt, job.jobId) }));
    });
  }

  async removeWaiter(token: string, waiter: { jobId: string; createdAt: string }): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.table, Key: waiterKey(token, waiter.createdAt, waiter.jobId) }));
  }

  async setWaitingReason(jobId: string, reason: string): Promise<void> {
    await conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(jobId),
          ConditionExpression: `${JOB_PENDING} AND (attribute_not_exists(#reason) OR #reason <> :reason)`,
          UpdateExpression: 'SET #reason = :reason',
          ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
          ExpressionAttributeValues: { ':pending': 'pending', ':reason': reason },
        }),
      ),
    );
  }

  /**
   * Offers an attempt once per inbox (invariant 7): the offer and its attempt's marker are written in one
   * transaction, only if the marker is absent. Offering the same attempt again, at whatever visible time, adds
   * nothing; the first offer keeps its place in the queue.
   */
  async offer(target: string, visibleAt: number, message: TaskMessage): Promise<void> {
    const key = offerKey(target, visibleAt, message.jobId, message.taskIndex, message.attempt);
    const marker = offerMarkerKey(target, message.jobId, message.taskIndex, message.attempt);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.table, Item: { ...marker, offerSk: key.sk }, ConditionExpression: OFFER_NOT_WAITING } },
            { Put: { TableName: this.table, Item: { ...key, message: JSON.stringify(message) } } },
          ],
        }),
      );
    } catch (err) {
      // The marker exists: this attempt already waits in this inbox.
      if (cancelledByCondition(err, 0)) return;
      throw err;
    }
  }

  async dueOffers(target: string, now: number, limit: number): Promise<Offer[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk < :until',
        ExpressionAttributeValues: { ':pk': inboxPartitionOf(target), ':until': `${String(now + 1).padStart(15, '0')}` },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => ({ target, key: String(i.sk), message: JSON.parse(String(i.message)) as TaskMessage }));
  }

  /**
   * Removes an offer and, in the same transaction, its attempt's marker, so the attempt can be offered again
   * (a claim refused while its job was paused is offered again on resume). A marker that names a newer offer of
   * the attempt (this one was removed before, by a racing worker) stays: only the offer item goes.
   */
  async removeOffer(offer: Offer): Promise<void> {
    const m = offer.message;
    const key = { pk: inboxPartitionOf(offer.target), sk: offer.key };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.table,
                Key: offerMarkerKey(offer.target, m.jobId, m.taskIndex, m.attempt),
                ConditionExpression: MARKER_OF_OFFER,
                ExpressionAttributeValues: { ':offerSk': offer.key },
              },
            },
            { Delete: { TableName: this.table, Key: key } },
          ],
        }),
      );
    } catch (err) {
      if (!cancelledByCondition(err, 0)) throw err;
      await this.client.send(new DeleteCommand({ TableName: this.table, Key: key }));
    }
  }

  /**
   * Records that a month has roots, once per month per process (a set-add, idempotent), so a list walks only
   * the months that exist instead of probing empty ones.
   */
  private async noteListMonth(month: string): Promise<void> {
    if (this.knownMonths.has(month)) return;
    await this.client.send(
      new UpdateCommand({ TableName: this.table, Key: LIST_MONTHS_KEY, UpdateExpression: 'ADD months :m', ExpressionAttributeValues: { ':m': new Set([month]) } }),
    );
    this.knownMonths.add(month);
  }

  /**
   * Root jobs newest first, `limit` at a time. Walks the months that have roots (newest first) and, within a
   * month, follows DynamoDB's own paging (`LastEvaluatedKey`) to its end: a page DynamoDB cut short (1 MB, or
   * any page with fewer items than asked) is not the end of the month. The cursor is returned exactly when more
   * roots exist: the query asks for one item beyond the page, and finding it is the proof.
   * @throws JobxError VALIDATION_FAILED for a cursor this store did not write
   */
  async listRoots(query: { limit: number; cursor?: string }): Promise<{ jobs: JobRecord[]; cursor?: string }> {
    // Before any read: a forged cursor is the client's mistake and costs nothing.
    const start = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const limit = Math.max(1, query.limit);
    const monthsItem = await this.client.send(new GetCommand({ TableName: this.table, Key: LIST_MONTHS_KEY, ConsistentRead: true }));
    const months = [...((monthsItem.Item?.months as Set<string> | undefined) ?? [])].sort().reverse();
    let position: ListPosition | undefined = start ?? (months[0] ? { month: months[0] } : undefined);
    const keys: Array<{ pk: string; sk: string }> = [];
    // Where the next page starts: just after the last root kept (set once one is kept).
    let resume: ListPosition | undefined;
    while (position) {
      const wanted = limit - keys.length;
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: LIST_INDEX,
          KeyConditionExpression: 'listPk = :pk',
          ExpressionAttributeValues: { ':pk': `ALL#${position.month}` },
          ScanIndexForward: false,
          // One more than needed: finding it proves there is a next page (no cursor on the last page).
          Limit: wanted + 1,
          ...(position.key ? { ExclusiveStartKey: position.key } : {}),
        }),
      );
      const items = out.Items ?? [];
      const kept = items.slice(0, wanted);
      for (const item of kept) keys.push({ pk: String(item.pk), sk: String(item.sk) });
      const last = kept[kept.length - 1];
      if (last) resume = { month: position.month, key: { pk: String(last.pk), sk: String(last.sk), listPk: String(last.listPk), listSk: String(last.listSk) } };
      // An item beyond the page: there is more, and the next page starts after the last one kept.
      if (items.length > kept.length) return { jobs: await this.batchGetJobs(keys), cursor: encodeCursor(resume ?? position) };
      if (out.LastEvaluatedKey) {
        // DynamoDB stopped before the month's end (page size, 1 MB): the month goes on from where it stopped.
        position = { month: position.month, key: listKeyOfItem(out.LastEvaluatedKey) };
        continue;
      }
      const current = position.month;
      const older = months.find((m) => m < current);
      position = older ? { month: older } : undefined;
    }
    return { jobs: await this.batchGetJobs(keys) };
  }

  private async batchGetJobs(keys: Array<{ pk: string; sk: string }>): Promise<JobRecord[]> {
    if (keys.length === 0) return [];
    const found = new Map<string, JobRecord>();
    let pending: Array<Record<string, unknown>> = keys;
    while (pending.length) {
      const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }));
      for (const item of out.Responses?.[this.table] ?? []) found.set(`${item.pk}|${item.sk}`, jobFromItem(item));
      pending = (out.UnprocessedKeys?.[this.table]?.Keys as Array<Record<string, unknown>> | undefined) ?? [];
    }
    return keys.map((k) => found.get(`${k.pk}|${k.sk}`)).filter((j): j is JobRecord => j !== undefined);
  }

  async *activeRoots(): AsyncIterable<string> {
    for (let shard = 0; shard < ACTIVE_SHARDS; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: ACTIVE_INDEX,
            KeyConditionExpression: 'activeShard = :s',
            ExpressionAttributeValues: { ':s': `ACTIVE#${shard}` },
            ExclusiveStartKey: start,
          }),
        );
        // The index keeps keys only; a root's partition is `J#<jobId>`.
        for (const item of out.Items ?? []) yield String(item.pk).slice(2);
        start = out.LastEvaluatedKey;
      } while (start);
    }
  }
}


/** The `Item` on a ConditionalCheckFailedException is in the low-level format even through the document client. */
function unmarshallLoose(item: Record<string, AttributeValue>): Item {
  return unmarshall(item);
}

/** Extra effects of a job transition written by a manual action. */
type JobPatchOptions = Pick<Extract<TxOp, { op: 'updateJob' }>, 'reopen' | 'requirePausable' | 'preSkipped' | 'uncountChildIndex' | 'run' | 'keepActive'>;

/**
 * The conditional update of a job transition: status from one of `from` to `patch.status`, the patch's fields,
 * and the bookkeeping that goes with it (a finished root leaves the active index; a reopened one returns to it).
 */
function jobPatchExpression(jobId: string, from: readonly JobStatus[], patch: JobPatch, opts: JobPatchOptions = {}) {
  // Placeholders for every name: several (output, reason, …) are DynamoDB reserved words.
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':to': patch.status, ':now': new Date().toISOString() };
  const placeholders = from.map((st, i) => {
    values[`:from${i}`] = st;
    return `:from${i}`;
  });
  const sets = ['#status = :to', 'updatedAt = :now'];
  const removes: string[] = [];
  for (const field of ['output', 'reason', 'startedAt', 'endedAt'] as const) {
    if (patch[field] !== undefined) {
      names[`#${field}`] = field;
      sets.push(`#${field} = :${field}`);
      values[`:${field}`] = patch[field];
    } else if (opts.reopen && field !== 'startedAt') {
      // The job runs again: its end, reason and output belong to the run that ended.
      names[`#${field}`] = field;
      removes.push(`#${field}`);
    }
  }
  if (opts.preSkipped) {
    sets.push('preSkipped = :true');
    values[':true'] = true;
  }
  if (opts.run !== undefined) {
    names['#run'] = 'run';
    sets.push('#run = :run');
    values[':run'] = opts.run;
  }
  if ((opts.reopen || opts.keepActive) && isRoot(jobId)) {
    sets.push('activeShard = :shard');
    values[':shard'] = activeShardOf(jobId);
  } else if (!opts.reopen && TERMINAL.has(patch.status) && isRoot(jobId)) {
    // A finished root leaves the sweeper's index in the same write (no separate clean-up write).
    removes.push('activeShard');
  }
  let deletes = '';
  if (opts.uncountChildIndex !== undefined) {
    deletes = ' DELETE doneBuckets :bucketSet, failedBuckets :bucketSet';
    values[':bucketSet'] = new Set([Math.floor((opts.uncountChildIndex - 1) / 100)]);
  }
  let condition = jobInStatus(placeholders);
  if (opts.requirePausable) {
    condition = `${condition} AND ${JOB_PAUSABLE}`;
    values[':true'] = true;
  }
  return {
    ConditionExpression: condition,
    UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}${deletes}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The item that lists the months that have roots (the list index's partitions). */
const LIST_MONTHS_KEY = { pk: 'LIST', sk: 'MONTHS' } as const;

/** A list index key: the table's key and the index's key of one root. */
interface ListKey {
  pk: string;
  sk: string;
  listPk: string;
  listSk: string;
}

/** Where a list walk stands: a month of the list index, and the key to resume after (none: the month's start). */
interface ListPosition {
  month: string;
  key?: ListKey;
}

/** The list index key of an item DynamoDB returned (a page's last item, or its LastEvaluatedKey). */
function listKeyOfItem(item: Record<string, unknown>): ListKey {
  return { pk: String(item.pk), sk: String(item.sk), listPk: String(item.listPk), listSk: String(item.listSk) };
}

function encodeCursor(p: ListPosition): string {
  return Buffer.from(JSON.stringify(p.key ? { month: p.month, key: p.key } : { month: p.month })).toString('base64url');
}

/** `yyyy-mm` of a list partition. */
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
/** A root's id (no `.`: children are never listed). */
const ROOT_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** A list sort key `<createdAt>#<jobId>` (createdAt: ISO 8601 UTC with milliseconds). */
const LIST_SK = /^(\d{4}-\d{2})-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#([A-Za-z0-9_-]{1,128})$/;

/**
 * Decodes a cursor this store wrote, and refuses anything else with 400 VALIDATION_FAILED: every field is
 * checked (shape, types, month format, and a resume key that names a root of that very month in the list
 * index), so a cursor can only make DynamoDB resume where it says, never fail on a malformed start key.
 */
function decodeCursor(cursor: string): ListPosition {
  const refuse = (why: string) => new JobxError('VALIDATION_FAILED', `query parameter cursor: not a cursor this API returned (${why})`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse('not base64url JSON');
  }
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isRecord(value)) throw refuse('not an object');
  const { month, key, ...rest } = value;
  if (Object.keys(rest).length > 0) throw refuse('unknown fields');
  if (typeof month !== 'string' || !MONTH.test(month)) throw refuse('bad month');
  if (key === undefined) return { month };
  if (!isRecord(key)) throw refuse('bad key');
  const { pk, sk, listPk, listSk, ...extra } = key;
  if (Object.keys(extra).length > 0) throw refuse('unknown key attributes');
  if (typeof pk !== 'string' || typeof sk !== 'string' || typeof listPk !== 'string' || typeof listSk !== 'string') throw refuse('key attributes must be strings');
  const sortKey = LIST_SK.exec(listSk);
  const jobId = pk.slice(2);
  if (!pk.startsWith('J#') || !ROOT_ID.test(jobId) || sk !== 'J') throw refuse('key does not name a root');
  if (listPk !== `ALL#${month}` || !sortKey || sortKey[1] !== month || sortKey[2] !== jobId) throw refuse('key is not in that month');
  return { month, key: { pk, sk, listPk, listSk } };
}
