/**
 * Submission in the DynamoDB store, against DynamoDB Local (real conditions and transactions): a bizId names one
 * job, and submitting it again, repeated or concurrently, writes nothing (invariant 9): no second waiter in a
 * token's queue (an orphan waiter would head the queue forever), no child under the existing root.
 */
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { partitionOf, tokenKey } from '../../../functions/adapters/dynamodb/keys';
import type { JobSpec } from '../../../functions/core/model';
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
