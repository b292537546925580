/**
 * Listing roots newest first (the list index, month by month, each month's shards merged), reading jobs'
 * summaries, and the sweeper's walks: the active index, and the recent roots (the list index by creation, oldest
 * first, from the sweeper's watermark, the shards merged the same way).
 *
 * Roots written before the list index was sharded (issue 12) sit under `ALL#<yyyy-mm>`, a partition key no walk
 * reads: the list starts over with this version (no deployment had users yet; see the README). The recent walk
 * misses them too, which matters only for a root created by the version just before it (created off the active
 * index) and still unfinished at the upgrade: older versions put every root on the active index at creation.
 * Part of the DynamoDB job store (`job-store.ts` delegates to it).
 * @module
 */
import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../../core/model';
import type { JobStatus } from '../../core/statuses';
import type { JobSummary, RecentRoot } from '../../ports';
import { ACTIVE_INDEX, ACTIVE_SHARDS, LIST_INDEX, jobKey, listPartitionOf } from './keys';
import { jobFromItem, type Item } from './item-codec';
import { LIST_MONTHS_KEY, decodeCursor, encodeCursor, listKeyOfItem, monthStart, type ListKey, type ListPosition, type ShardPosition } from './list-cursor';

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

/**
 * Keys each shard query of the sweeper's walk asks for, at most: about what one read unit (4 KB) of list keys
 * holds (~110 bytes each), so a query costs the least a query can (half a unit, eventually consistent) whatever
 * the page. A page of 100 needs about 100/8 of each shard: asking each shard for the whole page would read 8
 * times the keys used; asking for this many, a shard runs dry before the page is full (and is queried again,
 * after its last key) only when it holds a third of the page, which hashed ids make all but impossible.
 */
const RECENT_SHARD_BATCH = 32;

/** One shard in a {@link ShardMerge}. */
interface ShardStream {
  /** Read and not yet taken, in the merge's order. */
  held: Item[];
  /** Where its next query starts (undefined: its start). */
  next?: ListKey;
  /** DynamoDB said it has nothing after what was read. */
  ended: boolean;
  /** Where it stands for a cursor: where it started, then the key of the last item taken of it. */
  at: ShardPosition;
}

/**
 * The shards of one month of the list index merged into one stream by creation key (`listSk`, unique: it ends
 * with the root's id), newest or oldest first, read lazily. An item is taken only when every shard has an item
 * in hand or has ended (DynamoDB returned no LastEvaluatedKey), so nothing a shard holds is ever passed over,
 * whatever its queries returned: DynamoDB's own paging (a page cut short by 1 MB, by `Limit`, or empty) only
 * means that shard is queried again from where DynamoDB stopped.
 */
class ShardMerge {
  private readonly shards: ShardStream[];

  /**
   * @param positions where each shard starts (`start`, after a key, or `done`: not read at all)
   * @param order `newest` first (descending creation keys) or `oldest` first; `read` returns items in that order
   * @param read one query of a shard: at most `count` items after `from`, and where DynamoDB stopped
   */
  constructor(
    positions: readonly ShardPosition[],
    private readonly order: 'newest' | 'oldest',
    private readonly read: (shard: number, from: ListKey | undefined, count: number) => Promise<{ items: Item[]; lastKey?: ListKey }>,
  ) {
    this.shards = positions.map((at): ShardStream => (typeof at === 'string' ? { held: [], ended: at === 'done', at } : { held: [], next: at, ended: false, at }));
  }

  /** Queries, all at once, every shard that has no item in hand and has not ended, until none is left. */
  private async fill(count: number): Promise<void> {
    for (;;) {
      const empty = [...this.shards.entries()].filter(([, s]) => s.held.length === 0 && !s.ended);
      if (empty.length === 0) return;
      await Promise.all(
        empty.map(async ([i, s]) => {
          const out = await this.read(i, s.next, count);
          s.held.push(...out.items);
          if (out.lastKey) s.next = out.lastKey;
          else s.ended = true;
        }),
      );
    }
  }

  /**
   * The next item of the month in the merge's order, or undefined at the month's end.
   * @param count keys a shard query asks for, when one is needed
   */
  async take(count: number): Promise<Item | undefined> {
    await this.fill(count);
    let best: { shard: ShardStream; key: string } | undefined;
    for (const shard of this.shards) {
      const head = shard.held[0];
      if (!head) continue;
      const key = String(head.listSk);
      if (!best || (this.order === 'newest' ? key > best.key : key < best.key)) best = { shard, key };
    }
    if (!best) return undefined;
    const item = best.shard.held.shift()!;
    best.shard.at = listKeyOfItem(item);
    return item;
  }

  /** Whether the month holds items after those taken (a shard with none in hand is queried for one). */
  async more(): Promise<boolean> {
    await this.fill(1);
    return this.shards.some((s) => s.held.length > 0);
  }

  /** Where each shard stands after the items taken: `done` once it ended and all it held was taken. */
  positions(): ShardPosition[] {
    return this.shards.map((s) => (s.ended && s.held.length === 0 ? 'done' : s.at));
  }
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
   * month, merges its shards newest first, following each shard's own paging by DynamoDB (`LastEvaluatedKey`)
   * to its end: a page DynamoDB cut short (1 MB, or any page with fewer items than asked) is not the end of the
   * shard. The cursor is returned exactly when more roots exist: the walk reads one root beyond the page, and
   * finding it is the proof. The cursor holds the month and where each shard stopped, so the next page resumes
   * exactly after the last root returned.
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

  /**
   * The keys of one page of roots, newest first, and the cursor of the next page when there is one. A month's
   * shards are merged by creation key ({@link ShardMerge}); each is queried once per month touched, for as many
   * keys as the page still needs plus one (so that, unless DynamoDB cuts a page short, no shard needs a second
   * query, and the one beyond the page proves a next page exists): at most `LIST_SHARDS` queries per month touched.
   */
  private async walkRoots(query: { limit: number; cursor?: string }): Promise<{ keys: Array<{ pk: string; sk: string }>; cursor?: string }> {
    // Before any read: a forged cursor is the client's mistake and costs nothing.
    const start = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const limit = Math.max(1, query.limit);
    const monthsItem = await this.client.send(new GetCommand({ TableName: this.table, Key: LIST_MONTHS_KEY, ConsistentRead: true }));
    const months = [...((monthsItem.Item?.months as Set<string> | undefined) ?? [])].sort().reverse();
    let position: ListPosition | undefined = start ?? (months[0] ? monthStart(months[0]) : undefined);
    const keys: Array<{ pk: string; sk: string }> = [];
    while (position) {
      const month: string = position.month;
      const merge = new ShardMerge(position.shards, 'newest', (shard, from, count) =>
        this.queryShard({ KeyConditionExpression: 'listPk = :pk', ExpressionAttributeValues: { ':pk': listPartitionOf(month, shard) }, ScanIndexForward: false }, from, count),
      );
      while (keys.length < limit) {
        // As many as the page still needs, and one more: the proof that a next page exists.
        const item = await merge.take(limit - keys.length + 1);
        if (!item) break;
        keys.push({ pk: String(item.pk), sk: String(item.sk) });
      }
      // A full page, and a root beyond it in this month: the next page resumes where each shard stopped.
      if (keys.length === limit && (await merge.more())) return { keys, cursor: encodeCursor({ month, shards: merge.positions() }) };
      // The month is read to its end (when the page is full, the next older month is only probed for one more).
      const older = months.find((m) => m < month);
      position = older ? monthStart(older) : undefined;
    }
    return { keys };
  }

  /**
   * One query of one shard of the list index (keys only): at most `count` keys after `from` (none: from the
   * shard's start), and where DynamoDB stopped (none: the shard's end).
   */
  private async queryShard(
    shape: { KeyConditionExpression: string; ExpressionAttributeValues: Record<string, unknown>; ScanIndexForward?: boolean },
    from: ListKey | undefined,
    count: number,
  ): Promise<{ items: Item[]; lastKey?: ListKey }> {
    const out = await this.client.send(new QueryCommand({ TableName: this.table, IndexName: LIST_INDEX, ...shape, Limit: count, ...(from ? { ExclusiveStartKey: from } : {}) }));
    return out.LastEvaluatedKey ? { items: out.Items ?? [], lastKey: listKeyOfItem(out.LastEvaluatedKey) } : { items: out.Items ?? [] };
  }

  /** Job records by id (strongly consistent), those that exist, in the order asked. */
  async readJobs(jobIds: readonly string[]): Promise<JobRecord[]> {
    return this.batchGet(jobIds.map(jobKey), { consistent: true }, jobFromItem);
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
   * month up to the month of `until` (each month's shards merged, at most {@link RECENT_SHARD_BATCH} keys a
   * query), then the roots' status and active-index entry in one projected, eventually consistent BatchGetItem
   * (the sweeper's activation is conditional on the real status).
   */
  async recentRoots(query: { since: string; after?: string; until: string; limit: number }): Promise<RecentRoot[]> {
    const limit = Math.max(1, query.limit);
    const from = query.after ?? query.since;
    const condition = query.after !== undefined ? 'listPk = :pk AND listSk > :from' : 'listPk = :pk AND listSk >= :from';
    const found: Array<{ jobId: string; createdAt: string; key: string }> = [];
    for (const month of monthsBetween(from, query.until)) {
      // The month's shards merged oldest first: a root is taken only once every shard has shown what comes
      // next in it (or has ended), so a root of one shard is never passed over for a later one of another.
      const merge = new ShardMerge(monthStart(month).shards, 'oldest', (shard, start, count) =>
        this.queryShard({ KeyConditionExpression: condition, ExpressionAttributeValues: { ':pk': listPartitionOf(month, shard), ':from': from } }, start, count),
      );
      while (found.length < limit) {
        const item = await merge.take(Math.min(limit - found.length, RECENT_SHARD_BATCH));
        if (!item) break;
        const key = String(item.listSk);
        // The list sort key is `<createdAt>#<jobId>`; the job id is that of its partition `J#<jobId>`.
        const jobId = String(item.pk).slice(2);
        found.push({ jobId, key, createdAt: key.slice(0, key.length - jobId.length - 1) });
      }
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
