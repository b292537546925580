/**
 * Item layout of the jobs table. Everything a job owns lives in its own partition `J#<jobId>`, so one Query
 * reads a job's tasks or children, and every item stays small as the job grows:
 * - root job:  `J#<rootId>` / `J`
 * - child job: `J#<parentId>` / `C#<00001>` (child ids are `<parentId>.<n>`)
 * - task:      `J#<jobId>` / `T#<0000>` (written when it first runs)
 * - bucket:    `J#<parentId>` / `B#<0000>` (which children of a hundred have finished)
 * - part:      `S#<rootId>` / `<nonce>#<0000>` (descendant records of a staged submission, compressed; TTL), in
 *   a partition of its own so that reading a job's tree never reads its parts
 * - token:     `K#<token>` / `H` (holder) and `W#<createdAt>#<jobId>` (waiters); see {@link tokenKey}
 * - inbox:     `X#<target>` / offers, `A#…` markers and `R#…` claim records; see {@link inboxPartitionOf}
 * - inboxes:   `XT` / `<target>`: every worker inbox that was ever offered a task (the console lists them)
 * - watermark: `SWEEP` / `MARK`: where the sweeper's walk of recent roots starts (no `t`: the stream ignores it)
 *
 * The `list` index (keys only) holds every root under `ALL#<yyyy-mm>#<shard>` / `<createdAt>#<jobId>`: see
 * {@link LIST_SHARDS}.
 *
 * The sparse `active` index holds two kinds of entries, told apart by its partition key `activeShard`:
 * `ACTIVE#<n>` for roots the sweeper walks (roots still unfinished past the activation age, reopened roots:
 * a root is created off this index, see `core/recent-roots.ts`) and `TOKENS#<n>` for tokens in use (a held
 * token's holder item and every waiter item), so listing tokens needs no index of its own.
 * @module
 */
import { parseChildJobId } from '../../core/submission';

/** Primary key of an item. */
export interface ItemKey {
  pk: string;
  sk: string;
}

/** Item type tag, used by the stream consumer to route records. */
export type ItemType = 'job' | 'task' | 'bucket';

/** Name of the sparse index of the roots the sweeper walks (and of tokens in use). */
export const ACTIVE_INDEX = 'active';
/** Name of the index that lists roots newest first (partition `ALL#<yyyy-mm>#<shard>`, sort `<createdAt>#<jobId>`). */
export const LIST_INDEX = 'list';
/** Shards of the active index, so the sweeper's reads spread over partitions. */
export const ACTIVE_SHARDS = 4;
/**
 * Shards of each month of the list index (issue 12). DynamoDB takes at most 1,000 write units/s per partition key
 * (of an index as much as of a table), and every root writes its list entry: one key per month capped root
 * submissions at about 1,000/s per deployment. Spread over 8 keys by a hash of the root's id, no key takes more
 * than about 1/8 of the roots (3,333 roots/s, 10,000 tasks/s of 3-task pipelines, is ~420/s per key). The price
 * is on the read side: a list page queries every shard of a month it reaches and merges them (`job-list.ts`).
 */
export const LIST_SHARDS = 8;

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Partition of everything a job owns. */
export function partitionOf(jobId: string): string {
  return `J#${jobId}`;
}

/** Key of a job's own record. */
export function jobKey(jobId: string): ItemKey {
  const child = parseChildJobId(jobId);
  if (!child) return { pk: partitionOf(jobId), sk: 'J' };
  return { pk: partitionOf(child.parentId), sk: `C#${pad(child.childIndex, 5)}` };
}

/** Key of a task record. */
export function taskKey(jobId: string, taskIndex: number): ItemKey {
  return { pk: partitionOf(jobId), sk: `T#${pad(taskIndex, 4)}` };
}

/** Key of one manual action on a job (sorted by time, in the job's partition: the tree read brings them along). */
export function auditKey(jobId: string, at: string, nonce: string): ItemKey {
  return { pk: partitionOf(jobId), sk: `A#${at}#${nonce}` };
}

/** Key of a parent's completion bucket. */
export function bucketKey(parentId: string, bucket: number): ItemKey {
  return { pk: partitionOf(parentId), sk: `B#${pad(bucket, 4)}` };
}

/** Key of one part of a staged submission (no `t`: the stream ignores parts). */
export function stagedPartKey(rootId: string, nonce: string, index: number): ItemKey {
  return { pk: `S#${rootId}`, sk: `${nonce}#${pad(index, 4)}` };
}

/** Key of the sweeper's watermark of recent roots (its attribute `mark`: a creation key, `core/recent-roots.ts`). */
export const SWEEP_MARK_KEY = { pk: 'SWEEP', sk: 'MARK' } as const;

/** TTL attribute of the jobs table (staged parts and claim records carry it). */
export const JOBS_TTL_ATTRIBUTE = 'expiresAt';

/** A stable shard number in [0, shards) of a string (the same string, the same shard, in every process). */
function shardOf(value: string, shards = ACTIVE_SHARDS): number {
  let h = 0;
  for (let i = 0; i < value.length; i++) h = (h * 31 + value.charCodeAt(i)) >>> 0;
  return h % shards;
}

/** Shard in [0, {@link LIST_SHARDS}) of a root's entry in the list index (by its id, so it never moves). */
export function listShardOf(jobId: string): number {
  return shardOf(jobId, LIST_SHARDS);
}

/** Partition key of one shard of one month (`yyyy-mm`) of the list index. */
export function listPartitionOf(month: string, shard: number): string {
  return `ALL#${month}#${shard}`;
}

/** Shard of a root in the active index. */
export function activeShardOf(jobId: string): string {
  return `ACTIVE#${shardOf(jobId)}`;
}

/** Partition-key prefix of token entries in the active index (never `ACTIVE#`: the sweeper walks only those). */
export const TOKEN_SHARD_PREFIX = 'TOKENS#';

/**
 * Shard of a token's entries in the active index: its holder item carries it while the token is held, each of
 * its waiter items for as long as it exists. All of one token's entries share a shard, sorted by `pk`, so the
 * shards list tokens in name order.
 */
export function tokenShardOf(token: string): string {
  return `${TOKEN_SHARD_PREFIX}${shardOf(token)}`;
}

/** Item type of a sort key. */
export function itemTypeOf(sk: string): ItemType | undefined {
  if (sk === 'J' || sk.startsWith('C#')) return 'job';
  if (sk.startsWith('T#')) return 'task';
  if (sk.startsWith('B#')) return 'bucket';
  return undefined;
}

/** Partition of a token: its holder item `H` and one waiter item per queued root, in submission order. */
export function tokenKey(token: string): ItemKey {
  return { pk: `K#${token}`, sk: 'H' };
}

/** Key of a root's place in a token's queue (sorted by submission time, then id). */
export function waiterKey(token: string, createdAt: string, jobId: string): ItemKey {
  return { pk: `K#${token}`, sk: `W#${createdAt}#${jobId}` };
}

/**
 * Partition of the worker inbox of `target` (`exec:<id>` or `prov:<name>`): its offers, their markers and the
 * records of recent claims.
 */
export function inboxPartitionOf(target: string): string {
  return `X#${target}`;
}

/** Key of a worker inbox's entry in the list of inboxes (written once per target and process, with an offer). */
export function inboxTargetKey(target: string): ItemKey {
  return { pk: 'XT', sk: target };
}

/**
 * Key of the record of one claim from `target`'s inbox (sorted by time after the markers: `R` > `A`), so one
 * Query, newest first, reads the last claims. It carries a TTL ({@link JOBS_TTL_ATTRIBUTE}).
 */
export function claimRecordKey(target: string, at: string, jobId: string, taskIndex: number, attempt: number): ItemKey {
  return { pk: inboxPartitionOf(target), sk: `R#${at}#${jobId}#${taskIndex}#${attempt}` };
}

/**
 * Key of an offer in the worker inbox of `target`, sorted by the time it becomes visible (then by attempt), so
 * a Query with `sk < <now + 1>` reads the due offers oldest first. Offers carry no `t`: the stream ignores them.
 */
export function offerKey(target: string, visibleAt: number, jobId: string, taskIndex: number, attempt: number): ItemKey {
  return { pk: inboxPartitionOf(target), sk: `${String(visibleAt).padStart(15, '0')}#${jobId}#${taskIndex}#${attempt}` };
}

/**
 * Key of the marker that an attempt has an offer waiting in `target`'s inbox: one per (target, attempt), written
 * with the offer in one transaction, so offering an attempt again (every sweep, a replayed record) adds nothing.
 * `A#` sorts after every offer key (digits), so the due-offers Query never reads a marker.
 */
export function offerMarkerKey(target: string, jobId: string, taskIndex: number, attempt: number): ItemKey {
  return { pk: inboxPartitionOf(target), sk: `A#${jobId}#${taskIndex}#${attempt}` };
}
