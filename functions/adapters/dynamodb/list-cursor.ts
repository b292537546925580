/**
 * Paging of `GET /jobs` over the list index: the months item, list keys, and cursors that can only resume where
 * this store stopped (anything else is 400). A cursor holds a month and where each of its shards stands, since a
 * page merges the month's shards (`job-list.ts`).
 * @module
 */
import { JobxError } from '../../core/errors';
import { LIST_SHARDS, listPartitionOf, listShardOf } from './keys';

/** The item that lists the months that have roots (the list index's partitions). */
export const LIST_MONTHS_KEY = { pk: 'LIST', sk: 'MONTHS' } as const;

/** A list index key: the table's key and the index's key of one root. */
export interface ListKey {
  pk: string;
  sk: string;
  listPk: string;
  listSk: string;
}

/**
 * Where one shard of a month stands in a list walk: `start` (nothing of it returned yet), the list key of the last
 * root of it returned (the walk resumes after it), or `done` (every root of it returned).
 */
export type ShardPosition = 'start' | 'done' | ListKey;

/** Where a list walk stands: a month of the list index, and where each of its {@link LIST_SHARDS} shards stands. */
export interface ListPosition {
  month: string;
  shards: ShardPosition[];
}

/** The start of a month: no shard read yet. */
export function monthStart(month: string): ListPosition {
  return { month, shards: Array.from({ length: LIST_SHARDS }, (): ShardPosition => 'start') };
}

/** The list index key of an item DynamoDB returned (a page's last item, or its LastEvaluatedKey). */
export function listKeyOfItem(item: Record<string, unknown>): ListKey {
  return { pk: String(item.pk), sk: String(item.sk), listPk: String(item.listPk), listSk: String(item.listSk) };
}

/** The whole list index key of a root from its list sort key (the rest follows from it: `J#<jobId>`, `J`, its shard). */
function listKeyOfSk(month: string, shard: number, listSk: string, jobId: string): ListKey {
  return { pk: `J#${jobId}`, sk: 'J', listPk: listPartitionOf(month, shard), listSk };
}

/**
 * A cursor: `{ month, shards }`, each shard `start`, `done` or the list sort key of the last root of it returned.
 * Only the sort key of a shard's key is written: the rest of the key follows from it and from the shard, and a
 * cursor stays short (8 shards of 26-character ids: about 600 characters; the API takes 2,048).
 */
export function encodeCursor(p: ListPosition): string {
  const shards = p.shards.map((s) => (typeof s === 'string' ? s : s.listSk));
  return Buffer.from(JSON.stringify({ month: p.month, shards })).toString('base64url');
}

/** `yyyy-mm` of a list partition. */
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
/** A list sort key `<createdAt>#<rootId>` (createdAt: ISO 8601 UTC with milliseconds; a root's id has no `.`). */
const LIST_SK = /^(\d{4}-\d{2})-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#([A-Za-z0-9_-]{1,128})$/;

/**
 * Decodes a cursor this store wrote, and refuses anything else with 400 VALIDATION_FAILED: every field is
 * checked (shape, types, month format, one position per shard, and each resume key a root of that very month
 * and shard of the list index), so a cursor can only make DynamoDB resume where it says, never fail on a
 * malformed start key. Cursors of the unsharded list (`{ month, key }`, before issue 12) are refused too: their
 * keys name partitions this version no longer reads.
 */
export function decodeCursor(cursor: string): ListPosition {
  const refuse = (why: string) => new JobxError('VALIDATION_FAILED', `query parameter cursor: not a cursor this API returned (${why})`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse('not base64url JSON');
  }
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isRecord(value)) throw refuse('not an object');
  const { month, shards, ...rest } = value;
  if (Object.keys(rest).length > 0) throw refuse('unknown fields');
  if (typeof month !== 'string' || !MONTH.test(month)) throw refuse('bad month');
  if (!Array.isArray(shards) || shards.length !== LIST_SHARDS) throw refuse(`shards: not ${LIST_SHARDS} positions`);
  const positions = shards.map((s: unknown, shard): ShardPosition => {
    if (s === 'start' || s === 'done') return s;
    if (typeof s !== 'string') throw refuse('a shard position must be a string');
    const sortKey = LIST_SK.exec(s);
    if (!sortKey) throw refuse('a shard position is not a list key');
    const jobId = sortKey[2]!;
    if (sortKey[1] !== month || listShardOf(jobId) !== shard) throw refuse('a key is not in that month and shard');
    return listKeyOfSk(month, shard, s, jobId);
  });
  // Every shard done: the walk would have gone on to the next month instead of writing this.
  if (positions.every((p) => p === 'done')) throw refuse('no shard left');
  return { month, shards: positions };
}
