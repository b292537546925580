/**
 * A stream batch counts the children it finished per bucket in one write (issue 12), under the guard of the
 * one-record path (invariant 5: a parent finishes exactly once, after all its children, never over a child
 * reopened by hand): the children are read after their bucket's version, not taken from the stream records.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine, type MemoryChange } from '../../../functions/adapters/memory';
import type { JobSpec } from '../../../functions/core/model';
import { NonRetryableError } from '../../../functions/core/provider-errors';
import { retryTask } from '../../../functions/engine/control';
import { reportToParent } from '../../../functions/engine/effects';
import { submitJob } from '../../../functions/engine/jobs-service';
import { onChange } from '../../../functions/engine/on-change';
import { runTask } from '../../../functions/engine/run-task';
import { StreamBatch } from '../../../functions/engine/stream-batch';

const limits = { maxDepth: 8, maxJobPayloadBytes: 256 * 1024 };
const parentOf = (n: number): JobSpec => ({ name: 'wide', owner: 'o', children: Array.from({ length: n }, (_, i) => ({ name: `c${i + 1}`, owner: 'o', tasks: [{ name: 't', provider: 'demo' }] })) });

/** A parent whose children each ran their one task (`fail` for those listed); the changes not yet delivered. */
async function finishedChildren(n: number, failing: ReadonlySet<number> = new Set()) {
  const changes: MemoryChange[] = [];
  const writes: string[] = [];
  const w = createMemoryEngine({ routes: ['demo'], onChange: (c) => changes.push(c), beforeWrite: (what) => writes.push(what) });
  const { jobId } = await submitJob(w.deps, parentOf(n), limits);
  while (changes.length) await onChange(w.deps, changes.shift()!);
  for (const sent of [...w.queue.sent]) {
    w.queue.delete(sent.id);
    const child = Number(sent.message.jobId.split('.').pop());
    await runTask(w.deps, sent.message, () => {
      if (failing.has(child)) throw new NonRetryableError('no');
      return { ok: child };
    });
  }
  // The task ends: each child finishes (one change per child job), still undelivered.
  const taskEnds = changes.splice(0);
  for (const c of taskEnds) await onChange(w.deps, c);
  const childEnds = changes.splice(0);
  writes.length = 0;
  return { w, jobId, childEnds, writes, changes };
}

/** Delivers changes as one batch: read ahead, each record, then the flush. */
async function deliverBatch(w: ReturnType<typeof createMemoryEngine>, batch: readonly MemoryChange[]) {
  const b = await StreamBatch.readAhead(w.deps, batch);
  for (const [i, change] of batch.entries()) await onChange(w.deps, change, undefined, b.forRecord(String(i)));
  return b.flush(w.deps);
}

describe('children counted per stream batch', () => {
  it('ten children of one bucket ending in one batch: one count write, the parent finishes once with every output (invariant 5)', async () => {
    const { w, jobId, childEnds, writes } = await finishedChildren(10);
    expect(childEnds.filter((c) => c.type === 'job')).toHaveLength(10);
    expect(await deliverBatch(w, childEnds)).toEqual([]);
    expect(writes.filter((x) => x === 'countChild')).toHaveLength(1);
    const parent = await w.store.getJob(jobId);
    expect(parent?.status).toBe('succeeded');
    expect(Object.keys(parent?.output ?? {})).toHaveLength(10);
  });

  it('the same batch delivered again writes nothing (no refused count of the children or of their bucket) and does not finish the parent again (invariant 1)', async () => {
    const { w, jobId, childEnds, writes, changes } = await finishedChildren(10);
    await deliverBatch(w, childEnds);
    const endedAt = (await w.store.getJob(jobId))?.endedAt;
    changes.length = 0;
    writes.length = 0;
    await deliverBatch(w, childEnds);
    expect(writes.filter((x) => x === 'countChild' || x === 'countBucket' || x === 'transitionJob')).toEqual([]);
    expect((await w.store.getJob(jobId))?.endedAt).toBe(endedAt);
  });

  it('a child retried by hand between its record and the flush is not counted: the parent waits for its new end (invariant 5)', async () => {
    const { w, jobId, childEnds, changes } = await finishedChildren(4, new Set([3]));
    // The batch's records are handled; before its flush, a person retries child 3's failed task.
    const b = await StreamBatch.readAhead(w.deps, childEnds);
    for (const [i, change] of childEnds.entries()) await onChange(w.deps, change, undefined, b.forRecord(String(i)));
    await retryTask(w.deps, `${jobId}.3`, 't1', {});
    await b.flush(w.deps);
    expect((await w.store.getJob(jobId))?.status).toBe('running');
    expect((await w.store.getJob(`${jobId}.3`))?.status).toBe('running');
    // Its new run succeeds: the parent finishes, succeeded, once.
    while (changes.length) await onChange(w.deps, changes.shift()!);
    const again = w.queue.sent.find((m) => m.message.jobId === `${jobId}.3`)!;
    w.queue.delete(again.id);
    await runTask(w.deps, again.message, () => ({ ok: 3 }));
    while (changes.length) await deliverBatch(w, changes.splice(0));
    expect((await w.store.getJob(jobId))?.status).toBe('succeeded');
  });

  it('children of two buckets in one batch: one write per bucket', async () => {
    const { w, jobId, childEnds, writes } = await finishedChildren(150);
    expect(await deliverBatch(w, childEnds)).toEqual([]);
    expect(writes.filter((x) => x === 'countChild')).toHaveLength(2);
    expect((await w.store.getJob(jobId))?.status).toBe('succeeded');
  });

  it('children the sweeper counted first (the stream lagging): the batch writes only the ones still uncounted, and no bucket count twice (issue 12)', async () => {
    const { w, jobId, childEnds, writes } = await finishedChildren(10);
    // The sweeper's repair counts children 1–6 one by one, as it does for children finished and uncounted.
    for (let i = 1; i <= 6; i++) await reportToParent(w.deps, jobId, i);
    writes.length = 0;
    await deliverBatch(w, childEnds);
    expect(writes.filter((x) => x === 'countChild' || x === 'countBucket')).toEqual(['countChild', 'countBucket']);
    expect((await w.store.bucketState(jobId, 0)).done.size).toBe(10);
    expect((await w.store.getJob(jobId))?.status).toBe('succeeded');
    // And once the parent counted the bucket, a replay of the whole batch writes nothing at all.
    writes.length = 0;
    await deliverBatch(w, childEnds);
    expect(writes).toEqual([]);
  });

  it('a bucket counted on its parent, then a child reopened: the mark goes stale, a replay finishes nothing, the child\'s new end counts the bucket again (invariant 5)', async () => {
    // Two buckets: the parent waits for the second while the first is counted, reopened and counted again.
    const { w, jobId, childEnds, changes } = await finishedChildren(150, new Set([3]));
    const first = childEnds.filter((c) => Number(c.key.split('.').pop()) <= 100);
    const second = childEnds.filter((c) => Number(c.key.split('.').pop()) > 100);
    await deliverBatch(w, first);
    expect(await w.store.parentCounts(jobId)).toEqual({ doneBuckets: 1, failedBuckets: 1, status: 'running' });
    expect((await w.store.bucketState(jobId, 0)).onParent).toBe(true);
    await retryTask(w.deps, `${jobId}.3`, 't1', {});
    expect((await w.store.bucketState(jobId, 0)).onParent).toBe(false);
    // The first bucket's batch replayed (the retry's own records wait): child 3 is running again, nothing is counted.
    const retried = changes.splice(0);
    await deliverBatch(w, first);
    expect(await w.store.parentCounts(jobId)).toEqual({ doneBuckets: 0, failedBuckets: 0, status: 'running' });
    await deliverBatch(w, second);
    expect((await w.store.getJob(jobId))?.status).toBe('running');
    // Child 3 runs again and succeeds: its end completes the first bucket at the new version; the parent succeeds.
    changes.unshift(...retried);
    while (changes.length) await onChange(w.deps, changes.shift()!);
    const again = w.queue.sent.find((m) => m.message.jobId === `${jobId}.3`)!;
    w.queue.delete(again.id);
    await runTask(w.deps, again.message, () => ({ ok: 3 }));
    while (changes.length) await deliverBatch(w, changes.splice(0));
    expect(await w.store.parentCounts(jobId)).toEqual({ doneBuckets: 2, failedBuckets: 0, status: 'succeeded' });
  });

  it('a parent born running sends its children\'s first tasks together (ten to an SQS request), each exactly once (issue 12)', async () => {
    const changes: MemoryChange[] = [];
    const w = createMemoryEngine({ routes: ['demo'], onChange: (c) => changes.push(c) });
    const batches: number[] = [];
    const sendMany = w.queue.sendMany.bind(w.queue);
    w.queue.sendMany = async (messages) => {
      batches.push(messages.length);
      return sendMany(messages);
    };
    await submitJob(w.deps, parentOf(250), limits);
    while (changes.length) await onChange(w.deps, changes.shift()!);
    // Read a hundred children at a time: one sendMany per page.
    expect(batches).toEqual([100, 100, 50]);
    expect(new Set(w.queue.sent.map((m) => m.message.jobId)).size).toBe(250);
    expect(w.queue.sent).toHaveLength(250);
  });
});
