/**
 * Invariant 6 (tokens) and 3 (nothing stuck) for a child paused by hand before its parent started it: resumed,
 * it waits for its parent again (a parent waiting for its tokens must not have a child running), and it starts
 * when the parent does, whichever comes first.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine, type MemoryChange } from '../../../functions/adapters/memory';
import { pauseJob, resumeJob } from '../../../functions/engine/control';
import { submitJob } from '../../../functions/engine/jobs-service';
import { onChange } from '../../../functions/engine/on-change';
import { runTask } from '../../../functions/engine/run-task';

const limits = { maxDepth: 8, maxJobPayloadBytes: 256 * 1024 };

async function tokenQueue() {
  const changes: MemoryChange[] = [];
  const w = createMemoryEngine({ routes: ['demo'], onChange: (c) => changes.push(c) });
  const stream = async () => {
    while (changes.length) await onChange(w.deps, changes.shift()!);
  };
  const holder = await submitJob(w.deps, { name: 'h', owner: 'o', tokens: ['T'], tasks: [{ name: 'a', provider: 'demo' }] }, limits);
  await stream();
  const waiter = await submitJob(w.deps, { name: 'w', owner: 'o', tokens: ['T'], children: [{ name: 'c', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] }] }, limits);
  await stream();
  const child = `${waiter.jobId}.1`;
  const sentFor = (jobId: string) => w.queue.sent.filter((m) => m.message.jobId === jobId);
  /** Runs the holder's task: it succeeds and gives the token to the waiter. */
  const finishHolder = async () => {
    const m = sentFor(holder.jobId)[0]!;
    w.queue.delete(m.id);
    await runTask(w.deps, m.message, () => ({ done: true }));
    await stream();
  };
  return { w, stream, waiter, child, sentFor, finishHolder };
}

describe('a child paused before its parent started it', () => {
  it('resumed while its parent waits for its tokens, it waits too: nothing of it runs beside the token holder (invariant 6)', async () => {
    const { w, stream, waiter, child, sentFor, finishHolder } = await tokenQueue();
    expect((await w.store.getJob(child))?.status).toBe('pending');
    await pauseJob(w.deps, child);
    await stream();
    await resumeJob(w.deps, child);
    await stream();
    expect((await w.store.getJob(child))?.status).toBe('pending');
    expect(sentFor(child)).toEqual([]);
    // The holder finishes: the waiter takes the token and starts its child.
    await finishHolder();
    expect((await w.store.getJob(waiter.jobId))?.status).toBe('running');
    expect((await w.store.getJob(child))?.status).toBe('running');
    expect(sentFor(child)).toHaveLength(1);
  });

  it('resumed after its parent started without it, it starts at once (invariant 3)', async () => {
    const { w, stream, waiter, child, sentFor, finishHolder } = await tokenQueue();
    await pauseJob(w.deps, child);
    await stream();
    await finishHolder();
    expect((await w.store.getJob(waiter.jobId))?.status).toBe('running');
    expect((await w.store.getJob(child))?.status).toBe('paused');
    expect(sentFor(child)).toEqual([]);
    await resumeJob(w.deps, child);
    await stream();
    expect((await w.store.getJob(child))?.status).toBe('running');
    expect(sentFor(child)).toHaveLength(1);
  });
});
