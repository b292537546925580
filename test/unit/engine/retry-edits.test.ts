/**
 * A manual retry with edited input/env, through the real engine on the in-memory store (DynamoDB's guards and
 * 400 KB limit): an ended attempt is never rewritten (invariant 2), each attempt shows what it ran with, an edited
 * payload is stored once (not by every automatic retry of its run, not in earlier attempts), and an edit that
 * would outgrow the task record's budget is refused with 413 before anything is written (invariant 10).
 */
import { describe, expect, it } from 'vitest';
import { JobxError } from '../../../functions/core/errors';
import type { JobSpec } from '../../../functions/core/model';
import { MAX_TASK_RECORD_BYTES } from '../../../functions/core/task-payload';
import { retryTask } from '../../../functions/engine/control';
import { getTaskView } from '../../../functions/engine/jobs-service';
import { World } from '../../property/world';

/** JSON with sorted keys: a store (like DynamoDB) may hand back a map's keys in any order; content is what counts. */
function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sort(value));
}

/** Runs the task's queued attempts until it rests: each attempt fails (`fail`: retryable, `fatal`: not). */
async function runUntilRest(w: World, behaviour: 'fail' | 'fatal'): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await w.streamAll();
    if (w.visibleMessages().length === 0) {
      const due = Math.min(Infinity, ...w.engine.queue.sent.map((m) => m.visibleAt));
      if (!Number.isFinite(due)) return;
      await w.advance(due - w.now);
      continue;
    }
    await w.deliverMessage(0, behaviour);
  }
}

const storedTask = (w: World, jobId: string) => w.engine.store.tasks.get(`${jobId}#T0`)!;

describe('retryTask with edits', () => {
  it('edits only the next run: ended attempts stay byte for byte, each attempt shows what it ran with', async () => {
    // Prepare: a task that fails twice automatically (retry count 1), with a job input and a task input.
    const w = new World();
    const spec: JobSpec = { name: 'j', owner: 'o', input: { x: 0, keep: 'job' }, env: { e: 'job' }, retry: { count: 1, gapSeconds: 1 }, tasks: [{ name: 'a', provider: 'demo', input: { x: 1 } }] };
    const id = (await w.submit(spec))!;
    await runUntilRest(w, 'fail');
    expect(storedTask(w, id)).toMatchObject({ status: 'failed', attemptCount: 2 });
    const ended = canonicalJson(storedTask(w, id).attempts);

    // Act 1: retry with an edit; its run fails twice too.
    await retryTask(w.deps, id, 't1', { input: { x: 2 }, env: { e: 'edited' } });
    // Assess 1: the retry wrote the next run's payload, not a single attempt.
    expect(canonicalJson(storedTask(w, id).attempts)).toBe(ended);
    expect(storedTask(w, id)).toMatchObject({ status: 'queued', input: { x: 2, keep: 'job' }, env: { e: 'edited' } });
    await runUntilRest(w, 'fail');
    const afterEditedRun = canonicalJson(storedTask(w, id).attempts);

    // Act 2: a retry back to the original input (replace), which fails for good.
    await retryTask(w.deps, id, 't1', { input: { x: 1, keep: 'job' }, env: { e: 'job' }, replace: true });
    expect(canonicalJson(storedTask(w, id).attempts)).toBe(afterEditedRun);
    await runUntilRest(w, 'fatal');

    // Assess 2: the edited payload is stored once, by the attempt that first ran with it.
    const attempts = storedTask(w, id).attempts;
    expect(attempts.map((a) => [a.attempt, a.manual, a.input, a.env])).toEqual([
      [1, false, undefined, undefined],
      [2, false, undefined, undefined],
      [3, true, { x: 2, keep: 'job' }, { e: 'edited' }],
      [4, false, undefined, undefined],
      [5, true, { x: 1, keep: 'job' }, { e: 'job' }],
    ]);
    const view = await getTaskView(w.deps, id, 't1');
    expect(view.attempts.map((a) => [a.attempt, a.input.x, a.env.e])).toEqual([
      [1, 1, 'job'],
      [2, 1, 'job'],
      [3, 2, 'edited'],
      [4, 2, 'edited'],
      [5, 1, 'job'],
    ]);
    expect(w.observations.filter((o) => o.kind === 'writeFailed')).toEqual([]);
  });

  it('a 90 KB input edited and retried again and again stays one copy: the task record does not grow with retries', async () => {
    const w = new World();
    const id = (await w.submit({ name: 'big', owner: 'o', input: { blob: 'x'.repeat(90_000) }, retry: { count: 0 }, tasks: [{ name: 'a', provider: 'demo' }] }))!;
    await runUntilRest(w, 'fatal');
    const sizes: number[] = [];
    for (let i = 0; i < 6; i++) {
      await retryTask(w.deps, id, 't1', { input: { edited: true } });
      await runUntilRest(w, 'fatal');
      sizes.push(JSON.stringify(storedTask(w, id)).length);
    }
    expect(storedTask(w, id).attempts.filter((a) => a.input !== undefined)).toHaveLength(1);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(2_000);
    expect(w.observations.filter((o) => o.kind === 'writeFailed')).toEqual([]);
  });

  it('an edit that would make the task record outgrow its budget: 413 naming the limit, nothing written', async () => {
    // Prepare: a 150 KB input; an edit makes the next attempt keep a second 150 KB copy.
    const w = new World();
    const id = (await w.submit({ name: 'big', owner: 'o', input: { blob: 'x'.repeat(150_000) }, retry: { count: 0 }, tasks: [{ name: 'a', provider: 'demo' }] }))!;
    await runUntilRest(w, 'fatal');
    const before = JSON.stringify(storedTask(w, id));

    // Act
    const refused = await retryTask(w.deps, id, 't1', { input: { edited: true } }).catch((e: unknown) => e);

    // Assess
    expect(refused).toBeInstanceOf(JobxError);
    expect(refused).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, details: { limit: MAX_TASK_RECORD_BYTES } });
    expect((refused as Error).message).toContain(String(MAX_TASK_RECORD_BYTES));
    expect(JSON.stringify(storedTask(w, id))).toBe(before);
    expect(w.engine.store.jobs.get(id)?.status).toBe('failed');
    // A retry without edits adds no copy: it is not refused.
    await expect(retryTask(w.deps, id, 't1', {})).resolves.toMatchObject({ status: 'queued' });
  });
});
