/**
 * Idempotent submit (invariant 9) on the in-memory store: one bizId names one job; the same spec again is the
 * same job (200, nothing written), another spec under that bizId is a 409 BIZ_ID_CONFLICT naming the job.
 */
import { createHash } from 'node:crypto';
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

  it('a resubmission that differs only in token order, empty fields or undefined keys is the same submission (200, not a conflict)', async () => {
    const world = createMemoryEngine({ routes: ['demo'] });
    const base: JobSpec = { name: 'j', owner: 'o', bizId: 'order-2', tokens: ['a', 'b'], tasks: [{ name: 'a', provider: 'demo' }] };
    const first = await submitJob(world.deps, base, limits);
    const same: JobSpec = { owner: 'o', name: 'j', bizId: 'order-2', tokens: ['b', 'a'], input: {}, env: {}, retry: {}, desc: undefined, tasks: [{ name: 'a', provider: 'demo', input: {} }] };
    expect(await submitJob(world.deps, same, limits)).toEqual({ created: false, jobId: first.jobId });
  });

  it('a changed task input, task order or nested empty value under the same bizId is a conflict', async () => {
    const world = createMemoryEngine({ routes: ['demo'] });
    const base: JobSpec = { name: 'j', owner: 'o', bizId: 'order-3', tasks: [{ name: 'a', provider: 'demo', input: { x: {} } }, { name: 'b', provider: 'demo' }] };
    await submitJob(world.deps, base, limits);
    const variants: JobSpec[] = [
      { ...base, tasks: [{ name: 'a', provider: 'demo', input: { x: 2 } }, { name: 'b', provider: 'demo' }] },
      { ...base, tasks: [{ name: 'b', provider: 'demo' }, { name: 'a', provider: 'demo', input: { x: {} } }] },
      // An empty object inside an input is data, not an absent field.
      { ...base, tasks: [{ name: 'a', provider: 'demo', input: {} }, { name: 'b', provider: 'demo' }] },
    ];
    for (const variant of variants) {
      await expect(submitJob(world.deps, variant, limits)).rejects.toMatchObject({ code: 'BIZ_ID_CONFLICT' });
    }
  });

  it('a root stored with the digest from before specs were normalized still matches its identical resubmission', async () => {
    const world = createMemoryEngine({ routes: ['demo'] });
    const legacy: JobSpec = { ...spec, bizId: 'order-4', input: {} };
    const first = await submitJob(world.deps, legacy, limits);
    const sortedKeysOnly = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sortedKeysOnly) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeysOnly((v as Record<string, unknown>)[k])])) : v;
    const root = world.store.jobs.get(first.jobId)!;
    root.specHash = createHash('sha256').update(JSON.stringify(sortedKeysOnly(legacy))).digest('hex').slice(0, 32);
    expect(root.specHash).not.toBe(specDigest(legacy));
    expect(await submitJob(world.deps, legacy, limits)).toEqual({ created: false, jobId: first.jobId });
  });

  it('the spec digest ignores key order and sees every value', () => {
    expect(specDigest({ name: 'a', owner: 'b' })).toBe(specDigest({ owner: 'b', name: 'a' }));
    expect(specDigest({ name: 'a', owner: 'b', input: { n: 1 } })).not.toBe(specDigest({ name: 'a', owner: 'b', input: { n: 2 } }));
  });
});
