/**
 * A task must fit the function that runs it: the API refuses a task whose timeoutSeconds (300 s by default) is
 * longer than its provider's function can run (the construct's maxTaskTimeout, in JOBX_ROUTES), instead of
 * Lambda stopping the whole batch mid-task.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine } from '../../../functions/adapters/memory';
import { submitJob } from '../../../functions/engine/jobs-service';

const limits = { maxDepth: 8, maxJobPayloadBytes: 256 * 1024 };

describe('task timeouts against the provider function', () => {
  const world = () => createMemoryEngine({ routes: ['fast', 'slow', 'fast@edge-1'], maxTaskSeconds: { fast: 27, slow: 897, 'fast@edge-1': 57 } });

  it('a task within its provider function: accepted', async () => {
    await expect(submitJob(world().deps, { name: 'ok', owner: 'o', tasks: [{ name: 'a', provider: 'fast', timeoutSeconds: 27 }, { name: 'b', provider: 'slow' }] }, limits)).resolves.toMatchObject({ created: true });
  });

  it('a longer task, or the 300 s default on a short function: 400 VALIDATION_FAILED naming the task and the limit, nothing written', async () => {
    const w = world();
    await expect(submitJob(w.deps, { name: 'long', owner: 'o', tasks: [{ name: 'a', provider: 'fast', timeoutSeconds: 60 }] }, limits)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { provider: 'fast', timeoutSeconds: 60, max: 27 },
    });
    await expect(submitJob(w.deps, { name: 'default', owner: 'o', tasks: [{ name: 'a', provider: 'fast' }] }, limits)).rejects.toMatchObject({ details: { timeoutSeconds: 300, max: 27 } });
    expect(w.store.jobs.size).toBe(0);
  });

  it("a pinned task is measured against its executor's deployment", async () => {
    await expect(submitJob(world().deps, { name: 'pinned', owner: 'o', preLock: 'edge-1', tasks: [{ name: 'a', provider: 'fast', timeoutSeconds: 50 }] }, limits)).resolves.toMatchObject({ created: true });
    await expect(submitJob(world().deps, { name: 'pinned', owner: 'o', preLock: 'edge-1', tasks: [{ name: 'a', provider: 'fast', timeoutSeconds: 58 }] }, limits)).rejects.toMatchObject({ details: { provider: 'fast@edge-1', max: 57 } });
  });
});
