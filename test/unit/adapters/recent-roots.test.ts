/**
 * Lazy activation in the stores (issue 12, fewer writes), run against both stores with the same cases (the
 * in-memory store must behave as the DynamoDB store does on DynamoDB Local): a root is created on the list index
 * and off the active index; the sweeper's walk of recent roots finds it by creation time, month after month;
 * activation is conditional (an unfinished root off the index only); the watermark moves only from the value read.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock, MemoryJobStore, MemoryResultStore } from '../../../functions/adapters/memory';
import { ACTIVE_INDEX, LIST_SHARDS, SWEEP_MARK_KEY, activeShardOf, itemTypeOf, listShardOf } from '../../../functions/adapters/dynamodb/keys';
import { creationKey } from '../../../functions/core/recent-roots';
import type { JobRecord } from '../../../functions/core/model';
import type { JobStatus } from '../../../functions/core/statuses';
import type { JobStore } from '../../../functions/ports';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { useDynamoStore } from '../../helpers/dynamodb-store';
import { NOW, childJob, isoAt, parentJob, pipelineJob } from '../../helpers/core-factories';

const dynamo = useDynamoStore();

const STORES: Array<[string, () => JobStore]> = [
  [
    'memory',
    () => {
      const store = new MemoryJobStore({ clock: new FakeClock(NOW), results: new MemoryResultStore() });
      // As a DynamoDB table: no watermark before the first lazy sweep.
      store.sweepWatermark = undefined;
      return store;
    },
  ],
  ['dynamodb', () => dynamo.store],
];

/** A root created at `createdAt`, in `status`. */
const root = (jobId: string, createdAt: string, status: JobStatus = 'running'): JobRecord => pipelineJob({ jobId, rootId: jobId, createdAt, updatedAt: createdAt, status });

async function activeIds(store: JobStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const id of store.activeRoots()) ids.push(id);
  return ids.sort();
}

describe.each(STORES)('%s store: recent roots and lazy activation', (_name, makeStore) => {
  it('a new root is off the active index; the walk of recent roots finds it, oldest first, children never', async () => {
    const store = makeStore();
    const parent = parentJob({ jobId: 'P', rootId: 'P', createdAt: isoAt(2_000), childCount: 1, status: 'running' });
    await store.createJobs([childJob(parent, 1), parent]);
    await store.createJobs([root('B', isoAt(1_000), 'succeeded')]);
    await store.createJobs([root('A', isoAt(0))]);

    expect(await activeIds(store)).toEqual([]);
    const recent = await store.recentRoots({ since: isoAt(0), until: isoAt(60_000), limit: 10 });
    expect(recent).toEqual([
      { jobId: 'A', createdAt: isoAt(0), key: creationKey({ jobId: 'A', createdAt: isoAt(0) }), status: 'running', active: false },
      { jobId: 'B', createdAt: isoAt(1_000), key: creationKey({ jobId: 'B', createdAt: isoAt(1_000) }), status: 'succeeded', active: false },
      { jobId: 'P', createdAt: isoAt(2_000), key: creationKey({ jobId: 'P', createdAt: isoAt(2_000) }), status: 'running', active: false },
    ]);
    // At or after `since` (a bare time includes the roots of that millisecond), and after `after`.
    expect((await store.recentRoots({ since: isoAt(1_000), until: isoAt(60_000), limit: 10 })).map((r) => r.jobId)).toEqual(['B', 'P']);
    expect((await store.recentRoots({ since: isoAt(0), after: recent[0]!.key, until: isoAt(60_000), limit: 1 })).map((r) => r.jobId)).toEqual(['B']);
  });

  it('walks month after month up to the month of `until`, `limit` at a time', async () => {
    const store = makeStore();
    const dec = ['2025-12-31T23:59:58.000Z', '2025-12-31T23:59:59.000Z'];
    const jan = ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z'];
    for (const [i, at] of [...dec, ...jan].entries()) await store.createJobs([root(`M${i}`, at)]);
    await store.createJobs([root('FEB', '2026-02-01T00:00:00.000Z')]);

    const first = await store.recentRoots({ since: '2025-12-31T00:00:00.000Z', until: '2026-01-15T00:00:00.000Z', limit: 3 });
    expect(first.map((r) => r.jobId)).toEqual(['M0', 'M1', 'M2']);
    const next = await store.recentRoots({ since: '2025-12-31T00:00:00.000Z', after: first[2]!.key, until: '2026-01-15T00:00:00.000Z', limit: 3 });
    expect(next.map((r) => r.jobId), 'a month after `until` is not read').toEqual(['M3']);
  });

  it('roots spread over every shard of the list index are walked in creation order, page after page, none skipped', async () => {
    const store = makeStore();
    // 48 roots whose ids fall in every shard, created in an order unrelated to their shards (and two at one
    // millisecond: creation keys then sort by id), the last ones in the next month.
    const ids = Array.from({ length: 48 }, (_, i) => `R${String((i * 17) % 48).padStart(2, '0')}`);
    expect(new Set(ids.map(listShardOf)).size).toBe(LIST_SHARDS);
    const at = (i: number) => new Date(Date.parse('2026-01-31T23:59:00.000Z') + (i === 1 ? 0 : i) * 1_500).toISOString();
    for (const [i, id] of ids.entries()) await store.createJobs([root(id, at(i))]);
    const expected = ids.map((id, i) => creationKey({ jobId: id, createdAt: at(i) })).sort();

    for (const limit of [1, 5, 7, 48]) {
      const keys: string[] = [];
      for (let after: string | undefined; ; ) {
        const page = await store.recentRoots({ since: at(0), ...(after !== undefined ? { after } : {}), until: '2026-02-15T00:00:00.000Z', limit });
        keys.push(...page.map((r) => r.key));
        if (page.length < limit) break;
        after = page[page.length - 1]!.key;
      }
      expect(keys, `pages of ${limit}`).toEqual(expected);
    }
  });

  it('activates an unfinished root once; refuses a finished root, an active one and a child', async () => {
    const store = makeStore();
    await store.createJobs([root('A', isoAt(0))]);
    await store.createJobs([root('D', isoAt(0), 'succeeded')]);
    const parent = parentJob({ jobId: 'P', rootId: 'P', createdAt: isoAt(0), childCount: 1, status: 'running' });
    await store.createJobs([childJob(parent, 1, { status: 'running' }), parent]);

    expect(await store.activateRoot('A')).toBe(true);
    expect(await store.activateRoot('A'), 'already active').toBe(false);
    expect(await store.activateRoot('D'), 'finished').toBe(false);
    expect(await store.activateRoot('P.1'), 'a child').toBe(false);
    expect(await store.activateRoot('NOPE'), 'absent').toBe(false);
    expect(await activeIds(store)).toEqual(['A']);
    expect((await store.recentRoots({ since: isoAt(0), until: isoAt(0), limit: 10 })).find((r) => r.jobId === 'A')?.active).toBe(true);

    // Its finish takes it off the index; taking off a root that was never activated changes nothing.
    expect(await store.transitionJob('A', ['running'], { status: 'succeeded', endedAt: isoAt(1) })).toBe(true);
    await store.deactivateRoot('D');
    expect(await activeIds(store)).toEqual([]);
  });

  it('the watermark moves only from the value read (overlapping sweeps never move it backward)', async () => {
    const store = makeStore();
    expect(await store.sweepMark()).toBeUndefined();
    expect(await store.setSweepMark(undefined, isoAt(0))).toBe(true);
    expect(await store.setSweepMark(undefined, isoAt(-1_000)), 'another sweep wrote first').toBe(false);
    expect(await store.setSweepMark(isoAt(-5_000), isoAt(5_000)), 'not the value read').toBe(false);
    expect(await store.setSweepMark(isoAt(0), isoAt(5_000))).toBe(true);
    expect(await store.sweepMark()).toBe(isoAt(5_000));
  });
});

describe('DynamoJobStore: items of lazy activation', () => {
  it('a root is written without activeShard (no active-index write), with its list keys', async () => {
    await dynamo.store.createJobs([root('A', isoAt(0))]);
    const [item] = await dynamo.partition('J#A');
    expect(item).toMatchObject({ listPk: `ALL#2026-01#${listShardOf('A')}`, listSk: creationKey({ jobId: 'A', createdAt: isoAt(0) }) });
    expect(item).not.toHaveProperty('activeShard');
    const out = await dynamo.doc.send(new QueryCommand({ TableName: dynamo.table, IndexName: ACTIVE_INDEX, KeyConditionExpression: 'activeShard = :s', ExpressionAttributeValues: { ':s': activeShardOf('A') } }));
    expect(out.Items ?? []).toEqual([]);
  });

  it('the watermark item carries no `t` and a sort key the stream does not route', async () => {
    await dynamo.store.setSweepMark(undefined, isoAt(0));
    const [item] = await dynamo.partition(SWEEP_MARK_KEY.pk);
    expect(item).toEqual({ ...SWEEP_MARK_KEY, mark: isoAt(0) });
    expect(itemTypeOf(SWEEP_MARK_KEY.sk)).toBeUndefined();
  });
});
