/**
 * Idempotent submit (invariant 9) on the in-memory store: one bizId names one job; the same spec again is the
 * same job (200, nothing written), another spec under that bizId is a 409 BIZ_ID_CONFLICT naming the job.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine } from '../../../functions/adapters/memory';
import { JobxError } from '../../../functions/core/errors';
import type { JobSpec } from '../../../functions/core/model';
import { specDigest, submitJob } from '../../../functions/engine/jobs-service';

const limits = { maxDepth: 8, maxJobPayloadBytes: 256 * 1024 };
const spec: JobSpec = { name: 'j', owner: 'o', bizId: 'order-1', tasks: [{ name: 'a', provider: 'demo', input: { x: 1, y: [1, 2] } }] };

describe('submit with a bizId', () => {
  it('the same spec again answers the same job and writes nothing (invariant 9)', async () => {
    const world = createMemoryEngine({ routes: ['demo'] });
    const first = await submitJob(world.deps, spec, limits);
    const writes = world.store.jobs.size;
    const again = await submitJob(world.deps, { ...spec, tasks: [{ name: 'a', provider: 'demo', input: { y: [1, 2], x: 1 } }] }, limits);
    expect(first.created).toBe(true);
    expect(again).toEqual({ created: false, jobId: first.jobId });
    expect(world.store.jobs.size).toBe(writes);
  });

  it('another spec under the same bizId is a 409 BIZ_ID_CONFLICT naming the existing job, and writes nothing (invariant 9)', async () => {
    const world = createMemoryEngine({ routes: ['demo'] });
    const first = await submitJob(world.deps, spec, limits);
    const other: JobSpec = { ...spec, children: [{ name: 'c', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] }], tasks: undefined as never };
    delete (other as { tasks?: unknown }).tasks;
    const err = await submitJob(world.deps, other, limits).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobxError);
    expect(err).toMatchObject({ code: 'BIZ_ID_CONFLICT', httpStatus: 409, details: { jobId: first.jobId } });
    expect([...world.store.jobs.keys()]).toEqual([first.jobId]);
  });

  it('the spec digest ignores key order and sees every value', () => {
    expect(specDigest({ name: 'a', owner: 'b' })).toBe(specDigest({ owner: 'b', name: 'a' }));
    expect(specDigest({ name: 'a', owner: 'b', input: { n: 1 } })).not.toBe(specDigest({ name: 'a', owner: 'b', input: { n: 2 } }));
  });
});
