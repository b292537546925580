/**
 * A sweep's cost follows the work in flight (issue 9, item 11): of a parent it reads the completion buckets and
 * only the children of buckets not yet complete, and it looks into at most `childChecksPerParent` running
 * children per sweep, in a window that moves each minute so that every running child is looked at in turn.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine, type MemoryEngine } from '../../../functions/adapters/memory';
import type { JobSpec } from '../../../functions/core/model';
import { bucketOf, bucketSize, planSubmission } from '../../../functions/core/submission';
import { sweep } from '../../../functions/engine/reconcile';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** A running parent of `n` children: the first `finished` succeeded and were counted, the rest run. */
async function parentWith(n: number, finished: number): Promise<{ w: MemoryEngine; parentId: string }> {
  const w = createMemoryEngine({ routes: ['demo'] });
  w.clock.set(T0);
  const spec: JobSpec = { name: 'p', owner: 'o', children: Array.from({ length: n }, (_, i) => ({ name: `c${i + 1}`, owner: 'o', tasks: [{ name: 't', provider: 'demo' }] })) };
  const records = planSubmission(spec, 'P', new Date(T0).toISOString());
  await w.store.createJobs(records);
  const at = new Date(T0).toISOString();
  for (let i = 1; i <= n; i++) await w.store.transitionJob(`P.${i}`, ['pending'], { status: 'running', startedAt: at });
  for (let i = 1; i <= finished; i++) {
    await w.store.transitionJob(`P.${i}`, ['running'], { status: 'succeeded', endedAt: at });
    const counted = await w.store.countChild('P', i, false, bucketSize(bucketOf(i), n), 0);
    if (counted?.bucketComplete) await w.store.countBucket('P', bucketOf(i), false, 0);
  }
  return { w, parentId: 'P' };
}

/** Job ids whose tree a sweep read. */
function spyTrees(w: MemoryEngine): string[] {
  const read: string[] = [];
  const original = w.store.getJobTree.bind(w.store);
  w.store.getJobTree = async (jobId) => {
    read.push(jobId);
    return original(jobId);
  };
  return read;
}

describe('sweep cost follows the work in flight', () => {
  it('reads only the children of unfinished buckets: 50 of 250 when 200 are done', async () => {
    const { w } = await parentWith(250, 200);
    w.clock.set(T0 + 3_600_000);
    const report = await sweep(w.deps, { requeueAfterMs: 60_000 });
    expect(w.store.reads.unfinishedChildren).toBe(1);
    expect(w.store.reads.childItems).toBe(50);
    expect(report).toMatchObject({ roots: 1, deferred: 0, failed: 0 });
    // Each running child's first task was never sent: each gets its dispatch repaired.
    expect(report.redispatched).toBe(50);
  });

  it('looks into at most childChecksPerParent running children per sweep, and every one within a few sweeps', async () => {
    const { w } = await parentWith(250, 200);
    const read = spyTrees(w);
    const seen = new Set<string>();
    for (let minute = 60; minute < 63; minute++) {
      w.clock.set(T0 + minute * 60_000);
      read.length = 0;
      const report = await sweep(w.deps, { requeueAfterMs: 60_000, childChecksPerParent: 20 });
      expect(report.deferred).toBe(30);
      expect(read.filter((id) => id.startsWith('P.'))).toHaveLength(20);
      for (const id of read) seen.add(id);
    }
    // Three windows of 20 cover all 50 running children.
    expect([...seen].filter((id) => id.startsWith('P.')).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `P.${i + 201}`).sort());
  });

  it('a finished parent whose finish was lost is settled from its buckets alone (no child read)', async () => {
    const { w } = await parentWith(150, 150);
    w.clock.set(T0 + 3_600_000);
    await sweep(w.deps, { requeueAfterMs: 60_000 });
    expect(w.store.reads.childItems).toBe(0);
    expect(w.store.jobs.get('P')!.status).toBe('succeeded');
  });

  it('stops starting roots at the deadline; they wait for the next sweep', async () => {
    const { w } = await parentWith(10, 0);
    const report = await sweep(w.deps, { requeueAfterMs: 60_000, deadline: Date.now() - 1 });
    expect(report).toMatchObject({ roots: 0, skippedRoots: 1 });
  });
});
