/**
 * A provider invocation goes on with the pipeline's next tasks of its own function (issue 12): whole pipelines run
 * on the in-memory engine, from one SQS message, with every change handled by `onChange`; what the stream sends,
 * how many steps one invocation takes, and what a deadline, a pause or a failing write does.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine, type MemoryChange } from '../../../functions/adapters/memory';
import { MAX_CONTINUED_STEPS } from '../../../functions/core/continuation';
import type { JobSpec, TaskMessage } from '../../../functions/core/model';
import { submitJob } from '../../../functions/engine/jobs-service';
import { onChange } from '../../../functions/engine/on-change';
import { runTask, type RunTaskResult } from '../../../functions/engine/run-task';
import { pauseJob, resumeJob } from '../../../functions/engine/control';

const pipeline = (n: number, provider = (_i: number) => 'demo'): JobSpec => ({
  name: 'p',
  owner: 'o',
  tasks: Array.from({ length: n }, (_, i) => ({ name: `s${i + 1}`, provider: provider(i) })),
});

async function engine(spec: JobSpec) {
  const changes: MemoryChange[] = [];
  const w = createMemoryEngine({ routes: ['demo', 'other'], onChange: (c) => changes.push(c) });
  const { jobId } = await submitJob(w.deps, spec, { maxDepth: 8, maxJobPayloadBytes: 256 * 1024 });
  const stream = async () => {
    while (changes.length) await onChange(w.deps, changes.shift()!);
  };
  await stream();
  return { w, jobId, stream };
}

describe('continuing a pipeline in the invocation', () => {
  it('one message runs a pipeline of one route to its end; the stream sends no other message', async () => {
    const { w, jobId, stream } = await engine(pipeline(5));
    const first = w.queue.sent[0]!;
    w.queue.delete(first.id);
    const ran: Array<[string, RunTaskResult]> = [];
    const result = await runTask(w.deps, first.message, ({ task }) => ({ [task.name]: task.attempt }), {
      deadline: Date.now() + 900_000,
      continueSteps: MAX_CONTINUED_STEPS,
      onAttempt: (m, r) => ran.push([m.taskId, r]),
    });
    expect(result).toBe('succeeded');
    expect(ran).toEqual(['t1', 't2', 't3', 't4', 't5'].map((t) => [t, 'succeeded']));
    await stream();
    expect(w.queue.history.map((m) => m.message.taskId)).toEqual(['t1']);
    expect(w.store.jobs.get(jobId)?.status).toBe('succeeded');
    expect(w.store.jobs.get(jobId)?.output).toEqual({ s1: 1, s2: 1, s3: 1, s4: 1, s5: 1 });
    expect([0, 1, 2, 3].map((i) => w.store.tasks.get(`${jobId}#T${i}`)?.continued)).toEqual([true, true, true, true]);
  });

  it('the message carries its small job: the invocation runs and finishes the pipeline without reading the job (issue 12)', async () => {
    const { w, jobId } = await engine(pipeline(3));
    const first = w.queue.sent[0]!;
    w.queue.delete(first.id);
    expect(first.message.carriedJob?.jobId).toBe(jobId);
    const getJob = w.deps.store.getJob.bind(w.deps.store);
    let reads = 0;
    w.deps.store.getJob = async (id) => {
      reads++;
      return getJob(id);
    };
    await runTask(w.deps, first.message, () => ({}), { deadline: Date.now() + 900_000, continueSteps: 10 });
    expect(reads).toBe(0);
    expect(w.store.jobs.get(jobId)?.status).toBe('succeeded');
  });

  it('a pinned task\'s offer in a worker inbox is stored without the carried job', async () => {
    const changes: MemoryChange[] = [];
    const w = createMemoryEngine({ routes: ['demo'], onChange: (c) => changes.push(c) });
    await submitJob(w.deps, { name: 'p', owner: 'o', tasks: [{ name: 's1', provider: 'demo', preLock: 'worker-1' }] }, { maxDepth: 8, maxJobPayloadBytes: 256 * 1024 });
    while (changes.length) await onChange(w.deps, changes.shift()!);
    const targets = await w.store.inboxTargets();
    expect(targets).toHaveLength(1);
    const offers = await w.store.dueOffers(targets[0]!, Number.MAX_SAFE_INTEGER, 10);
    expect(offers).toHaveLength(1);
    expect(offers[0]!.message).not.toHaveProperty('carriedJob');
  });

  it('stops after continueSteps tasks: the next goes through the stream', async () => {
    const { w, stream } = await engine(pipeline(5));
    const first = w.queue.sent[0]!;
    w.queue.delete(first.id);
    const ran: string[] = [];
    await runTask(w.deps, first.message, () => ({}), { deadline: Date.now() + 900_000, continueSteps: 2, onAttempt: (m) => ran.push(m.taskId) });
    expect(ran).toEqual(['t1', 't2', 't3']);
    await stream();
    expect(w.queue.sent.map((m) => m.message.taskId)).toEqual(['t4']);
  });

  it('stops at another route, and without a deadline or continueSteps it runs only its own task', async () => {
    const { w, stream } = await engine(pipeline(4, (i) => (i === 2 ? 'other' : 'demo')));
    const first = w.queue.sent[0]!;
    w.queue.delete(first.id);
    const ran: string[] = [];
    await runTask(w.deps, first.message, () => ({}), { deadline: Date.now() + 900_000, continueSteps: 10, onAttempt: (m) => ran.push(m.taskId) });
    expect(ran).toEqual(['t1', 't2']);
    await stream();
    const third = w.queue.sent[0]!;
    expect([third.route, third.message.taskId]).toEqual(['other', 't3']);
    w.queue.delete(third.id);
    ran.length = 0;
    await runTask(w.deps, third.message, () => ({}), { onAttempt: (m) => ran.push(m.taskId) });
    expect(ran).toEqual(['t3']);
    await stream();
    expect(w.queue.sent.map((m) => m.message.taskId)).toEqual(['t4']);
  });

  it("stops when the next task's timeout does not fit in what is left of the invocation", async () => {
    const { w, stream } = await engine(pipeline(3));
    const first = w.queue.sent[0]!;
    w.queue.delete(first.id);
    const ran: string[] = [];
    // Tasks have the default 300 s timeout; 200 s are left.
    await runTask(w.deps, first.message, () => ({}), { deadline: Date.now() + 200_000, continueSteps: 10, onAttempt: (m) => ran.push(m.taskId) });
    expect(ran).toEqual(['t1']);
    await stream();
    expect(w.queue.sent.map((m) => m.message.taskId)).toEqual(['t2']);
  });

  it('a pause while a task runs: nothing more runs (the next claim is refused: the pause wrote its record first), and the next task waits for resume', async () => {
    const { w, jobId, stream } = await engine(pipeline(3));
    const first = w.queue.sent[0]!;
    w.queue.delete(first.id);
    const ran: string[] = [];
    let calls = 0;
    await runTask(
      w.deps,
      first.message,
      async ({ job }) => {
        calls++;
        await pauseJob(w.deps, job.jobId);
        return {};
      },
      { deadline: Date.now() + 900_000, continueSteps: 10, onAttempt: (m, result) => ran.push(`${m.taskId} ${result}`) },
    );
    // The message carried the job as it was before the pause: the invocation goes on, and its claim is refused.
    expect(first.message.carriedJob?.status).toBe('running');
    expect(ran).toEqual(['t1 succeeded', 't2 duplicate']);
    expect(calls).toBe(1);
    await stream();
    expect(w.store.jobs.get(jobId)?.status).toBe('paused');
    expect(w.store.tasks.get(`${jobId}#T1`)?.status).toBe('pending');
    expect(w.queue.sent).toEqual([]);
    // Resumed: the pipeline walks on from the held task, and finishes.
    await resumeJob(w.deps, jobId);
    await stream();
    for (let sent = w.queue.sent[0]; sent; sent = w.queue.sent[0]) {
      w.queue.delete(sent.id);
      await runTask(w.deps, sent.message, () => ({}), { deadline: Date.now() + 900_000, continueSteps: 10 });
      await stream();
    }
    expect(w.store.jobs.get(jobId)?.status).toBe('succeeded');
  });

  it('a write that throws in a continued task is left to the sweeper and does not fail the message that ran', async () => {
    const { w, jobId } = await engine(pipeline(3));
    const first = w.queue.sent[0]!;
    w.queue.delete(first.id);
    const failed: TaskMessage[] = [];
    const claim = w.deps.store.claimAttempt.bind(w.deps.store);
    let claims = 0;
    w.deps.store.claimAttempt = async (before, after) => {
      if (++claims === 2) throw new Error('network');
      return claim(before, after);
    };
    const result = await runTask(w.deps, first.message, () => ({}), { deadline: Date.now() + 900_000, continueSteps: 10, onContinueError: (m) => failed.push(m) });
    expect(result).toBe('succeeded');
    expect(failed.map((m) => m.taskId)).toEqual(['t2']);
    expect(w.store.tasks.get(`${jobId}#T0`)?.continued).toBe(true);
    expect(w.store.tasks.get(`${jobId}#T1`)).toBeUndefined();
  });
});
