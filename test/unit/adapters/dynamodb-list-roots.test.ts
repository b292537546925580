/**
 * `DynamoJobStore.listRoots` follows DynamoDB's own paging: a Query page cut short (1 MB, or any page with a
 * LastEvaluatedKey and fewer items than asked) is not the end of a month. DynamoDB is replaced by
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

type Item = Record<string, unknown>;

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));
const store = () => new DynamoJobStore({ client, tableName: 'jobs', resultsTableName: 'results' });

/** A root created at `createdAt` (ids sort like ULIDs: by time, then by a counter). */
function root(createdAt: string, n: number): Item {
  const jobId = `01J${String(n).padStart(23, '0')}`;
  return { pk: `J#${jobId}`, sk: 'J', t: 'job', jobId, name: `r${n}`, owner: 'o', status: 'running', createdAt, listPk: `ALL#${createdAt.slice(0, 7)}`, listSk: `${createdAt}#${jobId}` };
}

/**
 * Serves the list index of `roots` the way DynamoDB pages a Query: newest first from the ExclusiveStartKey, at
 * most `Limit` items, and fewer when `pageCap(call)` says the page was cut short; a LastEvaluatedKey whenever
 * the page stopped before the month's end or exactly at `Limit` (as DynamoDB does: then it cannot know).
 */
function serveIndex(roots: Item[], pageCap: (call: number) => number): { queries: () => number } {
  ddb.reset();
  const months = new Set(roots.map((r) => String(r.createdAt).slice(0, 7)));
  let queries = 0;
  ddb.on(GetCommand).resolves({ Item: { pk: 'LIST', sk: 'MONTHS', months } });
  ddb.on(QueryCommand).callsFake((input: { IndexName?: string; Limit?: number; ExclusiveStartKey?: Item; ExpressionAttributeValues?: Item }) => {
    expect(input.IndexName).toBe('list');
    const call = queries++;
    const partition = roots
      .filter((r) => r.listPk === input.ExpressionAttributeValues?.[':pk'])
      .sort((a, b) => (String(a.listSk) < String(b.listSk) ? 1 : -1))
      .filter((r) => !input.ExclusiveStartKey || String(r.listSk) < String(input.ExclusiveStartKey.listSk));
    const limit = input.Limit ?? Infinity;
    // An empty page needs a start key to report as where it stopped (DynamoDB never returns one without a filter).
    const cap = input.ExclusiveStartKey ? pageCap(call) : Math.max(1, pageCap(call));
    const page = partition.slice(0, Math.min(limit, cap));
    const last = page[page.length - 1];
    const cutShort = page.length < partition.length;
    const lastKey = last ? { pk: last.pk, sk: last.sk, listPk: last.listPk, listSk: last.listSk } : input.ExclusiveStartKey;
    const Items = page.map(({ pk, sk, listPk, listSk }) => ({ pk, sk, listPk, listSk }));
    return cutShort || page.length === limit ? { Items, ...(lastKey ? { LastEvaluatedKey: lastKey } : {}) } : { Items };
  });
  ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Item[] }> }) => {
    const keys = input.RequestItems.jobs?.Keys ?? [];
    return { Responses: { jobs: keys.map((k) => roots.find((r) => r.pk === k.pk && r.sk === k.sk)).filter(Boolean) } };
  });
  return { queries: () => queries };
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

describe('listRoots cursors', () => {
  it('refuses a cursor it did not write with a JobxError VALIDATION_FAILED, before any read', async () => {
    serveIndex([root('2026-11-01T00:00:00.000Z', 1)], () => 10);
    const forged = Buffer.from(JSON.stringify({ month: '2026-11', key: { pk: 'J#x', sk: 'J', listPk: 'ALL#2026-11', listSk: 'not a sort key' } })).toString('base64url');
    for (const cursor of ['%%%', forged, Buffer.from('{"month":"2026-11"').toString('base64url')]) {
      const err = await store()
        .listRoots({ limit: 5, cursor })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JobxError);
      expect((err as JobxError).code).toBe('VALIDATION_FAILED');
    }
    expect(ddb.calls()).toHaveLength(0);
  });
});
