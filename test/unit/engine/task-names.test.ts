/**
 * The API names a task by its id (`t1`, `t2`, …) or by its name, as the CLI does: reads, skip and retry resolve a
 * name in the job's own tasks, ids keep working, and a name the job does not have is 404 NOT_FOUND.
 */
import { describe, expect, it } from 'vitest';
import { JobxError } from '../../../functions/core/errors';
import { resolveTaskIndex, type JobSpec } from '../../../functions/core/model';
import { retryTask, skipTask } from '../../../functions/engine/control';
import { getTaskView } from '../../../functions/engine/jobs-service';
import { World } from '../../property/world';

const spec: JobSpec = { name: 'j', owner: 'o', retry: { count: 0 }, tasks: [{ name: 'fetch', provider: 'demo' }, { name: 'store', provider: 'demo' }] };

/** A job whose first task failed for good (no retries), the second never ran. */
async function failedJob(): Promise<{ w: World; id: string }> {
  const w = new World();
  const id = (await w.submit(spec))!;
  await w.streamAll();
  await w.deliverMessage(0, 'fatal');
  await w.streamAll();
  return { w, id };
}

describe('tasks named by name through the engine the API calls', () => {
  it('reads a task by its name as by its id', async () => {
    const { w, id } = await failedJob();
    const byName = await getTaskView(w.deps, id, 'fetch');
    expect(byName).toEqual(await getTaskView(w.deps, id, 't1'));
    expect(byName).toMatchObject({ taskId: 't1', name: 'fetch', status: 'failed' });
    expect(await getTaskView(w.deps, id, 'store')).toMatchObject({ taskId: 't2', name: 'store' });
  });

  it('retries and skips a task by its name, answering with the task under its id', async () => {
    const { w, id } = await failedJob();
    expect(await retryTask(w.deps, id, 'fetch', {})).toMatchObject({ taskId: 't1', status: 'queued' });
    expect(await skipTask(w.deps, id, 'fetch', { reason: 'by hand' })).toMatchObject({ taskId: 't1', status: 'skipped', reason: 'by hand' });
  });

  it('answers 404 NOT_FOUND for a name or an id the job does not have, and changes nothing', async () => {
    const { w, id } = await failedJob();
    const before = await getTaskView(w.deps, id, 't1');
    for (const ref of ['nope', 't3', 'FETCH']) {
      for (const call of [() => getTaskView(w.deps, id, ref), () => retryTask(w.deps, id, ref, {}), () => skipTask(w.deps, id, ref, {})]) {
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(JobxError);
        expect(err).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404, details: { jobId: id, taskId: ref } });
      }
    }
    expect(await getTaskView(w.deps, id, 't1')).toEqual(before);
  });
});

describe('resolveTaskIndex', () => {
  it('takes an id that names a task first, then a name; a task named like an id is reached by name only when no task has that id', () => {
    const job = { tasks: [{ name: 't2', provider: 'demo' }, { name: 'x', provider: 'demo' }, { name: 't9', provider: 'demo' }] };
    expect(resolveTaskIndex(job, 't2')).toBe(1);
    expect(resolveTaskIndex(job, 'x')).toBe(1);
    expect(resolveTaskIndex(job, 't9')).toBe(2);
    expect(resolveTaskIndex(job, 't1')).toBe(0);
    expect(resolveTaskIndex(job, 't4')).toBeUndefined();
    expect(resolveTaskIndex({}, 't1')).toBeUndefined();
  });
});
