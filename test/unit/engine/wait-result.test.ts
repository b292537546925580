/**
 * Sync waits (`GET /jobs/{id}/result?wait=N`) on the in-memory store: what they answer (invariant 4: the row, or
 * what the job's record says) and what they read for it, since a caller that waits is billed per read: a wait
 * that ends on a root's row answers with that row, not with another read; a pipeline's answer comes from its
 * record, never from a read of its whole tree; children have no rows, so none is read for them.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine, type MemoryEngine } from '../../../functions/adapters/memory';
import { JobxError } from '../../../functions/core/errors';
import type { JobRecord, JobSpec } from '../../../functions/core/model';
import { submitJob, waitForResult } from '../../../functions/engine/jobs-service';

const limits = { maxDepth: 8, maxJobPayloadBytes: 256 * 1024 };
const pipeline: JobSpec = { name: 'p', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] };

/** Counts the reads a wait makes, by kind. */
function countReads(world: MemoryEngine): Record<'row' | 'job' | 'tree', number> {
  const reads = { row: 0, job: 0, tree: 0 };
  const { results, store } = world.deps;
  const get = results.get.bind(results);
  const getJob = store.getJob.bind(store);
  const getJobTree = store.getJobTree.bind(store);
  results.get = async (id) => (reads.row++, get(id));
  store.getJob = async (id) => (reads.job++, getJob(id));
  store.getJobTree = async (id) => (reads.tree++, getJobTree(id));
  return reads;
}

/** Sets a stored job's status and output as a finish would (the memory store's own record). */
function finish(world: MemoryEngine, jobId: string, patch: Partial<JobRecord>): void {
  const stored = world.store.jobs.get(jobId)!;
  world.store.jobs.set(jobId, { ...stored, ...patch });
}

describe('waitForResult', () => {
  it('a root whose row appears during the wait is answered with that row, and nothing is read after it (invariant 4)', async () => {
    const world = createMemoryEngine({ routes: ['demo'] });
    const { jobId } = await submitJob(world.deps, pipeline, limits);
    const reads = countReads(world);
    setTimeout(() => void world.results.put({ jobId, status: 'succeeded', run: 0, output: { done: true } }), 120);
    const answer = await waitForResult(world.deps, jobId, 5);
    expect(answer).toMatchObject({ jobId, status: 'succeeded', output: { done: true }, finished: true });
    // First look: the row (none yet) and the job's record; then only rows, the last of which was the answer.
    expect(reads.job).toBe(1);
    expect(reads.tree).toBe(0);
    expect(reads.row).toBeGreaterThanOrEqual(2);
    const polls = reads.row;
    await new Promise((r) => setTimeout(r, 50));
    expect(reads.row).toBe(polls);
  });

  it('a finished pipeline root without its row yet is answered from its record, without reading its tasks (invariant 4)', async () => {
    const world = createMemoryEngine({ routes: ['demo'] });
    const { jobId } = await submitJob(world.deps, pipeline, limits);
    finish(world, jobId, { status: 'failed', reason: 'task a failed' });
    const reads = countReads(world);
    expect(await waitForResult(world.deps, jobId, 0)).toEqual({ jobId, status: 'failed', reason: 'task a failed', finished: true });
    expect(reads).toEqual({ row: 1, job: 1, tree: 0 });
  });

  it('an unfinished job after a wait of 0 answers its status, unfinished', async () => {
    const world = createMemoryEngine({ routes: ['demo'] });
    const { jobId } = await submitJob(world.deps, pipeline, limits);
    expect(await waitForResult(world.deps, jobId, 0)).toEqual({ jobId, status: 'running', finished: false });
  });

  it('a child is polled on its record, never on a row (children have none), and a finished parent child gathers its children', async () => {
    const world = createMemoryEngine({ routes: ['demo'] });
    const spec: JobSpec = { name: 'root', owner: 'o', children: [{ name: 'mid', owner: 'o', children: [{ name: 'leaf', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] }] }] };
    const { jobId } = await submitJob(world.deps, spec, limits);
    const mid = `${jobId}.1`;
    const leaf = `${mid}.1`;
    finish(world, leaf, { status: 'succeeded', output: { x: 1 } });
    const reads = countReads(world);
    setTimeout(() => finish(world, mid, { status: 'succeeded' }), 120);
    const answer = await waitForResult(world.deps, mid, 5);
    expect(answer).toMatchObject({ jobId: mid, status: 'succeeded', finished: true, output: { leaf: { x: 1 } } });
    expect(reads.row).toBe(0);
    expect(reads.tree).toBe(1);
  });

  it('an unknown job is a 404 NOT_FOUND, root or child', async () => {
    const world = createMemoryEngine({ routes: ['demo'] });
    for (const id of ['01JUNKNOWN', '01JUNKNOWN.1']) {
      const err = await waitForResult(world.deps, id, 0).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JobxError);
      expect(err).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    }
  });
});
