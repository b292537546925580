/**
 * The submit that creates a root pipeline sends its first task itself (core/first-task.ts), on the in-memory
 * engine: one message per task start (the stream's reaction to the creation sends none), and a send lost after the
 * job was written is the sweeper's to repair (invariant 11, nothing stuck), never the caller's error.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine, type MemoryChange } from '../../../functions/adapters/memory';
import type { JobSpec } from '../../../functions/core/model';
import { submitJob } from '../../../functions/engine/jobs-service';
import { onChange } from '../../../functions/engine/on-change';
import { sweep } from '../../../functions/engine/reconcile';

const limits = { maxDepth: 8, maxJobPayloadBytes: 256 * 1024 };
const pipeline: JobSpec = { name: 'p', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }, { name: 'b', provider: 'demo' }] };
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function world(opts: { failSends?: () => boolean } = {}) {
  const changes: MemoryChange[] = [];
  const w = createMemoryEngine({
    routes: ['demo'],
    onChange: (c) => changes.push(c),
    beforeWrite: (what) => {
      if (what === 'sendMessage' && opts.failSends?.()) throw new Error('SQS unavailable');
    },
  });
  w.clock.set(T0);
  return { w, changes };
}

describe('a root pipeline\'s first task, sent by its submit', () => {
  it('is in its queue when the submit answers, and the stream\'s reaction to the creation sends nothing more (one message per start)', async () => {
    const { w, changes } = world();
    const out = await submitJob(w.deps, pipeline, limits);
    expect(out).toMatchObject({ created: true, firstTaskSent: true });
    expect(w.queue.history.map((m) => [m.message.jobId, m.message.taskIndex, m.message.attempt])).toEqual([[out.jobId, 0, 1]]);
    for (const change of changes) await onChange(w.deps, change);
    expect(w.queue.history).toHaveLength(1);
  });

  it('a resubmission of the same bizId sends nothing (invariant 9: the job exists, its start was sent)', async () => {
    const { w } = world();
    await submitJob(w.deps, { ...pipeline, bizId: 'b' }, limits);
    const again = await submitJob(w.deps, { ...pipeline, bizId: 'b' }, limits);
    expect(again).toEqual({ created: false, jobId: again.jobId });
    expect(w.queue.history).toHaveLength(1);
  });

  it('a lost send leaves the job created (201 to the caller) and the sweeper sends the task after its grace (invariant 11)', async () => {
    let failing = true;
    const { w, changes } = world({ failSends: () => failing });
    const out = await submitJob(w.deps, pipeline, limits);
    expect(out).toMatchObject({ created: true, firstTaskSent: false });
    for (const change of changes) await onChange(w.deps, change);
    expect(w.queue.history).toHaveLength(0);
    failing = false;
    // Within the grace the sweeper leaves it be (the message may be on its way); after it, it sends it.
    expect((await sweep(w.deps, { requeueAfterMs: 60_000 })).redispatched).toBe(0);
    w.clock.set(T0 + 60_001);
    expect((await sweep(w.deps, { requeueAfterMs: 60_000 })).redispatched).toBe(1);
    expect(w.queue.history.map((m) => [m.message.jobId, m.message.taskIndex])).toEqual([[out.jobId, 0]]);
  });

  it('a send that hangs does not hold the answer: the submit answers within its budget, the sweeper has the task (no 5xx from a slow queue)', async () => {
    const { w } = world();
    w.queue.send = () => new Promise<void>(() => undefined);
    const started = Date.now();
    const out = await submitJob(w.deps, pipeline, { ...limits, firstSendWithinMs: 50 });
    expect(out).toMatchObject({ created: true, firstTaskSent: false });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('parents, tokened roots and staged submissions keep their start on the stream', async () => {
    const { w } = world();
    const parent: JobSpec = { name: 'p', owner: 'o', children: [{ name: 'c', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] }] };
    expect((await submitJob(w.deps, parent, limits)).firstTaskSent).toBeUndefined();
    expect((await submitJob(w.deps, { ...pipeline, tokens: ['t'] }, limits)).firstTaskSent).toBeUndefined();
    expect(w.queue.history).toHaveLength(0);
  });
});
