/**
 * Listing roots newest first (the list index, month by month), reading jobs' summaries, and the sweeper's walks:
 * the active index, and the recent roots (the list index by creation, oldest first, from the sweeper's watermark).
 * Part of the DynamoDB job store (`job-store.ts` delegates to it).
 * @module
 */
import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../../core/model';
import type { JobStatus } from '../../core/statuses';
import type { JobSummary, RecentRoot } from '../../ports';
import { ACTIVE_INDEX, ACTIVE_SHARDS, LIST_INDEX, jobKey } from './keys';
import { jobFromItem, type Item } from './item-codec';
import { LIST_MONTHS_KEY, decodeCursor, encodeCursor, listKeyOfItem, type ListPosition } from './list-cursor';

const summaryFromItem = (item: Item): JobSummary => ({ jobId: String(item.jobId), name: String(item.name), owner: String(item.owner), status: item.status as JobStatus });

/** What a list page reads of each root. */
const SUMMARY_PROJECTION = { expression: 'pk, sk, jobId, #name, #owner, #status', names: { '#name': 'name', '#owner': 'owner', '#status': 'status' } };
/** What the sweeper reads of a recent root: its status, and whether it is on the active index. */
const RECENT_PROJECTION = { expression: 'pk, sk, jobId, #status, activeShard', names: { '#status': 'status' } };

/** Every month (`yyyy-mm`) from the month of `from` to the month of `until` (ISO times or creation keys). */
function monthsBetween(from: string, until: string): string[] {
  const parse = (iso: string) => {
    const m = /^(\d{4})-(\d{2})/.exec(iso);
    if (!m) throw new Error(`not an ISO time: ${iso}`);
    return { y: Number(m[1]), m: Number(m[2]) };
  };
  const end = parse(until);
  const months: string[] = [];
  let { y, m } = parse(from);
  while (y < end.y || (y === end.y && m <= end.m)) {
    months.push(`${y}-${String(m).padStart(2, '0')}`);
    if (++m > 12) {
      m = 1;
      y++;
    }
  }
  return months;
}

/** Roots newest first (the list index) and the active roots (the sweeper's index). */
export class DynamoJobList {
  private readonly knownMonths = new Set<string>();

  constructor(private readonly client: DynamoDBDocumentClient, private readonly table: string) {}

  /**
   * Records that a month has roots, once per month per process (a set-add, idempotent), so a list walks only
   * the months that exist instead of probing empty ones.
   */
  async noteListMonth(month: string): Promise<void> {
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
    const { keys, cursor } = await this.walkRoots(query);
    const jobs = await this.batchGet(keys, { consistent: true }, jobFromItem);
    return cursor === undefined ? { jobs } : { jobs, cursor };
  }

  /**
   * {@link listRoots}' walk, reading of each root only what names it and its status, eventually consistent (the
   * read units are those of the whole items either way; half of them without strong consistency).
   */
  async rootSummaries(query: { limit: number; cursor?: string }): Promise<{ roots: JobSummary[]; cursor?: string }> {
    const { keys, cursor } = await this.walkRoots(query);
    const roots = await this.batchGet(keys, { consistent: false, projection: SUMMARY_PROJECTION }, summaryFromItem);
    return cursor === undefined ? { roots } : { roots, cursor };
  }

  /** Identity and status of the named jobs that exist (strongly consistent). */
  async jobSummaries(jobIds: readonly string[]): Promise<Map<string, JobSummary>> {
    const unique = [...new Set(jobIds)];
    const found = await this.batchGet(unique.map(jobKey), { consistent: true, projection: SUMMARY_PROJECTION }, summaryFromItem);
    return new Map(found.map((s) => [s.jobId, s]));
  }

  /** The keys of one page of roots, newest first, and the cursor of the next page when there is one. */
  private async walkRoots(query: { limit: number; cursor?: string }): Promise<{ keys: Array<{ pk: string; sk: string }>; cursor?: string }> {
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
      if (items.length > kept.length) return { keys, cursor: encodeCursor(resume ?? position) };
      if (out.LastEvaluatedKey) {
        // DynamoDB stopped before the month's end (page size, 1 MB): the month goes on from where it stopped.
        position = { month: position.month, key: listKeyOfItem(out.LastEvaluatedKey) };
        continue;
      }
      const current = position.month;
      const older = months.find((m) => m < current);
      position = older ? { month: older } : undefined;
    }
    return { keys };
  }

  /** Items by key, in the order of `keys` (those that exist), 100 keys per request (BatchGetItem's limit). */
  private async batchGet<T>(
    keys: ReadonlyArray<{ pk: string; sk: string }>,
    opts: { consistent: boolean; projection?: { expression: string; names: Record<string, string> } },
    decode: (item: Item) => T,
  ): Promise<T[]> {
    const found = new Map<string, T>();
    const projection = opts.projection ? { ProjectionExpression: opts.projection.expression, ExpressionAttributeNames: opts.projection.names } : {};
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Array<Record<string, unknown>> = keys.slice(i, i + 100).map((k) => ({ pk: k.pk, sk: k.sk }));
      while (pending.length) {
        const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: opts.consistent, ...projection } } }));
        for (const item of out.Responses?.[this.table] ?? []) found.set(`${item.pk}|${item.sk}`, decode(item));
        pending = (out.UnprocessedKeys?.[this.table]?.Keys as Array<Record<string, unknown>> | undefined) ?? [];
      }
    }
    return keys.map((k) => found.get(`${k.pk}|${k.sk}`)).filter((j): j is T => j !== undefined);
  }

  /**
   * The sweeper's recent roots: the list index's keys from `since` (or after `after`) in creation order, month by
   * month up to the month of `until`, then the roots' status and active-index entry in one projected,
   * eventually consistent BatchGetItem (the sweeper's activation is conditional on the real status).
   */
  async recentRoots(query: { since: string; after?: string; until: string; limit: number }): Promise<RecentRoot[]> {
    const limit = Math.max(1, query.limit);
    const from = query.after ?? query.since;
    const condition = query.after !== undefined ? 'listPk = :pk AND listSk > :from' : 'listPk = :pk AND listSk >= :from';
    const found: Array<{ jobId: string; createdAt: string; key: string }> = [];
    for (const month of monthsBetween(from, query.until)) {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: LIST_INDEX,
            KeyConditionExpression: condition,
            ExpressionAttributeValues: { ':pk': `ALL#${month}`, ':from': from },
            Limit: limit - found.length,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of out.Items ?? []) {
          const key = String(item.listSk);
          // The list sort key is `<createdAt>#<jobId>`; the job id is that of its partition `J#<jobId>`.
          const jobId = String(item.pk).slice(2);
          found.push({ jobId, key, createdAt: key.slice(0, key.length - jobId.length - 1) });
        }
        start = out.LastEvaluatedKey;
      } while (start && found.length < limit);
      if (found.length >= limit) break;
    }
    const items = await this.batchGet(
      found.map((r) => jobKey(r.jobId)),
      { consistent: false, projection: RECENT_PROJECTION },
      (item) => item,
    );
    const byId = new Map(items.map((item) => [String(item.jobId), item]));
    return found.map((r) => {
      const item = byId.get(r.jobId);
      return item ? { ...r, status: item.status as JobStatus, active: item.activeShard !== undefined } : { ...r, active: false };
    });
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
