/**
 * Paging of `GET /jobs` over the list index: the months item, list keys, and cursors that can only resume where
 * this store stopped (anything else is 400).
 * @module
 */
import { JobxError } from '../../core/errors';

/** The item that lists the months that have roots (the list index's partitions). */
export const LIST_MONTHS_KEY = { pk: 'LIST', sk: 'MONTHS' } as const;

/** A list index key: the table's key and the index's key of one root. */
export interface ListKey {
  pk: string;
  sk: string;
  listPk: string;
  listSk: string;
}

/** Where a list walk stands: a month of the list index, and the key to resume after (none: the month's start). */
export interface ListPosition {
  month: string;
  key?: ListKey;
}

/** The list index key of an item DynamoDB returned (a page's last item, or its LastEvaluatedKey). */
export function listKeyOfItem(item: Record<string, unknown>): ListKey {
  return { pk: String(item.pk), sk: String(item.sk), listPk: String(item.listPk), listSk: String(item.listSk) };
}

export function encodeCursor(p: ListPosition): string {
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
