/**
 * `DynamoJobStore.listRoots` merges the shards of each month of the list index newest first and follows
 * DynamoDB's own paging per shard: a Query page cut short (1 MB, or any page with a LastEvaluatedKey and fewer
 * items than asked) is not the end of a shard. `recentRoots` merges them oldest first. DynamoDB is replaced by
 * aws-sdk-client-mock answering the list index with pages as short as we like, so nothing depends on DynamoDB
 * Local's page sizes; a fast-check property walks random tables with random page sizes.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { JobxError } from '../../../functions/core/errors';
import { DynamoJobStore } from '../../../functions/adapters/dynamodb/job-store';
import { listKeyOf } from '../../../functions/adapters/dynamodb/item-codec';
import { LIST_SHARDS, listShardOf } from '../../../functions/adapters/dynamodb/keys';

type Item = Record<string, unknown>;

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));
const store = () => new DynamoJobStore({ client, tableName: 'jobs', resultsTableName: 'results' });

/** A root created at `createdAt` (ids sort like ULIDs: by time, then by a counter), with its list keys as written. */
function root(createdAt: string, n: number): Item {
  const jobId = `01J${String(n).padStart(23, '0')}`;
  return { pk: `J#${jobId}`, sk: 'J', t: 'job', jobId, name: `r${n}`, owner: 'o', status: 'running', createdAt, ...listKeyOf({ jobId, createdAt }) };
}

/**
 * Serves the list index of `roots` the way DynamoDB pages a Query: in the order asked (newest first unless
 * `ScanIndexForward` is not false) from the ExclusiveStartKey and the sort key condition (`listSk >= :from` or
 * `listSk > :from`), at most `Limit` items, and fewer when `pageCap(call)` says the page was cut short; a
 * LastEvaluatedKey whenever the page stopped before the partition's end or exactly at `Limit` (as DynamoDB does:
 * then it cannot know).
 */
function serveIndex(roots: Item[], pageCap: (call: number) => number): { queries: () => number; partitions: () => Set<string> } {
  ddb.reset();
  const months = new Set(roots.map((r) => String(r.createdAt).slice(0, 7)));
  let queries = 0;
  const partitions = new Set<string>();
  ddb.on(GetCommand).resolves({ Item: { pk: 'LIST', sk: 'MONTHS', months } });
  ddb.on(QueryCommand).callsFake(
    (input: { IndexName?: string; Limit?: number; ExclusiveStartKey?: Item; ExpressionAttributeValues?: Item; KeyConditionExpression?: string; ScanIndexForward?: boolean }) => {
      expect(input.IndexName).toBe('list');
      const call = queries++;
      const pk = String(input.ExpressionAttributeValues?.[':pk']);
      partitions.add(pk);
      const from = input.ExpressionAttributeValues?.[':from'] as string | undefined;
      const strict = input.KeyConditionExpression?.includes('listSk > :from') === true;
      const descending = input.ScanIndexForward === false;
      const start = input.ExclusiveStartKey ? String(input.ExclusiveStartKey.listSk) : undefined;
      const partition = roots
        .filter((r) => r.listPk === pk)
        .filter((r) => from === undefined || (strict ? String(r.listSk) > from : String(r.listSk) >= from))
        .sort((a, b) => (String(a.listSk) < String(b.listSk) ? 1 : -1) * (descending ? 1 : -1))
        .filter((r) => start === undefined || (descending ? String(r.listSk) < start : String(r.listSk) > start));
      const limit = input.Limit ?? Infinity;
      // An empty page needs a start key to report as where it stopped (DynamoDB never returns one without a filter).
      const cap = input.ExclusiveStartKey ? pageCap(call) : Math.max(1, pageCap(call));
      const page = partition.slice(0, Math.min(limit, cap));
      const last = page[page.length - 1];
      const cutShort = page.length < partition.length;
      const lastKey = last ? { pk: last.pk, sk: last.sk, listPk: last.listPk, listSk: last.listSk } : input.ExclusiveStartKey;
      const Items = page.map(({ pk: p, sk, listPk, listSk }) => ({ pk: p, sk, listPk, listSk }));
      return cutShort || page.length === limit ? { Items, ...(lastKey ? { LastEvaluatedKey: lastKey } : {}) } : { Items };
    },
  );
  ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Item[] }> }) => {
    const keys = input.RequestItems.jobs?.Keys ?? [];
    return { Responses: { jobs: keys.map((k) => roots.find((r) => r.pk === k.pk && r.sk === k.sk)).filter(Boolean) } };
  });
  return { queries: () => queries, partitions: () => partitions };
}

/** Walks every page with `limit`; returns the pages (job ids) and whether each had a cursor. */
async function walk(limit: number): Promise<Array<{ ids: string[]; cursor: boolean }>> {
  const pages: Array<{ ids: string[]; cursor: boolean }> = [];
  let cursor: string | undefined;
  do {
    const page = await store().listRoots({ limit, ...(cursor !== undefined ? { cursor } : {}) });
    pages.push({ ids: page.jobs.map((j) => j.jobId), cursor: page.cursor !== undefined });
    cursor = page.cursor;
    if (pages.length > 1_000) throw new Error('the walk does not end');
  } while (cursor !== undefined);
  return pages;
}

const newestFirst = (roots: Item[]) => [...roots].sort((a, b) => (String(a.listSk) < String(b.listSk) ? 1 : -1)).map((r) => String(r.jobId));

beforeEach(() => ddb.reset());

describe('listRoots paging', () => {
  it('a month DynamoDB serves one item per page is read to its end, not taken as ended after the first page', async () => {
    const roots = [1, 2, 3, 4, 5].map((n) => root(`2026-11-0${n}T00:00:00.000Z`, n));
    serveIndex(roots, () => 1);
    const pages = await walk(3);
    expect(pages).toEqual([
      { ids: newestFirst(roots).slice(0, 3), cursor: true },
      { ids: newestFirst(roots).slice(3), cursor: false },
    ]);
  });

  it('empty short pages with a LastEvaluatedKey are followed, across months', async () => {
    const roots = [root('2026-11-02T00:00:00.000Z', 2), root('2026-10-01T00:00:00.000Z', 1), root('2026-09-01T00:00:00.000Z', 0)];
    serveIndex(roots, (call) => (call % 2 === 0 ? 0 : 1));
    expect(await walk(2)).toEqual([
      { ids: newestFirst(roots).slice(0, 2), cursor: true },
      { ids: newestFirst(roots).slice(2), cursor: false },
    ]);
  });

  it('a page that ends exactly at the last root has no cursor', async () => {
    const roots = [1, 2, 3, 4].map((n) => root(`2026-11-0${n}T00:00:00.000Z`, n));
    serveIndex(roots, () => 2);
    expect(await walk(4)).toEqual([{ ids: newestFirst(roots), cursor: false }]);
  });

  it('no roots at all: one empty page, no cursor, no index query', async () => {
    const served = serveIndex([], () => 10);
    expect(await walk(5)).toEqual([{ ids: [], cursor: false }]);
    expect(served.queries()).toBe(0);
  });

  it('property: any table, limit and page sizes: every root once, newest first, a cursor exactly when more remain', async () => {
    const month = fc.constantFrom('2026-09', '2026-10', '2026-11', '2027-01');
    const stamp = fc.tuple(month, fc.integer({ min: 1, max: 28 }), fc.integer({ min: 0, max: 86_399_999 })).map(([m, d, ms]) => `${m}-${String(d).padStart(2, '0')}T${new Date(ms).toISOString().slice(11)}`);
    await fc.assert(
      fc.asyncProperty(fc.array(stamp, { maxLength: 25 }), fc.integer({ min: 1, max: 7 }), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 8 }), async (stamps, limit, caps) => {
        const roots = stamps.map((s, n) => root(s, n));
        serveIndex(roots, (call) => caps[call % caps.length]! || (call % 3 === 0 ? 1 : 0));
        const pages = await walk(limit);
        expect(pages.flatMap((p) => p.ids)).toEqual(newestFirst(roots));
        pages.forEach((page, i) => {
          const more = i < pages.length - 1;
          expect(page.cursor).toBe(more);
          // A full page unless it is the last; never an empty page followed by another one.
          if (more) expect(page.ids).toHaveLength(limit);
        });
      }),
      { numRuns: 150 },
    );
  });
});

describe('listRoots over the shards of the list index', () => {
  /** `n` roots, one every 11 hours from 2026-09-20 (150: over three months), each in the shard its id hashes to. */
  const many = (n: number) => Array.from({ length: n }, (_, i) => root(new Date(Date.parse('2026-09-20T00:00:00.000Z') + i * 11 * 3_600_000).toISOString(), i));

  it('roots are written to every shard of their month', () => {
    const roots = many(200);
    const shards = new Set(roots.map((r) => String(r.listPk)));
    expect([...shards].filter((pk) => pk.startsWith('ALL#2026-10#')).sort()).toEqual([...Array(LIST_SHARDS).keys()].map((s) => `ALL#2026-10#${s}`));
    for (const r of roots) expect(r.listPk).toBe(`ALL#${String(r.createdAt).slice(0, 7)}#${listShardOf(String(r.jobId))}`);
  });

  it.each([1, 3, 7, 8, 13, 40, 100])('pages of %i: newest first, no root twice, none missed, a cursor exactly when more remain', async (limit) => {
    const roots = many(150);
    // Pages of every size DynamoDB may cut a shard's page to, at different points in different shards.
    serveIndex(roots, (call) => [2, 1, 5, 0, 3, 9, 1, 4][call % 8]! || 1);
    const pages = await walk(limit);
    expect(pages.flatMap((p) => p.ids)).toEqual(newestFirst(roots));
    pages.forEach((page, i) => {
      expect(page.cursor).toBe(i < pages.length - 1);
      if (i < pages.length - 1) expect(page.ids).toHaveLength(limit);
    });
  });

  it('reads stay bounded: at most one query per shard per month a page touches, when DynamoDB cuts no page short', async () => {
    const roots = many(150);
    const served = serveIndex(roots, () => Infinity);
    let cursor: string | undefined;
    let seen = 0;
    do {
      const before = served.queries();
      const page = await store().listRoots({ limit: 20, ...(cursor !== undefined ? { cursor } : {}) });
      const months = new Set(page.jobs.map((j) => j.createdAt.slice(0, 7)));
      // The months of its roots, and at most one more probed for the root beyond the page.
      expect(served.queries() - before).toBeLessThanOrEqual(LIST_SHARDS * (months.size + 1));
      seen += page.jobs.length;
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(seen).toBe(150);
    expect(served.partitions().size).toBe(3 * LIST_SHARDS);
  });

  it('rootSummaries walks the same pages with the same cursors', async () => {
    const roots = many(30);
    serveIndex(roots, () => 3);
    const first = await store().rootSummaries({ limit: 11 });
    const second = await store().rootSummaries({ limit: 11, cursor: first.cursor! });
    expect([...first.roots, ...second.roots].map((r) => r.jobId)).toEqual(newestFirst(roots).slice(0, 22));
    expect((await store().listRoots({ limit: 11, cursor: first.cursor! })).jobs.map((j) => j.jobId)).toEqual(second.roots.map((r) => r.jobId));
  });
});

describe('listRoots cursors', () => {
  const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  const refused = async (cursor: string) => {
    const err = await store()
      .listRoots({ limit: 5, cursor })
      .catch((e: unknown) => e);
    expect(err, cursor).toBeInstanceOf(JobxError);
    expect((err as JobxError).code).toBe('VALIDATION_FAILED');
  };
  /** A root id of the given shard, and its list sort key in November 2026. */
  const ofShard = (shard: number) => {
    for (let n = 0; ; n++) {
      const jobId = `01J${String(n).padStart(23, '0')}`;
      if (listShardOf(jobId) === shard) return `2026-11-25T10:55:42.123Z#${jobId}`;
    }
  };
  const positions = (at: (shard: number) => unknown) => [...Array(LIST_SHARDS).keys()].map(at);

  it('a cursor it wrote holds the month and where each shard stopped, and is short', async () => {
    serveIndex(Array.from({ length: 30 }, (_, n) => root(`2026-11-${String(1 + n).padStart(2, '0')}T00:00:00.000Z`, n)), () => Infinity);
    const page = await store().listRoots({ limit: 5 });
    const decoded = JSON.parse(Buffer.from(page.cursor!, 'base64url').toString('utf8')) as { month: string; shards: string[] };
    expect(Object.keys(decoded)).toEqual(['month', 'shards']);
    expect(decoded.month).toBe('2026-11');
    expect(decoded.shards).toHaveLength(LIST_SHARDS);
    // Every position is `start`, `done` or the sort key of a root returned, of that shard.
    const returned = new Set(page.jobs.map((j) => `${j.createdAt}#${j.jobId}`));
    decoded.shards.forEach((p, shard) => {
      if (p === 'start' || p === 'done') return;
      expect(returned.has(p)).toBe(true);
      expect(listShardOf(p.split('#')[1]!)).toBe(shard);
    });
    // Under the API's 2,048 characters even with every shard at a root of the longest id (128 characters).
    const longest = b64({ month: '2026-11', shards: positions(() => `2026-11-25T10:55:42.123Z#${'A'.repeat(128)}`) });
    expect(longest.length).toBeLessThan(2_048);
  });

  it('refuses a cursor it did not write with a JobxError VALIDATION_FAILED, before any read', async () => {
    serveIndex([root('2026-11-01T00:00:00.000Z', 1)], () => 10);
    const valid = positions(ofShard);
    const oldKey = { pk: 'J#01JABCDEFGHJKMNPQRSTVWXYZ0', sk: 'J', listPk: 'ALL#2026-11', listSk: '2026-11-25T10:55:42.123Z#01JABCDEFGHJKMNPQRSTVWXYZ0' };
    const cursors = [
      '%%%',
      b64('{"month":"2026-11"'),
      // The shapes the unsharded list wrote (before issue 12): their keys name a partition no longer read.
      b64({ month: '2026-11' }),
      b64({ month: '2026-11', key: oldKey }),
      b64({ month: '2026-11', key: { pk: 'J#x', sk: 'J', listPk: 'ALL#2026-11', listSk: 'not a sort key' } }),
      // Sharded, but forged.
      b64({ month: '2026-11', shards: valid, key: oldKey }),
      b64({ month: '2026-13', shards: valid }),
      b64({ month: '2026-11', shards: valid.slice(1) }),
      b64({ month: '2026-11', shards: [...valid, 'start'] }),
      b64({ month: '2026-11', shards: 'start' }),
      b64({ month: '2026-11', shards: positions(() => 'done') }),
      b64({ month: '2026-11', shards: positions((s) => (s === 0 ? 'begin' : 'start')) }),
      b64({ month: '2026-11', shards: positions((s) => (s === 0 ? null : 'start')) }),
      b64({ month: '2026-11', shards: positions((s) => (s === 0 ? oldKey : 'start')) }),
      b64({ month: '2026-11', shards: positions((s) => (s === 0 ? 'not a sort key' : 'start')) }),
      // A root key in the wrong shard, in another month, of a child job (a `.` in its id).
      b64({ month: '2026-11', shards: positions((s) => ofShard((s + 1) % LIST_SHARDS)) }),
      b64({ month: '2026-10', shards: valid }),
      b64({ month: '2026-11', shards: positions((s) => (s === 0 ? '2026-11-25T10:55:42.123Z#01JABC.1' : 'start')) }),
    ];
    for (const cursor of cursors) await refused(cursor);
    expect(ddb.calls()).toHaveLength(0);
    // The valid one is read: the root, older than the position of its shard, comes after it.
    expect((await store().listRoots({ limit: 5, cursor: b64({ month: '2026-11', shards: valid }) })).jobs.map((j) => j.jobId)).toEqual([`01J${'1'.padStart(23, '0')}`]);
  });
});

describe('recentRoots over the shards of the list index', () => {
  const base = Date.parse('2026-11-30T23:50:00.000Z');
  /** Roots one every 3 s from 23:50 on Nov 30 (so into December), each in the shard its id hashes to. */
  const recent = (n: number, idOf: (i: number) => number = (i) => i) => Array.from({ length: n }, (_, i) => root(new Date(base + i * 3_000).toISOString(), idOf(i)));
  const creationOrder = (roots: Item[]) => [...roots].sort((a, b) => (String(a.listSk) < String(b.listSk) ? -1 : 1)).map((r) => String(r.jobId));

  /** Walks page after page, as the sweeper does: each page after the last key of the one before. */
  async function walkRecent(limit: number, since: string, until: string): Promise<string[][]> {
    const pages: string[][] = [];
    for (let after: string | undefined; ; ) {
      const page = await store().recentRoots({ since, ...(after !== undefined ? { after } : {}), until, limit });
      pages.push(page.map((r) => r.jobId));
      if (page.length < limit) return pages;
      after = page[page.length - 1]!.key;
    }
  }

  it.each([1, 4, 9, 25, 100])('pages of %i: every root once, in creation order, across shards and months, with pages cut short', async (limit) => {
    const roots = recent(400);
    serveIndex(roots, (call) => [3, 0, 1, 7, 2, 0, 5][call % 7]! || (call % 3 === 0 ? 1 : 0));
    const pages = await walkRecent(limit, new Date(base).toISOString(), '2026-12-31T00:00:00.000Z');
    expect(pages.flat()).toEqual(creationOrder(roots));
  });

  it('from a watermark inside the window: only roots at or after it; `until` bounds the months read', async () => {
    const roots = recent(400);
    serveIndex(roots, () => Infinity);
    const since = new Date(base + 90 * 3_000).toISOString();
    expect((await walkRecent(30, since, '2026-12-31T00:00:00.000Z')).flat()).toEqual(creationOrder(roots).slice(90));
    // November only: the roots of December are not read.
    const november = roots.filter((r) => String(r.createdAt) < '2026-12');
    expect((await walkRecent(30, since, '2026-11-30T23:59:59.999Z')).flat()).toEqual(creationOrder(november).slice(90));
  });

  it('a shard holding most of a page is read on past its first query: no root of it is passed over', async () => {
    // Most roots in shard 0, so it holds far more of a page than one shard query asks for.
    const inShard = (shard: number) => [...Array(20_000).keys()].filter((n) => listShardOf(`01J${String(n).padStart(23, '0')}`) === shard);
    const zero = inShard(0);
    const other = inShard(5);
    const roots = recent(300, (i) => (i % 10 === 0 ? other[i]! : zero[i]!));
    serveIndex(roots, () => Infinity);
    expect((await walkRecent(100, new Date(base).toISOString(), '2026-12-31T00:00:00.000Z')).flat()).toEqual(creationOrder(roots));
  });
});
