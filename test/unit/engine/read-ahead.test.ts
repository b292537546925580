/**
 * Fewer requests per task (issue 12): a stream batch reads the jobs its task changes react from in one request
 * (`readAhead`), each read handed out once, or again after a record whose effects wrote no job; a submit answers from what it wrote, without reading it back.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine, type MemoryChange } from '../../../functions/adapters/memory';
import type { JobSpec } from '../../../functions/core/model';
import { submitJob, submittedJobView, getJobView } from '../../../functions/engine/jobs-service';
import { onChange } from '../../../functions/engine/on-change';
import { StreamBatch, jobReadFor } from '../../../functions/engine/stream-batch';
import { runTask } from '../../../functions/engine/run-task';
import { NonRetryableError } from '../../../functions/core/provider-errors';
import type { EngineDeps, JobStore } from '../../../functions/ports';

const limits = { maxDepth: 8, maxJobPayloadBytes: 256 * 1024 };
const pipeline = (n: number): JobSpec => ({ name: 'p', owner: 'o', tasks: Array.from({ length: n }, (_, i) => ({ name: `s${i + 1}`, provider: 'demo' })) });

/** Deps whose store counts the calls of each method. */
function counted(deps: EngineDeps): { deps: EngineDeps; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const store = new Proxy(deps.store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as JobStore;
  return { deps: { ...deps, store }, calls };
}

async function runningPipelines(count: number) {
  const changes: MemoryChange[] = [];
  const w = createMemoryEngine({ routes: ['demo'], onChange: (c) => changes.push(c) });
  for (let i = 0; i < count; i++) await submitJob(w.deps, pipeline(2), limits);
  while (changes.length) await onChange(w.deps, changes.shift()!);
  return { w, changes };
}

describe('stream read-ahead', () => {
  it('a batch of first-task ends of 5 jobs reads the 5 jobs in one request and none one by one', async () => {
    const { w, changes } = await runningPipelines(5);
    for (const sent of [...w.queue.sent]) {
      w.queue.delete(sent.id);
      await runTask(w.deps, sent.message, () => ({ ok: true }));
    }
    const batch = changes.splice(0).filter((c) => c.type === 'task');
    const ends = batch.filter((c) => jobReadFor(c) !== undefined);
    expect(ends).toHaveLength(5);
    const { deps, calls } = counted(w.deps);
    const ahead = await StreamBatch.readAhead(deps, batch);
    for (const change of batch) await onChange(deps, change, undefined, ahead.forRecord('1'));
    expect(calls.get('getJobs')).toBe(1);
    expect(calls.get('getJob') ?? 0).toBe(0);
    // Each end reacted as from its own read: the second task of every job was sent.
    expect(w.queue.sent.map((s) => s.message.taskIndex)).toEqual([1, 1, 1, 1, 1]);
  });

  it('a job read ahead is handed out once: a second change of the same job in the batch reads it again', async () => {
    const { w } = await runningPipelines(1);
    const [job] = await w.store.getJobs([...w.store.jobs.keys()]);
    const ahead = new StreamBatch([job!]);
    expect(ahead.takeJob(job!.jobId)).toEqual(job);
    expect(ahead.takeJob(job!.jobId)).toBeUndefined();
  });

  it('the ends of a pipeline one invocation ran (continued) react from one read of their job, and it still finishes', async () => {
    const changes: MemoryChange[] = [];
    const w = createMemoryEngine({ routes: ['demo'], onChange: (c) => changes.push(c) });
    const { jobId } = await submitJob(w.deps, pipeline(3), limits);
    while (changes.length) await onChange(w.deps, changes.shift()!);
    const sent = w.queue.sent[0]!;
    w.queue.delete(sent.id);
    await runTask(w.deps, sent.message, () => ({ ok: true }), { continueSteps: 5, deadline: Date.now() + 3_600_000 });
    const batch = changes.splice(0);
    expect(batch.filter((c) => jobReadFor(c) !== undefined)).toHaveLength(3);
    const { deps, calls } = counted(w.deps);
    const ahead = await StreamBatch.readAhead(deps, batch);
    for (const change of batch) await onChange(deps, change, undefined, ahead.forRecord('1'));
    expect((calls.get('getJob') ?? 0) + (calls.get('getJobs') ?? 0)).toBe(1);
    expect((await w.store.getJob(jobId))?.status).toBe('succeeded');
  });

  it('a record whose effects write its job (a failed end finishing it) drops the read: the next change of the job reads again (invariant 1)', async () => {
    const { w, changes } = await runningPipelines(1);
    const sent = w.queue.sent[0]!;
    w.queue.delete(sent.id);
    await runTask(w.deps, sent.message, () => {
      throw new NonRetryableError('no');
    });
    const failedEnd = changes.splice(0).find((c) => c.type === 'task' && c.after?.status === 'failed')!;
    const { deps, calls } = counted(w.deps);
    const batch = new StreamBatch();
    // The failed end, and the same record replayed in the batch: the replay must see the job as failed now.
    await onChange(deps, failedEnd, undefined, batch.forRecord('1'));
    expect(calls.get('getJob')).toBe(1);
    expect(batch.takeJob(failedEnd.after!.jobId)).toBeUndefined();
    await onChange(deps, failedEnd, undefined, batch.forRecord('2'));
    expect(calls.get('getJob')).toBe(2);
    expect((await w.store.getJob(failedEnd.after!.jobId))?.status).toBe('failed');
  });

  it('claims (→ running) and other items need no read; one change alone is read as before', async () => {
    const { w, changes } = await runningPipelines(1);
    const sent = w.queue.sent[0]!;
    await runTask(w.deps, sent.message, () => ({ ok: true }));
    const claim = changes.find((c) => c.type === 'task' && c.after?.status === 'running')!;
    expect(jobReadFor(claim)).toBeUndefined();
    const { deps, calls } = counted(w.deps);
    await StreamBatch.readAhead(deps, changes);
    expect(calls.get('getJobs') ?? 0).toBe(0);
  });
});

describe('submit answers from what it wrote', () => {
  it('a new pipeline and a parent with children are answered without a read, as a read right after would answer', async () => {
    const w = createMemoryEngine({ routes: ['demo'] });
    for (const spec of [pipeline(3), { name: 'parent', owner: 'o', children: [pipeline(1), pipeline(2)] } satisfies JobSpec]) {
      const { deps, calls } = counted(w.deps);
      const out = await submitJob(deps, spec, limits);
      const answer = await submittedJobView(deps, out.jobId, spec, out.written);
      expect([...calls.keys()].filter((m) => m.startsWith('get'))).toEqual([]);
      expect(answer).toEqual(await getJobView(w.deps, out.jobId));
    }
  });

  it('an existing bizId writes nothing and hands back no written records: the answer reads the job', async () => {
    const w = createMemoryEngine({ routes: ['demo'] });
    const spec: JobSpec = { ...pipeline(1), bizId: 'b-1' };
    await submitJob(w.deps, spec, limits);
    const again = await submitJob(w.deps, spec, limits);
    expect(again).toEqual({ created: false, jobId: again.jobId });
    expect(again.written).toBeUndefined();
  });
});
