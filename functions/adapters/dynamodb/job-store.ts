/**
 * The jobs table through the DynamoDB document client. Each method is one request; the ones that guard an
 * invariant carry a named condition from `conditions.ts` and turn a failed check into `false`.
 * @module
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { JsonObject } from '../../core/json';
import type { AttemptError, AuditEntry, JobRecord, TaskMessage, TaskRecord } from '../../core/model';
import type { JobStatus } from '../../core/statuses';
import type { BucketState, ChildCount, InboxSummary, JobPatch, JobStore, JobSummary, JobTree, Offer, ParentCounts, RecentRoot, TaskGuard, TaskTxOp, TokenState, TokenUse, TxOp } from '../../ports';
import { isTaskTxOp } from '../../core/writes';
import {
  BUCKET_NOT_COUNTED,
  BUCKET_NOT_REOPENED,
  CLAIM_FIRST_ATTEMPT,
  CLAIM_NEXT_ATTEMPT,
  CREATE_IF_ABSENT,
  END_CURRENT_ATTEMPT,
  LATE_RESULT_OF_DISCARDED,
  LEASE_EXPIRED,
  ROOT_FINISHED,
  ROOT_TO_ACTIVATE,
  TASK_UNCHANGED,
  cancelledByCondition,
  conditional,
  jobInStatus,
  sweepMarkIs,
  tokenMatches,
} from './conditions';
import { mapLimit } from '../../util/map-limit';
import { CHILD_BUCKET_SIZE, bucketCount, bucketOf, bucketSize, childJobId, incompleteRanges } from '../../core/routing';
import type { StagedPart } from '../../core/staging';
import { DynamoStagedParts } from './staged-parts';
import { DynamoTokens } from './tokens';
import { DynamoInbox } from './inbox';
import { DynamoJobList } from './job-list';
import { SWEEP_MARK_KEY, activeShardOf, auditKey, bucketKey, jobKey, partitionOf, taskKey, tokenShardOf, waiterKey } from './keys';

import { auditFromItem, jobFromItem, jobItem, taskFromItem, unmarshallLoose, type Item } from './item-codec';
import { jobPatchExpression } from './job-patch';

export { jobFromItem, taskFromItem } from './item-codec';

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
/** Children counted per write: DynamoDB allows 300 operators in a condition expression, and each child takes 3. */
const COUNT_CHUNK = 50;

export class DynamoJobStore implements JobStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly concurrency: number;
  private readonly resultsTable: string;
  private readonly tokens: DynamoTokens;
  private readonly inbox: DynamoInbox;
  private readonly list: DynamoJobList;
  private readonly parts: DynamoStagedParts;

  constructor(opts: DynamoJobStoreOptions) {
    this.client = opts.client;
    this.table = opts.tableName;
    this.resultsTable = opts.resultsTableName;
    this.concurrency = opts.writeConcurrency ?? 16;
    this.parts = new DynamoStagedParts(opts.client, opts.tableName, this.concurrency);
    this.tokens = new DynamoTokens(opts.client, opts.tableName, this.concurrency);
    this.inbox = new DynamoInbox(opts.client, opts.tableName);
    this.list = new DynamoJobList(opts.client, opts.tableName);
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
    // Only a bizId names a root that may exist (its id is derived from it): then its descendants are not written
    // again. Any other root id is new; the conditional put below still decides.
    const existing = root.bizId === undefined ? undefined : await this.getJob(root.jobId);
    if (existing) return { created: false, root: existing };
    if (staged) await this.parts.put(root.jobId, staged.nonce, staged.parts, Date.now());
    await this.createDescendants(records.slice(0, -1));
    await this.list.noteListMonth(root.createdAt.slice(0, 7));
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
                // `activeShard`: a waiter is listed with its token (GET /tokens) for as long as it waits.
                ...waiters.map((token) => ({ Put: { TableName: this.table, Item: { ...waiterKey(token, root.createdAt, root.jobId), jobId: root.jobId, createdAt: root.createdAt, activeShard: tokenShardOf(token) } } })),
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

  async getJobs(jobIds: readonly string[]): Promise<JobRecord[]> {
    return this.list.readJobs(jobIds);
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
    if (after.continued) {
      // The invocation claims the next task itself: the stream sends no message for it (core/continuation.ts).
      sets.push('#continued = :continued');
      names['#continued'] = 'continued';
      values[':continued'] = true;
    }
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

  async bucketState(parentId: string, bucket: number): Promise<BucketState> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: bucketKey(parentId, bucket), ConsistentRead: true, ProjectionExpression: 'reopens, #done, #failed, onParent', ExpressionAttributeNames: { '#done': 'done', '#failed': 'failed' } }),
    );
    const reopens = Number(out.Item?.reopens ?? 0);
    const onParent = out.Item?.onParent;
    return {
      reopens,
      done: (out.Item?.done as Set<number> | undefined) ?? new Set<number>(),
      anyFailed: ((out.Item?.failed as Set<number> | undefined)?.size ?? 0) > 0,
      onParent: onParent !== undefined && Number(onParent) === reopens,
    };
  }

  async parentCounts(parentId: string): Promise<ParentCounts> {
    const parent = await this.client.send(new GetCommand({ TableName: this.table, Key: jobKey(parentId), ConsistentRead: true, ProjectionExpression: 'doneBuckets, failedBuckets, #status', ExpressionAttributeNames: { '#status': 'status' } }));
    return {
      doneBuckets: (parent.Item?.doneBuckets as Set<number> | undefined)?.size ?? 0,
      failedBuckets: (parent.Item?.failedBuckets as Set<number> | undefined)?.size ?? 0,
      status: (parent.Item?.status as JobStatus | undefined) ?? 'running',
    };
  }

  async countChild(parentId: string, childIndex: number, failed: boolean, size: number, seenReopens: number) {
    return this.countChildren(parentId, bucketOf(childIndex), [{ childIndex, failed }], size, seenReopens);
  }

  async countChildren(parentId: string, bucket: number, children: readonly ChildCount[], size: number, seenReopens: number) {
    // One write per chunk: a condition expression takes at most 300 operators (3 per child here).
    let last: { bucketComplete: boolean; bucketFailed: boolean; reopens: number } | undefined;
    for (let i = 0; i < children.length; i += COUNT_CHUNK) {
      last = await this.countChunk(parentId, bucket, children.slice(i, i + COUNT_CHUNK), size, seenReopens);
      if (!last) return undefined;
    }
    return last;
  }

  private async countChunk(parentId: string, bucket: number, children: readonly ChildCount[], size: number, seenReopens: number) {
    const failed = children.filter((c) => c.failed).map((c) => c.childIndex);
    const names: Record<string, string> = { '#size': 'size', '#done': 'done', ...(failed.length ? { '#failed': 'failed' } : {}) };
    const values: Record<string, unknown> = { ':done': new Set(children.map((c) => c.childIndex)), ':size': size, ':seen': seenReopens };
    if (failed.length) values[':failed'] = new Set(failed);
    // Written only while one of them is not counted yet (a replay writes nothing) and no reopen came in between.
    const notCounted = children.map((c, i) => {
      values[`:c${i}`] = c.childIndex;
      return `NOT contains(#done, :c${i})`;
    });
    const { item, written } = await this.addOnceOrOld({
      Key: bucketKey(parentId, bucket),
      ConditionExpression: `(${notCounted.join(' OR ')}) AND ${BUCKET_NOT_REOPENED}`,
      UpdateExpression: failed.length ? 'ADD #done :done, #failed :failed SET #size = :size' : 'ADD #done :done SET #size = :size',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    const done = (item?.done as Set<number> | undefined) ?? new Set<number>();
    // Not written and not every one counted already: a reopen moved the bucket since `seenReopens` (decide again).
    if (!written && children.some((c) => !done.has(c.childIndex))) return undefined;
    const failedCount = (item?.failed as Set<number> | undefined)?.size ?? 0;
    return { bucketComplete: done.size >= size, bucketFailed: failedCount > 0, reopens: Number(item?.reopens ?? 0) };
  }

  async countBucket(parentId: string, bucket: number, failed: boolean, seenReopens: number) {
    // The parent counts the bucket only while none of its children was reopened since it completed: one
    // transaction with the bucket's version checked (once per hundred children, so the doubled cost is small).
    // The bucket keeps the version it was counted at (`onParent`), so a replay reads that it is done instead of
    // paying for a refused transaction; a reopen moves the version, which makes the mark stale.
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
              Update: {
                TableName: this.table,
                Key: bucketKey(parentId, bucket),
                ConditionExpression: BUCKET_NOT_REOPENED,
                UpdateExpression: 'SET onParent = :seen',
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
    return this.parentCounts(parentId);
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

  // Token queues, the worker inbox and listing live in their own modules; the store is their one port.
  tokenState(token: string, limit: number): Promise<TokenState> {
    return this.tokens.tokenState(token, limit);
  }

  acquireTokens(job: JobRecord, staleHolders: Readonly<Record<string, string>>): Promise<boolean> {
    return this.tokens.acquireTokens(job, staleHolders);
  }

  releaseTokens(job: Pick<JobRecord, 'jobId' | 'tokens' | 'createdAt'>): Promise<void> {
    return this.tokens.releaseTokens(job);
  }

  removeWaiter(token: string, waiter: { jobId: string; createdAt: string }): Promise<void> {
    return this.tokens.removeWaiter(token, waiter);
  }

  setWaitingReason(jobId: string, reason: string): Promise<void> {
    return this.tokens.setWaitingReason(jobId, reason);
  }

  offer(target: string, visibleAt: number, message: TaskMessage): Promise<void> {
    return this.inbox.offer(target, visibleAt, message);
  }

  dueOffers(target: string, now: number, limit: number): Promise<Offer[]> {
    return this.inbox.dueOffers(target, now, limit);
  }

  removeOffer(offer: Offer, claim?: { workerId: string; at: string }): Promise<void> {
    return this.inbox.removeOffer(offer, claim);
  }

  inboxTargets(): Promise<string[]> {
    return this.inbox.inboxTargets();
  }

  inboxSummary(target: string, opts: { offers: number; claims: number }): Promise<InboxSummary> {
    return this.inbox.inboxSummary(target, opts);
  }

  listRoots(query: { limit: number; cursor?: string }): Promise<{ jobs: JobRecord[]; cursor?: string }> {
    return this.list.listRoots(query);
  }

  rootSummaries(query: { limit: number; cursor?: string }): Promise<{ roots: JobSummary[]; cursor?: string }> {
    return this.list.rootSummaries(query);
  }

  jobSummaries(jobIds: readonly string[]): Promise<Map<string, JobSummary>> {
    return this.list.jobSummaries(jobIds);
  }

  listTokens(query: { limit: number; after?: string }): Promise<{ tokens: TokenUse[]; more: boolean }> {
    return this.tokens.listTokens(query);
  }

  activeRoots(): AsyncIterable<string> {
    return this.list.activeRoots();
  }

  recentRoots(query: { since: string; after?: string; until: string; limit: number }): Promise<RecentRoot[]> {
    return this.list.recentRoots(query);
  }

  async activateRoot(jobId: string): Promise<boolean> {
    const out = await conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(jobId),
          ConditionExpression: ROOT_TO_ACTIVATE,
          UpdateExpression: 'SET activeShard = :shard',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':shard': activeShardOf(jobId), ':succeeded': 'succeeded', ':failed': 'failed', ':discarded': 'discarded' },
        }),
      ),
    );
    return out !== undefined;
  }

  async sweepMark(): Promise<string | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: SWEEP_MARK_KEY, ConsistentRead: true }));
    return typeof out.Item?.mark === 'string' ? out.Item.mark : undefined;
  }

  async setSweepMark(expected: string | undefined, next: string): Promise<boolean> {
    const out = await conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: SWEEP_MARK_KEY,
          ConditionExpression: sweepMarkIs(expected),
          UpdateExpression: 'SET #mark = :next',
          ExpressionAttributeNames: { '#mark': 'mark' },
          ExpressionAttributeValues: { ':next': next, ...(expected !== undefined ? { ':expected': expected } : {}) },
        }),
      ),
    );
    return out !== undefined;
  }
}
