/**
 * What the console reads from the store, run against both stores with the same cases (the in-memory store must
 * behave as the DynamoDB store does on DynamoDB Local): root summaries through the list walk, tokens in use in
 * name order from the `active` index, and worker inboxes (the list of inboxes, offers counted from their markers,
 * claim records written with the offer's removal).
 */
import { describe, expect, it } from 'vitest';
import { MemoryJobStore, MemoryResultStore, FakeClock } from '../../../functions/adapters/memory';
import { ACTIVE_INDEX, TOKEN_SHARD_PREFIX } from '../../../functions/adapters/dynamodb/keys';
import type { JobRecord } from '../../../functions/core/model';
import type { JobStatus } from '../../../functions/core/statuses';
import type { JobStore } from '../../../functions/ports';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { useDynamoStore } from '../../helpers/dynamodb-store';
import { NOW, isoAt, pipelineJob, taskMessage } from '../../helpers/core-factories';

const dynamo = useDynamoStore();

const STORES: Array<[string, () => JobStore]> = [
  ['memory', () => new MemoryJobStore({ clock: new FakeClock(NOW), results: new MemoryResultStore() })],
  ['dynamodb', () => dynamo.store],
];

/** A root created `ms` after NOW, in `status`, waiting for `tokens` when it is pending. */
const root = (jobId: string, ms: number, status: JobStatus, extra: Partial<JobRecord> = {}): JobRecord =>
  pipelineJob({ jobId, rootId: jobId, createdAt: isoAt(ms), updatedAt: isoAt(ms), status, name: `n-${jobId}`, owner: Math.round(ms / 1000) % 2 ? 'odd' : 'even', ...extra });

describe.each(STORES)('%s store: what the console reads', (_name, makeStore) => {
  it('rootSummaries walks the roots newest first, page by page, with name, owner and status only', async () => {
    const store = makeStore();
    const statuses: JobStatus[] = ['pending', 'running', 'succeeded', 'failed', 'discarded'];
    for (let i = 0; i < 5; i++) await store.createJobs([root(`R${i}`, i * 1000, statuses[i]!)]);

    const first = await store.rootSummaries({ limit: 3 });
    expect(first.roots).toEqual([
      { jobId: 'R4', name: 'n-R4', owner: 'even', status: 'discarded' },
      { jobId: 'R3', name: 'n-R3', owner: 'odd', status: 'failed' },
      { jobId: 'R2', name: 'n-R2', owner: 'even', status: 'succeeded' },
    ]);
    expect(first.cursor).toBeDefined();
    const second = await store.rootSummaries({ limit: 3, cursor: first.cursor! });
    expect(second.roots.map((r) => r.jobId)).toEqual(['R1', 'R0']);
    expect(second.cursor).toBeUndefined();
    // The same walk as the list: the same roots, the same cursors.
    expect((await store.listRoots({ limit: 3, cursor: first.cursor! })).jobs.map((j) => j.jobId)).toEqual(['R1', 'R0']);
  });

  it('jobSummaries names the jobs that exist', async () => {
    const store = makeStore();
    await store.createJobs([root('S1', 0, 'running')]);
    const found = await store.jobSummaries(['S1', 'NOPE', 'S1']);
    expect([...found]).toEqual([['S1', { jobId: 'S1', name: 'n-S1', owner: 'even', status: 'running' }]]);
    expect((await store.jobSummaries([])).size).toBe(0);
  });

  it('listTokens: held and awaited tokens in name order, with the holder and the number waiting, page by page', async () => {
    const store = makeStore();
    // J1 takes `alpha` and `gamma`; J2 and J3 queue behind it for `alpha`; J4 waits for `beta` alone; `delta` is
    // taken and given back (not in use any more). Names spread over the index's shards.
    const j1 = root('J1', 0, 'pending', { tokens: ['alpha', 'gamma'] });
    const j5 = root('J5', 500, 'pending', { tokens: ['delta'] });
    await store.createJobs([j1]);
    await store.createJobs([j5]);
    await store.createJobs([root('J2', 1000, 'pending', { tokens: ['alpha'] })]);
    await store.createJobs([root('J3', 2000, 'pending', { tokens: ['alpha', 'tok:z.1'] })]);
    await store.createJobs([root('J4', 3000, 'pending', { tokens: ['beta'] })]);
    expect(await store.acquireTokens(j1, {})).toBe(true);
    expect(await store.acquireTokens(j5, {})).toBe(true);
    await store.releaseTokens(j5);

    const all = await store.listTokens({ limit: 10 });
    const since = (await store.tokenState('alpha', 1)).holder!.since;
    expect(all).toEqual({
      tokens: [
        { token: 'alpha', holder: { jobId: 'J1', since }, waiting: 2 },
        { token: 'beta', waiting: 1 },
        { token: 'gamma', holder: { jobId: 'J1', since }, waiting: 0 },
        { token: 'tok:z.1', waiting: 1 },
      ],
      more: false,
    });
    const first = await store.listTokens({ limit: 2 });
    expect(first.tokens.map((t) => t.token)).toEqual(['alpha', 'beta']);
    expect(first.more).toBe(true);
    const rest = await store.listTokens({ limit: 2, after: 'beta' });
    expect(rest).toEqual({ tokens: all.tokens.slice(2), more: false });
    expect(await store.listTokens({ limit: 2, after: 'tok:z.1' })).toEqual({ tokens: [], more: false });
  });

  it('inboxes: listed once offered; offers counted and ordered by visible time; a claim leaves its record, a stale removal none', async () => {
    const store = makeStore();
    const a = taskMessage({ jobId: 'A', preLock: 'edge-1' });
    const b = taskMessage({ jobId: 'B', preLock: 'edge-1', taskIndex: 2, taskId: 't3', attempt: 2 });
    const c = taskMessage({ jobId: 'C', preLock: 'edge-1' });
    await store.offer('exec:edge-1', NOW + 5_000, a);
    await store.offer('exec:edge-1', NOW + 1_000, b);
    await store.offer('exec:edge-1', NOW + 9_000, c);
    await store.offer('prov:ext', NOW, taskMessage({ jobId: 'P', provider: 'ext' }));
    // Offering an attempt again adds nothing.
    await store.offer('exec:edge-1', NOW + 2_000, a);

    expect(await store.inboxTargets()).toEqual(['exec:edge-1', 'prov:ext']);
    expect(await store.inboxSummary('exec:edge-1', { offers: 2, claims: 20 })).toEqual({
      offersWaiting: 3,
      offers: [
        { jobId: 'B', taskIndex: 2, attempt: 2, visibleAt: NOW + 1_000 },
        { jobId: 'A', taskIndex: 0, attempt: 1, visibleAt: NOW + 5_000 },
      ],
      recentClaims: [],
    });

    // B is claimed by worker edge-1, then A; C's offer goes stale (removed without a claim).
    const due = await store.dueOffers('exec:edge-1', NOW + 10_000, 10);
    const offerOf = (jobId: string) => due.find((o) => o.message.jobId === jobId)!;
    await store.removeOffer(offerOf('B'), { workerId: 'edge-1', at: isoAt(11_000) });
    await store.removeOffer(offerOf('A'), { workerId: 'edge-1', at: isoAt(12_000) });
    await store.removeOffer(offerOf('C'));

    const after = await store.inboxSummary('exec:edge-1', { offers: 50, claims: 20 });
    expect(after).toEqual({
      offersWaiting: 0,
      offers: [],
      recentClaims: [
        { jobId: 'A', taskIndex: 0, attempt: 1, workerId: 'edge-1', at: isoAt(12_000) },
        { jobId: 'B', taskIndex: 2, attempt: 2, workerId: 'edge-1', at: isoAt(11_000) },
      ],
    });
    expect((await store.inboxSummary('exec:edge-1', { offers: 0, claims: 1 })).recentClaims.map((c) => c.jobId)).toEqual(['A']);
    // Claims and markers never look like due offers.
    expect(await store.dueOffers('exec:edge-1', NOW + 60_000, 10)).toEqual([]);
    // An inbox nobody offered to: nothing, and not listed.
    expect(await store.inboxSummary('exec:nobody', { offers: 50, claims: 20 })).toEqual({ offersWaiting: 0, offers: [], recentClaims: [] });
  });

  it('a claim of an offer whose marker names a newer offer is still recorded', async () => {
    const store = makeStore();
    const message = taskMessage({ preLock: 'edge-2' });
    await store.offer('exec:edge-2', NOW, message);
    const [first] = await store.dueOffers('exec:edge-2', NOW, 10);
    await store.removeOffer(first!);
    await store.offer('exec:edge-2', NOW + 1_000, message);
    // A worker that had read the first offer claims through it.
    await store.removeOffer(first!, { workerId: 'edge-2', at: isoAt(2_000) });
    const summary = await store.inboxSummary('exec:edge-2', { offers: 50, claims: 20 });
    expect(summary.offersWaiting).toBe(1);
    expect(summary.recentClaims).toEqual([{ jobId: 'J1', taskIndex: 0, attempt: 1, workerId: 'edge-2', at: isoAt(2_000) }]);
  });
});

describe('DynamoJobStore: token entries in the active index', () => {
  it('a waiter and a held token are indexed under TOKENS#, never under ACTIVE# (the sweeper walks only those)', async () => {
    const j1 = root('K1', 0, 'pending', { tokens: ['solo'] });
    await dynamo.store.createJobs([j1]);
    await dynamo.store.createJobs([root('K2', 1000, 'pending', { tokens: ['solo'] })]);
    await dynamo.store.acquireTokens(j1, {});
    const shards = new Set<string>();
    for (let n = 0; n < 4; n++) {
      const out = await dynamo.doc.send(new QueryCommand({ TableName: dynamo.table, IndexName: ACTIVE_INDEX, KeyConditionExpression: 'activeShard = :s', ExpressionAttributeValues: { ':s': `${TOKEN_SHARD_PREFIX}${n}` } }));
      for (const item of out.Items ?? []) shards.add(`${n}:${String(item.pk)}:${String(item.sk).slice(0, 2)}`);
    }
    // The holding and K2's place in the queue, in one shard; K1's own waiter item went with its acquisition.
    expect([...shards].map((s) => s.slice(2)).sort()).toEqual(['K#solo:H', 'K#solo:W#']);
    // Roots are created off the index; once the sweeper activated them, its walk finds them and no token entry.
    await dynamo.store.activateRoot('K1');
    await dynamo.store.activateRoot('K2');
    const roots: string[] = [];
    for await (const id of dynamo.store.activeRoots()) roots.push(id);
    expect(roots.sort()).toEqual(['K1', 'K2']);
  });
});
