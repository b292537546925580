/**
 * Submission in the DynamoDB store, against DynamoDB Local (real conditions and transactions): a bizId names one
 * job, and submitting it again, repeated or concurrently, writes nothing (invariant 9): no second waiter in a
 * token's queue (an orphan waiter would head the queue forever), no child under the existing root.
 */
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { partitionOf, tokenKey } from '../../../functions/adapters/dynamodb/keys';
import type { JobSpec } from '../../../functions/core/model';
import { stageSubmission } from '../../../functions/core/staging';
import { planSubmission } from '../../../functions/core/submission';
import { rootIdFor } from '../../../functions/engine/jobs-service';
import { useDynamoStore } from '../../helpers/dynamodb-store';

const fx = useDynamoStore();

const waitersOf = async (token: string) => (await fx.partition(tokenKey(token).pk)).filter((i) => String(i.sk).startsWith('W#'));

/** The records a submit of `spec` plans at `at` (the API's own root id for its bizId). */
const plan = (spec: JobSpec, at: string) => planSubmission(spec, rootIdFor(spec), at);

describe('DynamoJobStore.createJobs: one bizId, one job, nothing else', () => {
  const tokened: JobSpec = { name: 'tok', owner: 'o', bizId: 'order-1', tokens: ['A', 'B'], tasks: [{ name: 'a', provider: 'demo' }] };

  it('a tokened root submitted again (later, so with another createdAt) leaves exactly one waiter per token', async () => {
    // Act
    const first = await fx.store.createJobs(plan(tokened, '2026-01-01T00:00:00.000Z'));
    const again = await fx.store.createJobs(plan(tokened, '2026-01-01T00:00:05.000Z'));

    // Assess: the second answers the first's job; each queue holds that job once, at its own createdAt.
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, root: { jobId: first.root.jobId, createdAt: '2026-01-01T00:00:00.000Z' } });
    for (const token of ['A', 'B']) {
      expect((await waitersOf(token)).map((w) => [w.jobId, w.createdAt])).toEqual([[first.root.jobId, '2026-01-01T00:00:00.000Z']]);
      expect((await fx.store.tokenState(token, 10)).waiters).toEqual([{ jobId: first.root.jobId, createdAt: '2026-01-01T00:00:00.000Z' }]);
    }
  });

  it('concurrent submits of one tokened bizId: one is created, one waiter per token', async () => {
    const outcomes = await Promise.all([1, 2, 3, 4].map((s) => fx.store.createJobs(plan(tokened, `2026-01-01T00:00:0${s}.000Z`))));

    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    const winner = outcomes.find((o) => o.created)!.root;
    for (const o of outcomes) expect(o.root).toMatchObject({ jobId: winner.jobId, createdAt: winner.createdAt });
    for (const token of ['A', 'B']) expect((await waitersOf(token)).map((w) => w.createdAt)).toEqual([winner.createdAt]);
  });

  it('a bizId resubmitted with other children writes no child under the existing root', async () => {
    // Prepare: a pipeline under the bizId.
    const first = await fx.store.createJobs(plan({ name: 'p', owner: 'o', bizId: 'order-2', tasks: [{ name: 'a', provider: 'demo' }] }, '2026-01-01T00:00:00.000Z'));
    // Act: the same bizId as a parent of two children.
    const children: JobSpec[] = ['x', 'y'].map((name) => ({ name, owner: 'o', tasks: [{ name, provider: 'demo' }] }));
    const again = await fx.store.createJobs(plan({ name: 'p', owner: 'o', bizId: 'order-2', children }, '2026-01-01T00:00:05.000Z'));

    // Assess: the root as it was, alone in its partition.
    expect(again).toMatchObject({ created: false, root: { jobId: first.root.jobId, kind: 'pipeline' } });
    expect((await fx.partition(partitionOf(first.root.jobId))).map((i) => i.sk)).toEqual(['J']);
    expect(await fx.store.getJob(`${first.root.jobId}.1`)).toBeUndefined();
  });

  it('a new submission writes its children, its root and its waiters', async () => {
    const children: JobSpec[] = ['x', 'y'].map((name) => ({ name, owner: 'o', tasks: [{ name, provider: 'demo' }] }));
    const out = await fx.store.createJobs(plan({ name: 'p', owner: 'o', tokens: ['C'], children }, '2026-01-01T00:00:00.000Z'));

    expect(out.created).toBe(true);
    expect((await fx.partition(partitionOf(out.root.jobId))).map((i) => i.sk)).toEqual(['C#00001', 'C#00002', 'J']);
    expect((await fx.store.tokenState('C', 10)).waiters).toEqual([{ jobId: out.root.jobId, createdAt: '2026-01-01T00:00:00.000Z' }]);
  });
});

describe('DynamoJobStore: staged submissions (issue 9, item 14)', () => {
  const wide: JobSpec = {
    name: 'wide',
    owner: 'o',
    tokens: ['S'],
    children: Array.from({ length: 5 }, (_, i) => ({ name: `c${i + 1}`, owner: 'o', input: { blob: 'x'.repeat(2_000) }, tasks: [{ name: 't', provider: 'demo' }] })),
  };

  it('writes the parts (compressed, with a TTL) and the pending root only; a part reads back as written', async () => {
    const records = plan(wide, '2026-01-01T00:00:00.000Z');
    const { root, parts } = stageSubmission(records, 'N1', { partRecords: 2 });
    const out = await fx.store.createJobs([root], { nonce: 'N1', parts });
    expect(out.created).toBe(true);
    // Parts live in a partition of their own: reading the job's tree never reads them.
    expect((await fx.partition(partitionOf(root.jobId))).map((i) => i.sk)).toEqual(['J']);
    const items = await fx.partition(`S#${root.jobId}`);
    expect(items.map((i) => i.sk)).toEqual(['N1#0000', 'N1#0001', 'N1#0002']);
    const part = items[0]!;
    expect(part.t).toBeUndefined();
    expect(part.expiresAt).toBeGreaterThan(Date.now() / 1000 + 6 * 24 * 3600);
    // 2 × 2 KB of blob compress to far less.
    expect((part.data as Uint8Array).byteLength).toBeLessThan(1_000);
    expect(await fx.store.stagedPart(root.jobId, 'N1', 1)).toEqual(parts[1]!.records);
    expect(await fx.store.stagedPart(root.jobId, 'N2', 1)).toBeUndefined();
    expect(await fx.store.getJob(root.jobId)).toMatchObject({ status: 'pending', staging: { nonce: 'N1', parts: 3 } });
  });

  it('marks each part once under its own nonce; the root takes no token and ends staging only with every part marked', async () => {
    const { root, parts } = stageSubmission(plan(wide, '2026-01-01T00:00:00.000Z'), 'N1', { partRecords: 2 });
    await fx.store.createJobs([root], { nonce: 'N1', parts });
    await fx.store.markStagedPart(root.jobId, 'N0', 0);
    expect((await fx.store.getJob(root.jobId))!.staging!.done).toBeUndefined();
    await fx.store.markStagedPart(root.jobId, 'N1', 0);
    await fx.store.markStagedPart(root.jobId, 'N1', 0);
    expect((await fx.store.getJob(root.jobId))!.staging).toEqual({ nonce: 'N1', parts: 3, done: [0] });
    expect(await fx.store.acquireTokens((await fx.store.getJob(root.jobId))!, {})).toBe(false);
    expect(await fx.store.finishStaging(root.jobId, 'N1', 3, { status: 'pending', reason: 'waiting for its tokens' })).toBe(false);
    await fx.store.markStagedPart(root.jobId, 'N1', 2);
    await fx.store.markStagedPart(root.jobId, 'N1', 1);
    expect(await fx.store.finishStaging(root.jobId, 'N0', 3, { status: 'pending', reason: 'waiting for its tokens' })).toBe(false);
    expect(await fx.store.finishStaging(root.jobId, 'N1', 3, { status: 'pending', reason: 'waiting for its tokens' })).toBe(true);
    const after = (await fx.store.getJob(root.jobId))!;
    expect(after).toMatchObject({ status: 'pending', reason: 'waiting for its tokens' });
    expect(after.staging).toBeUndefined();
    expect(await fx.store.finishStaging(root.jobId, 'N1', 3, { status: 'running' })).toBe(false);
    // Staging over: now the root takes its token.
    expect(await fx.store.acquireTokens(after, {})).toBe(true);
  });

  it('descendants are created only if absent: one started since is left as it is', async () => {
    const records = plan(wide, '2026-01-01T00:00:00.000Z');
    await fx.store.createDescendants(records.slice(0, 2));
    expect(await fx.store.transitionJob(records[0]!.jobId, ['pending'], { status: 'running' })).toBe(true);
    await fx.store.createDescendants(records.slice(0, 3));
    expect((await fx.store.getJob(records[0]!.jobId))!.status).toBe('running');
    expect((await fx.store.getJob(records[2]!.jobId))!.status).toBe('pending');
  });
});

describe('DynamoJobStore.unfinishedChildren: the sweeper reads buckets, then only unfinished buckets (issue 9, item 11)', () => {
  it('returns the children of incomplete buckets only, in ranges, and every counted child', async () => {
    const spec: JobSpec = { name: 'p', owner: 'o', children: Array.from({ length: 250 }, (_, i) => ({ name: `c${i + 1}`, owner: 'o', tasks: [{ name: 't', provider: 'demo' }] })) };
    const records = planSubmission(spec, 'P', '2026-01-01T00:00:00.000Z');
    await fx.store.createJobs(records);
    // Buckets 0 and 2 complete (children 1–100 and 201–250), bucket 1 has one child missing (150).
    for (let i = 1; i <= 250; i++) if (i !== 150) await fx.store.countChild('P', i, false, i <= 200 ? 100 : 50, 0);
    const { children, counted } = await fx.store.unfinishedChildren('P', 250);
    expect(children.map((c) => c.childIndex)).toEqual(Array.from({ length: 100 }, (_, i) => i + 101));
    expect(counted.size).toBe(249);
    expect(counted.has(150)).toBe(false);
    await fx.store.countChild('P', 150, false, 100, 0);
    expect((await fx.store.unfinishedChildren('P', 250)).children).toEqual([]);
  });
});

describe('DynamoJobStore: a child is counted, its bucket counted and its parent finished only from the state read (issue 9)', () => {
  it('a reopen between the read of the bucket version and the count makes the count, the bucket count and the finish fail', async () => {
    const spec: JobSpec = { name: 'p', owner: 'o', children: [{ name: 'a', owner: 'o', tasks: [{ name: 't', provider: 'demo' }] }, { name: 'b', owner: 'o', tasks: [{ name: 't', provider: 'demo' }] }] };
    await fx.store.createJobs(planSubmission(spec, 'Q', '2026-01-01T00:00:00.000Z'));
    expect((await fx.store.getJob('Q'))!.status).toBe('running');
    expect((await fx.store.bucketState('Q', 0)).reopens).toBe(0);
    expect(await fx.store.countChild('Q', 1, false, 2, 0)).toEqual({ bucketComplete: false, bucketFailed: false, reopens: 0 });
    // A person reopens child 1 (its bucket entry goes, the version moves).
    expect(await fx.store.transact([{ op: 'uncountChild', parentId: 'Q', childIndex: 1 }])).toBe(-1);
    expect((await fx.store.bucketState('Q', 0)).reopens).toBe(1);
    // A count decided at version 0 no longer lands; at version 1 it does; a replay carries on.
    expect(await fx.store.countChild('Q', 2, true, 2, 0)).toBeUndefined();
    expect(await fx.store.countChild('Q', 2, true, 2, 1)).toEqual({ bucketComplete: false, bucketFailed: true, reopens: 1 });
    expect(await fx.store.countChild('Q', 2, true, 2, 0)).toEqual({ bucketComplete: false, bucketFailed: true, reopens: 1 });
    const complete = await fx.store.countChild('Q', 1, false, 2, 1);
    expect(complete).toEqual({ bucketComplete: true, bucketFailed: true, reopens: 1 });
    // The bucket is counted on the parent only at the version it completed at.
    expect(await fx.store.countBucket('Q', 0, true, 0)).toBeUndefined();
    expect(await fx.store.countBucket('Q', 0, true, 1)).toEqual({ doneBuckets: 1, failedBuckets: 1, status: 'running' });
    expect(await fx.store.countBucket('Q', 0, true, 0)).toEqual({ doneBuckets: 1, failedBuckets: 1, status: 'running' });
    // The finish needs every bucket counted: after an uncount of the bucket it fails.
    expect(await fx.store.transact([{ op: 'uncountBucket', parentId: 'Q', childIndex: 1, in: ['running'] }])).toBe(-1);
    expect(await fx.store.transitionJob('Q', ['running'], { status: 'failed' }, undefined, { bucketsDone: 1 })).toBe(false);
    expect(await fx.store.countBucket('Q', 0, true, 1)).toBeDefined();
    expect(await fx.store.transitionJob('Q', ['running'], { status: 'failed' }, undefined, { bucketsDone: 1 })).toBe(true);
  });
});

describe('DynamoJobStore: reads a submit and a stream batch need', () => {
  it('a root without a bizId is created without reading it first; a second put of the same records is refused, not doubled', async () => {
    const records = plan({ name: 'p', owner: 'o', children: [{ name: 'c', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] }] }, '2026-01-01T00:00:00.000Z');
    const first = await fx.store.createJobs(records);
    const again = await fx.store.createJobs(records);
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, root: { jobId: first.root.jobId } });
    expect((await fx.partition(partitionOf(first.root.jobId))).map((i) => i.sk).sort()).toEqual(['C#00001', 'J'].sort());
  });

  it('getJobs reads many jobs strongly consistent in the order asked, skipping unknown ids, past 100 keys', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) ids.push((await fx.store.createJobs(plan({ name: `p${i}`, owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] }, '2026-01-01T00:00:00.000Z'))).root.jobId);
    const asked = [...ids].reverse();
    asked.splice(7, 0, '01UNKNOWNJOB0000000000000');
    const got = await fx.store.getJobs(asked);
    expect(got.map((j) => j.jobId)).toEqual([...ids].reverse());
    expect(got[0]).toEqual(await fx.store.getJob(ids[119]!));
  });
});

describe('DynamoJobStore.countChildren: a stream batch counts its children of one bucket in one write (issue 12)', () => {
  it('counts several at once, answers a replay as counted, refuses a count decided before a reopen', async () => {
    const spec: JobSpec = { name: 'p', owner: 'o', children: Array.from({ length: 5 }, (_, i) => ({ name: `c${i + 1}`, owner: 'o', tasks: [{ name: 't', provider: 'demo' }] })) };
    await fx.store.createJobs(planSubmission(spec, 'R', '2026-01-01T00:00:00.000Z'));
    const counts = (ids: number[], failed: number[] = []) => ids.map((childIndex) => ({ childIndex, failed: failed.includes(childIndex) }));
    expect(await fx.store.countChildren('R', 0, counts([1, 2, 3], [2]), 5, 0)).toEqual({ bucketComplete: false, bucketFailed: true, reopens: 0 });
    // The same batch again (a replay), and one overlapping it.
    expect(await fx.store.countChildren('R', 0, counts([1, 2, 3], [2]), 5, 0)).toEqual({ bucketComplete: false, bucketFailed: true, reopens: 0 });
    expect(await fx.store.countChildren('R', 0, counts([3, 4]), 5, 0)).toEqual({ bucketComplete: false, bucketFailed: true, reopens: 0 });
    const bucket = (await fx.partition(partitionOf('R'))).find((i) => String(i.sk).startsWith('B'))!;
    expect([...(bucket.done as Set<number>)].sort()).toEqual([1, 2, 3, 4]);
    // Child 1 reopened: a count decided at version 0 does not land, nor does its replay pretend it did.
    expect(await fx.store.transact([{ op: 'uncountChild', parentId: 'R', childIndex: 1 }])).toBe(-1);
    expect(await fx.store.countChildren('R', 0, counts([1, 5]), 5, 0)).toBeUndefined();
    expect(await fx.store.countChildren('R', 0, counts([5]), 5, 1)).toEqual({ bucketComplete: false, bucketFailed: true, reopens: 1 });
    expect(await fx.store.countChildren('R', 0, counts([1, 5]), 5, 1)).toEqual({ bucketComplete: true, bucketFailed: true, reopens: 1 });
  });
});

describe('DynamoJobStore.countChildren: a whole bucket in one call (issue 12)', () => {
  it('counts 100 children at once (in writes whose conditions stay under DynamoDB’s 300 operators) and completes the bucket', async () => {
    const spec: JobSpec = { name: 'p', owner: 'o', children: Array.from({ length: 100 }, (_, i) => ({ name: `c${i + 1}`, owner: 'o', tasks: [{ name: 't', provider: 'demo' }] })) };
    await fx.store.createJobs(planSubmission(spec, 'H', '2026-01-01T00:00:00.000Z'));
    const all = Array.from({ length: 100 }, (_, i) => ({ childIndex: i + 1, failed: i === 99 }));
    expect(await fx.store.countChildren('H', 0, all, 100, 0)).toEqual({ bucketComplete: true, bucketFailed: true, reopens: 0 });
    // Again (a replayed batch): counted, nothing refused by the expression.
    expect(await fx.store.countChildren('H', 0, all, 100, 0)).toEqual({ bucketComplete: true, bucketFailed: true, reopens: 0 });
  });
});

describe('DynamoJobStore.bucketState: a replay reads what is counted instead of writing it again (issue 12)', () => {
  it('says which children are counted and whether the parent counted the bucket at its current version; a reopen makes that mark stale', async () => {
    const spec: JobSpec = { name: 'p', owner: 'o', children: Array.from({ length: 3 }, (_, i) => ({ name: `c${i + 1}`, owner: 'o', tasks: [{ name: 't', provider: 'demo' }] })) };
    await fx.store.createJobs(planSubmission(spec, 'S', '2026-01-01T00:00:00.000Z'));
    expect(await fx.store.bucketState('S', 0)).toEqual({ reopens: 0, done: new Set(), anyFailed: false, onParent: false });
    await fx.store.countChildren('S', 0, [{ childIndex: 1, failed: false }, { childIndex: 2, failed: true }, { childIndex: 3, failed: false }], 3, 0);
    expect(await fx.store.bucketState('S', 0)).toEqual({ reopens: 0, done: new Set([1, 2, 3]), anyFailed: true, onParent: false });
    expect(await fx.store.countBucket('S', 0, true, 0)).toEqual({ doneBuckets: 1, failedBuckets: 1, status: 'running' });
    expect((await fx.store.bucketState('S', 0)).onParent).toBe(true);
    expect(await fx.store.parentCounts('S')).toEqual({ doneBuckets: 1, failedBuckets: 1, status: 'running' });
    // A person reopens child 2: the bucket leaves the parent and its version moves, so the mark no longer holds.
    expect(await fx.store.transact([{ op: 'uncountChild', parentId: 'S', childIndex: 2 }, { op: 'uncountBucket', parentId: 'S', childIndex: 2, in: ['running'] }])).toBe(-1);
    expect(await fx.store.bucketState('S', 0)).toEqual({ reopens: 1, done: new Set([1, 3]), anyFailed: false, onParent: false });
    expect(await fx.store.parentCounts('S')).toEqual({ doneBuckets: 0, failedBuckets: 0, status: 'running' });
  });
});
