/**
 * Staged submission on the in-memory store (issue 9, item 14): a large tree is accepted with its parts and its
 * root only; the stream creates the descendants and then starts the root; a discard, a lost record and tokens
 * all end in a job a person can see finish (invariants 3, 6 and 9).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine, type MemoryChange, type MemoryEngine } from '../../../functions/adapters/memory';
import type { JobSpec } from '../../../functions/core/model';
import { stageSubmission, decideStagingDone, partsToExpand } from '../../../functions/core/staging';
import { planSubmission } from '../../../functions/core/submission';
import { discardJob } from '../../../functions/engine/control';
import { submitJob } from '../../../functions/engine/jobs-service';
import { onChange } from '../../../functions/engine/on-change';
import { sweep } from '../../../functions/engine/reconcile';

const staged = { maxDepth: 8, maxJobPayloadBytes: 256 * 1024, stageAbove: 0, stagePart: { partRecords: 2 } };

/** A parent of `n` pipelines, one of them a nested parent with two grandchildren. */
function wide(n: number, extra: Partial<JobSpec> = {}): JobSpec {
  const children: JobSpec[] = Array.from({ length: n }, (_, i) => ({ name: `c${i + 1}`, owner: 'o', tasks: [{ name: 't', provider: 'demo' }] }));
  children[0] = { name: 'nested', owner: 'o', children: [{ name: 'g1', owner: 'o', tasks: [{ name: 't', provider: 'demo' }] }, { name: 'g2', owner: 'o', tasks: [{ name: 't', provider: 'demo' }] }] };
  return { name: 'wide', owner: 'o', ...extra, children };
}

function world(): { w: MemoryEngine; changes: MemoryChange[]; drain: (keep?: (c: MemoryChange) => boolean) => Promise<void> } {
  const changes: MemoryChange[] = [];
  const w = createMemoryEngine({ routes: ['demo'], onChange: (c) => changes.push(c) });
  const drain = async (keep: (c: MemoryChange) => boolean = () => true) => {
    for (let i = 0; changes.length > 0 && i < 10_000; i++) {
      const change = changes.shift()!;
      if (keep(change)) await onChange(w.deps, change);
    }
  };
  return { w, changes, drain };
}

const statusOf = (w: MemoryEngine, id: string) => w.store.jobs.get(id)?.status;

describe('staged submission', () => {
  it('plans parts of at most N records, descendants only, and a pending root that names them', () => {
    const records = planSubmission(wide(5), 'R', '2026-01-01T00:00:00.000Z');
    const { root, parts } = stageSubmission(records, 'n1', { partRecords: 2 });
    expect(parts.map((p) => p.records.length)).toEqual([2, 2, 2, 1]);
    expect(parts.flatMap((p) => p.records.map((r) => r.jobId)).sort()).toEqual(records.slice(0, -1).map((r) => r.jobId).sort());
    expect(root).toMatchObject({ jobId: 'R', status: 'pending', staging: { nonce: 'n1', parts: 4 }, reason: 'creating its 7 descendant jobs' });
    expect(root.startedAt).toBeUndefined();
    expect(partsToExpand({ staging: { nonce: 'n1', parts: 4, done: [0, 2] } })).toEqual([1, 3]);
    expect(decideStagingDone({ ...root, staging: { nonce: 'n1', parts: 4, done: [0, 1, 2] } }, 'now')).toBeUndefined();
    expect(decideStagingDone({ ...root, staging: { nonce: 'n1', parts: 4, done: [0, 1, 2, 3] } }, 'now')).toEqual({ status: 'running', startedAt: 'now' });
    expect(decideStagingDone({ ...root, tokens: ['A'], staging: { nonce: 'n1', parts: 4, done: [0, 1, 2, 3] } }, 'now')).toEqual({ status: 'pending', reason: 'waiting for its tokens' });
    // A part also closes at its byte budget, whatever its record count.
    expect(stageSubmission(records, 'n2', { partRecords: 100, partBytes: 1 }).parts).toHaveLength(7);
  });

  it('answers with the root alone, then the stream creates every descendant and starts it (invariant 3)', async () => {
    const { w, drain } = world();
    const { jobId, created } = await submitJob(w.deps, wide(5), staged);
    expect(created).toBe(true);
    expect([...w.store.jobs.keys()]).toEqual([jobId]);
    expect(w.store.parts.size).toBe(4);
    await drain();
    expect(statusOf(w, jobId)).toBe('running');
    expect(w.store.jobs.get(jobId)!.staging).toBeUndefined();
    for (let i = 2; i <= 5; i++) expect(statusOf(w, `${jobId}.${i}`)).toBe('running');
    expect(statusOf(w, `${jobId}.1`)).toBe('running');
    expect(statusOf(w, `${jobId}.1.2`)).toBe('running');
    // Each started pipeline sent its first task.
    expect(w.queue.sent.length).toBe(6);
  });

  it('a staged root with tokens queues for them only once its descendants exist, and waits behind a holder (invariant 6)', async () => {
    const { w, drain } = world();
    const holder = await submitJob(w.deps, { name: 'h', owner: 'o', tokens: ['A'], tasks: [{ name: 't', provider: 'demo' }] }, staged);
    await drain();
    expect(statusOf(w, holder.jobId)).toBe('running');
    const { jobId } = await submitJob(w.deps, wide(3, { tokens: ['A'] }), staged);
    await drain();
    expect(statusOf(w, jobId)).toBe('pending');
    expect(w.store.jobs.get(jobId)!.staging).toBeUndefined();
    expect(w.store.jobs.get(jobId)!.reason).toMatch(/waiting for token A/);
    expect(statusOf(w, `${jobId}.3`)).toBe('pending');
  });

  it('a discard while staging leaves no descendant pending or running, and publishes the discard (invariant 3)', async () => {
    const { w, changes, drain } = world();
    const { jobId } = await submitJob(w.deps, wide(7), staged);
    // Expand the first parts only: the root's INSERT runs stageChildren, which a crash stops before its third part.
    let reads = 0;
    const insert = changes.shift()!;
    const original = w.store.stagedPart.bind(w.store);
    w.store.stagedPart = async (...args) => {
      if (++reads > 2) throw new Error('crash');
      return original(...args);
    };
    await expect(onChange(w.deps, insert)).rejects.toThrow('crash');
    w.store.stagedPart = original;
    expect(w.store.jobs.size).toBe(5);
    await discardJob(w.deps, jobId, { reason: 'enough' });
    await drain();
    // The stream delivers the root's INSERT again (at least once): the rest is created and discarded, or never created.
    await onChange(w.deps, insert);
    await drain();
    expect(statusOf(w, jobId)).toBe('discarded');
    for (const [id, job] of w.store.jobs) if (id !== jobId) expect([id, job.status]).toEqual([id, 'discarded']);
    expect((await w.results.get(jobId))?.status).toBe('discarded');
  });

  it('the sweeper finishes a staging whose stream records were lost', async () => {
    const { w, changes } = world();
    const { jobId } = await submitJob(w.deps, wide(4), staged);
    changes.length = 0;
    await sweep(w.deps, { requeueAfterMs: 60_000 });
    expect(statusOf(w, jobId)).toBe('pending');
    w.clock.advance(61_000);
    const report = await sweep(w.deps, { requeueAfterMs: 60_000 });
    expect(report.repaired).toBe(1);
    expect(statusOf(w, jobId)).toBe('running');
    // Children are born running: nothing was sent for them yet.
    expect(statusOf(w, `${jobId}.4`)).toBe('running');
    expect(w.queue.sent.filter((m) => m.message.jobId === `${jobId}.4`)).toEqual([]);
    // The next sweep sends the first tasks the lost records would have sent.
    w.clock.advance(61_000);
    await sweep(w.deps, { requeueAfterMs: 60_000 });
    expect(w.queue.sent.filter((m) => m.message.jobId === `${jobId}.4`).map((m) => m.message.taskIndex)).toEqual([0]);
  });

  it('a part is marked once and only under its own nonce; the end needs every part (no mixing of two submissions)', async () => {
    const { w } = world();
    const { jobId } = await submitJob(w.deps, wide(3), staged);
    const { nonce, parts } = w.store.jobs.get(jobId)!.staging!;
    await w.store.markStagedPart(jobId, 'other-nonce', 0);
    expect(w.store.jobs.get(jobId)!.stagedParts).toBeUndefined();
    await w.store.markStagedPart(jobId, nonce, 0);
    await w.store.markStagedPart(jobId, nonce, 0);
    expect([...w.store.jobs.get(jobId)!.stagedParts!]).toEqual([0]);
    expect(await w.store.finishStaging(jobId, nonce, parts, { status: 'running' })).toBe(false);
    for (let i = 1; i < parts; i++) await w.store.markStagedPart(jobId, nonce, i);
    expect(await w.store.finishStaging(jobId, 'other-nonce', parts, { status: 'running' })).toBe(false);
    expect(await w.store.finishStaging(jobId, nonce, parts, { status: 'running' })).toBe(true);
    expect(await w.store.finishStaging(jobId, nonce, parts, { status: 'running' })).toBe(false);
  });
});
