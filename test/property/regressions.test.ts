/**
 * One named story per failure listed in issue 9, each told to the simulated world and judged by the same
 * invariant checker the property uses. A story the engine still gets wrong is marked `fails` with the issue
 * item it reproduces, so it is visible and cannot spread; fixing the engine turns it green.
 */
import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../functions/core/model';
import { ALL_INVARIANTS, InvariantChecker, type InvariantId, type Violation } from './invariants';
import { acquireTokens } from '../../functions/engine/tokens';
import { ACTIVATION_AGE_MS, FIRST_SWEEP_LOOKBACK_MS } from '../../functions/core/recent-roots';
import { REQUEUE_AFTER_MS, template, World } from './world';

async function streamAll(w: World): Promise<void> {
  await w.streamAll();
}

/** Delivers records and messages (providers succeed) until nothing moves; live attempts stay live. */
async function settle(w: World): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await streamAll(w);
    if (w.visibleMessages().length === 0) return;
    await w.deliverMessage(0, 'ok');
  }
}

function shardOf(w: World, key: string): number {
  return w.shards.findIndex((s) => s.some((r) => r.change.key === key));
}

/** Checks the invariants after the story and at quiescence. */
async function judge(w: World, c: InvariantChecker, opts: { quiesce?: boolean } = {}): Promise<Violation[]> {
  const out = c.afterStep(w);
  if (opts.quiesce !== false) {
    await w.quiesce();
    out.push(...c.afterStep(w), ...c.atQuiescence(w));
  }
  return out;
}

function setup(only?: InvariantId[]) {
  return { w: new World(), c: new InvariantChecker(new Set(only ?? ALL_INVARIANTS)) };
}

function expectNone(violations: Violation[], w: World): void {
  if (process.env.DEBUG_STORY) console.log(w.story.join('\n'), [...w.engine.store.jobs.values()].map((j) => `${j.jobId} ${j.status}`), [...w.engine.store.tasks.values()].map((t) => `${t.jobId}/${t.taskId} ${t.status}#${t.attemptCount} ${JSON.stringify(t).length}`));
  expect(violations.map((v) => `[${v.invariant}] ${v.message}`), w.story.join('\n')).toEqual([]);
}

describe('issue 9 regressions (memory store, simulated AWS)', () => {
  it('1. a retry right after a failure is not undone by the late record of that failure (I1)', async () => {
    const { w, c } = setup();
    const id = (await w.submit(template(0)))!;
    await streamAll(w);
    await w.deliverMessage(0, 'fatal');
    await w.manual('retry', id, 't1', true);
    expectNone(await judge(w, c), w);
  });

  it('1b. a skip right after a failure is not undone either (I1)', async () => {
    const { w, c } = setup();
    const id = (await w.submit(template(0)))!;
    await streamAll(w);
    await w.deliverMessage(0, 'fatal');
    await w.manual('skip', id, 't1', false);
    expectNone(await judge(w, c), w);
  });

  it('2. result never answers the outcome from before a 200 retry (I4)', async () => {
    const { w, c } = setup();
    const id = (await w.submit(template(0)))!;
    await streamAll(w);
    await w.deliverMessage(0, 'fatal');
    await streamAll(w);
    expect(w.engine.results.rows.get(id)?.status).toBe('failed');
    await w.manual('retry', id, 't1', false);
    // The job's "failed" record comes again, late.
    w.rewind(shardOf(w, `job:${id}`), 1);
    await streamAll(w);
    expectNone(await judge(w, c, { quiesce: false }), w);
  });

  it('3. a tokened job submitted twice with one bizId leaves no orphan waiter (I9, I3)', async () => {
    const { w, c } = setup();
    const spec = { ...template(3), bizId: 'b1' };
    await w.submit(spec);
    await settle(w);
    await w.advance(1_000);
    await w.submit(spec);
    await w.submit(template(3));
    expectNone(await judge(w, c), w);
  });

  it('3b. a bizId resubmitted with other children leaves no orphan children (I9, I3)', async () => {
    const { w, c } = setup();
    await w.submit({ ...template(0), bizId: 'b1' });
    await w.submit({ ...template(2), bizId: 'b1' });
    expectNone(await judge(w, c), w);
  });

  it('4. a parent whose last child finishes while it is paused finishes after resume (I3)', async () => {
    const { w, c } = setup();
    const spec: JobSpec = { name: 'p', owner: 'o', children: [{ name: 'a', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] }] };
    const id = (await w.submit(spec))!;
    await streamAll(w);
    await w.deliverMessage(0, 'ok');
    // The child's task record is handled (the child succeeds), but not yet the child's own record.
    await w.streamItem(`task:${id}.1#T0`);
    await w.manual('pause', id, 't1', false);
    await streamAll(w);
    await w.manual('resume', id, 't1', false);
    expectNone(await judge(w, c), w);
  });

  it('5. discarding a token holder does not free the token while its provider runs (I6)', async () => {
    const { w, c } = setup();
    const first = (await w.submit(template(3)))!;
    await streamAll(w);
    await w.deliverMessage(0, 'hang');
    await w.submit(template(3));
    await streamAll(w);
    await w.manual('discard', first, 't1', false);
    await streamAll(w);
    await w.deliverMessage(0, 'hang');
    expectNone(await judge(w, c, { quiesce: false }), w);
  });

  it('5b. two waiters trying to start at once never take the token from the one that won it, in any interleaving (I6)', async () => {
    // Every interleaving of two acquisitions at the store-call level (6 binary choices): the head of the queue
    // (J2) and the job behind it (J3) try at once right after the holder (J1) gave the token back.
    for (let bits = 0; bits < 64; bits++) {
      const choices = Array.from({ length: 6 }, (_, i) => (bits >> i) & 1);
      const { w } = setup();
      // Two roots queued for token A, nobody holding it, no wake-up delivered yet.
      const j2 = await w.submit(template(3));
      await w.advance(1);
      const j3 = await w.submit(template(3));
      await w.race([() => acquireTokens(w.deps, j2!), () => acquireTokens(w.deps, j3!)], choices);
      expect({ bits, holder: w.engine.store.holders.get('A')?.jobId, j2: w.engine.store.jobs.get(j2!)?.status, j3: w.engine.store.jobs.get(j3!)?.status }).toEqual({
        bits,
        holder: j2,
        j2: 'running',
        j3: 'pending',
      });
    }
  });

  it('6. a pause racing a finishing task holds the next task (I8)', async () => {
    const { w, c } = setup();
    const id = (await w.submit(template(0)))!;
    await streamAll(w);
    await w.deliverMessage(0, 'hang');
    await streamAll(w);
    // The pause reads the job while t1 runs; t1 ends and its record is handled; then the pause commits.
    await w.race([() => w.manual('pause', id, 't1', false), async () => {
      await w.finish(0, 'ok');
      await w.streamItem(`task:${id}#T0`);
    }], [0, 0, 1, 0, 0, 0]);
    await settle(w);
    expectNone(await judge(w, c, { quiesce: false }), w);
  });

  it('6b. a parent\'s pause holds a child\'s claim that comes before the pause reaches the child (I8 for children)', async () => {
    const { w, c } = setup();
    const spec: JobSpec = { name: 'p', owner: 'o', children: [{ name: 'a', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }, { name: 'b', provider: 'demo' }] }] };
    const id = (await w.submit(spec))!;
    await streamAll(w);
    await w.deliverMessage(0, 'ok');
    await w.streamItem(`task:${id}.1#T0`);
    // t2's message is on its way; the parent's pause answers; its record (the cascade) is not handled yet.
    await w.manual('pause', id, 't1', false);
    await w.deliverMessage(0, 'ok');
    expect(w.engine.store.tasks.get(`${id}.1#T1`)?.status, 'the claim is handed back, held').toBe('pending');
    await streamAll(w);
    expect(w.engine.store.jobs.get(`${id}.1`)?.status).toBe('paused');
    await w.manual('resume', id, 't1', false);
    await settle(w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
    expectNone(await judge(w, c), w);
  });

  it('6c. a child resumed alone under its paused parent runs nothing until the parent resumes, then finishes (I8, I3)', async () => {
    const { w, c } = setup();
    const spec: JobSpec = { name: 'p', owner: 'o', children: [{ name: 'a', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }, { name: 'b', provider: 'demo' }] }] };
    const id = (await w.submit(spec))!;
    await streamAll(w);
    await w.deliverMessage(0, 'ok');
    await w.manual('pause', id, 't1', false);
    await streamAll(w);
    await w.manual('resume', `${id}.1`, 't1', false);
    await settle(w);
    expect(w.engine.store.tasks.get(`${id}.1#T1`)?.status, 'held by the parent').toBe('pending');
    expectNone(await judge(w, c, { quiesce: false }), w);
    await w.manual('resume', id, 't1', false);
    await settle(w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
    expectNone(await judge(w, c), w);
  });

  it('6d. a child\'s claim under a non-pausable child is not held by the parent\'s pause', async () => {
    const { w, c } = setup();
    const spec: JobSpec = { name: 'p', owner: 'o', children: [{ name: 'a', owner: 'o', pausable: false, tasks: [{ name: 'a', provider: 'demo' }, { name: 'b', provider: 'demo' }] }] };
    const id = (await w.submit(spec))!;
    await streamAll(w);
    await w.deliverMessage(0, 'ok');
    await w.manual('pause', id, 't1', false);
    await settle(w);
    expect(w.engine.store.jobs.get(`${id}.1`)?.status).toBe('succeeded');
    expectNone(await judge(w, c, { quiesce: false }), w);
  });

  it('8a. outputs that accumulate in the context fit (I10)', async () => {
    const { w, c } = setup();
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, provider: 'demo' }));
    await w.submit({ name: 'big', owner: 'o', tasks });
    for (let i = 0; i < 5; i++) {
      await streamAll(w);
      await w.deliverMessage(0, 'big');
    }
    expectNone(await judge(w, c), w);
  });

  it('8b. a retry with edited input does not copy a 90 KB input into every earlier attempt (I10)', async () => {
    const { w, c } = setup();
    const id = (await w.submit({ name: 'big-input', owner: 'o', input: { blob: 'x'.repeat(90_000) }, retry: { count: 0 }, tasks: [{ name: 'a', provider: 'demo' }] }))!;
    for (let i = 0; i < 4; i++) {
      await streamAll(w);
      await w.deliverMessage(0, 'fatal');
      await streamAll(w);
      await w.manual('retry', id, 't1', true);
    }
    expectNone(await judge(w, c), w);
  });

  it('8c. a parent whose children return 100 KB each writes its result (I10, I4)', async () => {
    const { w, c } = setup();
    const children = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, owner: 'o', tasks: [{ name, provider: 'demo' }] }));
    await w.submit({ name: 'wide', owner: 'o', children });
    for (let i = 0; i < 10; i++) {
      await streamAll(w);
      if (w.visibleMessages().length) await w.deliverMessage(0, 'big');
    }
    expectNone(await judge(w, c), w);
  });

  it('9. a parent output includes a nested parent output (I5)', async () => {
    const { w, c } = setup();
    await w.submit(template(2));
    expectNone(await judge(w, c), w);
  });

  it('10b. an offline executor gets one offer per attempt, however often the sweeper runs (I7)', async () => {
    const { w, c } = setup();
    await w.submit(template(6));
    await streamAll(w);
    for (let i = 0; i < 3; i++) {
      await w.advance(61_000);
      await w.sweep();
    }
    expectNone(await judge(w, c, { quiesce: false }), w);
  });

  it('10c. a child counted on its parent while a person retries it: the parent never finishes over a running child, in any interleaving (I1)', async () => {
    // The count is decided from a read of the child; a retry that reopens the child between that read and the
    // count must make the count fail (a version on the bucket that every uncount moves), not land.
    for (let bits = 0; bits < 256; bits++) {
      const choices = Array.from({ length: 8 }, (_, i) => (bits >> i) & 1);
      const { w, c } = setup();
      const spec: JobSpec = { name: 'p', owner: 'o', retry: { count: 0 }, children: [{ name: 'a', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] }] };
      const id = (await w.submit(spec))!;
      await streamAll(w);
      await w.deliverMessage(0, 'fatal');
      // The child fails (its task record is handled); its own record, which counts it on the parent, is next.
      await w.streamItem(`task:${id}.1#T0`);
      await w.race([() => w.streamItem(`job:${id}.1`), () => w.manual('retry', `${id}.1`, 't1', false)], choices);
      const violations = c.afterStep(w);
      expect({ bits, violations: violations.map((v) => `[${v.invariant}] ${v.message}`) }).toEqual({ bits, violations: [] });
    }
  });

  it('stories that hold: three README examples run to the end with every invariant checked', async () => {
    const { w, c } = setup();
    await w.submit(template(0));
    await w.submit(template(1));
    await w.submit(template(5));
    expectNone(await judge(w, c), w);
    expect([...w.engine.store.jobs.values()].map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });
});

/** Messages sent so far for one task of a job (through the queues or a worker inbox). */
function sendsOf(w: World, jobId: string, taskId: string): number {
  return w.engine.queue.history.filter((m) => m.message.jobId === jobId && m.message.taskId === taskId).length;
}

/**
 * A provider invocation that goes on with the pipeline's next task itself (core/continuation.ts): the races it
 * meets between the end of task N (which says `continued`) and its own claim of task N+1.
 */
describe('continuation in the invocation (issue 12)', () => {
  async function atContinuation(w: World, tpl = 0): Promise<string> {
    const id = (await w.submit(template(tpl)))!;
    await w.flowToContinuation();
    expect(w.continuing.map((c) => `${c.message.jobId}/${c.message.taskId}`)).toEqual([`${id}/t2`]);
    return id;
  }

  it('a pipeline runs through in invocations that continue, and the stream sends only its first message', async () => {
    const { w, c } = setup();
    const id = await atContinuation(w);
    while (w.continuing.length) await w.continueWith(0, 'ok');
    await streamAll(w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
    expect(w.engine.store.jobs.get(id)?.output).toEqual({ a: 'v1', b: 'v1', c: 'v1' });
    expect([sendsOf(w, id, 't1'), sendsOf(w, id, 't2'), sendsOf(w, id, 't3')]).toEqual([1, 0, 0]);
    expect(w.engine.store.tasks.get(`${id}#T0`)?.continued).toBe(true);
    // The invocation that ran the last task finished the job itself: its end says so, and the stream sent nothing.
    expect(w.engine.store.tasks.get(`${id}#T2`)?.continued, 'the last task finishes the job in its invocation').toBe(true);
    expectNone(await judge(w, c), w);
  });

  /**
   * A pause lands while the invocation still holds job `id` (about to claim or finish `taskId`), the invocation
   * goes on, `whilePaused` checks what it left, and a resume lets the job succeed with every invariant kept.
   */
  async function pauseUnderInvocation(w: World, c: InvariantChecker, id: string, taskId: string, whilePaused: () => void): Promise<void> {
    await w.manual('pause', id, taskId, false);
    await w.continueWith(0, 'ok');
    whilePaused();
    expect(c.afterStep(w)).toEqual([]);
    await w.manual('resume', id, taskId, false);
    expectNone(await judge(w, c), w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
  }

  it('a pause right after task N ends stops the continued claim; resume runs N+1 (I8, I3)', async () => {
    const { w, c } = setup();
    const id = await atContinuation(w);
    await streamAll(w);
    await pauseUnderInvocation(w, c, id, 't2', () => expect(w.engine.store.tasks.get(`${id}#T1`)?.status, 'held by the pause, never claimed').toBe('pending'));
  });

  it('a pause racing the continued claim, in any interleaving: the claim wins before the pause or runs nothing (I8, I2)', async () => {
    for (let bits = 0; bits < 64; bits++) {
      const choices = Array.from({ length: 6 }, (_, i) => (bits >> i) & 1);
      const { w, c } = setup();
      const id = await atContinuation(w);
      await w.race([() => w.manual('pause', id, 't2', false), () => w.continueWith(0, 'hang')], choices);
      expect({ bits, v: c.afterStep(w).map((v) => `[${v.invariant}] ${v.message}`) }).toEqual({ bits, v: [] });
      await w.manual('resume', id, 't2', false);
      expectNone(await judge(w, c), w);
      expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
    }
  });

  it('a discard right after task N ends: the continued claim fails and nothing more runs (I1, I3)', async () => {
    const { w, c } = setup();
    const id = await atContinuation(w);
    await w.manual('discard', id, 't2', false);
    const claims = w.observations.filter((o) => o.kind === 'claim').length;
    await w.continueWith(0, 'ok');
    expect(w.observations.filter((o) => o.kind === 'claim').length).toBe(claims);
    expectNone(await judge(w, c), w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('discarded');
  });

  it('a skip of task N+1 right after task N ends: the continued claim fails and the pipeline goes on with N+2 (I3)', async () => {
    const { w, c } = setup();
    const id = await atContinuation(w);
    await w.manual('skip', id, 't2', false);
    await w.continueWith(0, 'ok');
    expect(w.engine.store.tasks.get(`${id}#T1`)?.status).toBe('skipped');
    await settle(w);
    expect(w.engine.store.jobs.get(id)?.status, 'no sweeper needed').toBe('succeeded');
    expect(w.engine.store.jobs.get(id)?.output).toEqual({ a: 'v1', skipped_t2: true, c: 'v1' });
    expectNone(await judge(w, c), w);
  });

  it('a message for task N+1 arriving anyway (the sweeper, a replay) runs it once, before or after the continued claim (I2)', async () => {
    for (const order of ['message first', 'continuation first'] as const) {
      const { w, c } = setup();
      const id = await atContinuation(w);
      // The sweeper, past its grace, sees t2 without a record and sends it too.
      await w.advance(61_000);
      await w.sweep();
      expect(sendsOf(w, id, 't2')).toBe(1);
      if (order === 'message first') {
        await w.deliverMessage(0, 'hang');
        await w.continueWith(0, 'ok');
      } else {
        await w.continueWith(0, 'hang');
        await w.deliverMessage(0, 'ok');
      }
      const claims = w.observations.filter((o) => o.kind === 'claim' && o.message.taskId === 't2');
      expect(claims.length, order).toBe(1);
      expectNone(await judge(w, c), w);
      expect(w.engine.store.tasks.get(`${id}#T1`)?.attemptCount).toBe(1);
    }
  });

  it('a crash after task N ends (the invocation dies before its claim): the stream sends nothing, the sweeper sends N+1 after its grace (I3)', async () => {
    const { w, c } = setup();
    const id = await atContinuation(w);
    await w.continueWith(0, 'ok', { die: true });
    await streamAll(w);
    expect(sendsOf(w, id, 't2'), 'the end said continued').toBe(0);
    await w.sweep();
    expect(sendsOf(w, id, 't2'), 'within the grace: maybe only slow').toBe(0);
    await w.advance(61_000);
    await w.sweep();
    expect(sendsOf(w, id, 't2')).toBe(1);
    expectNone(await judge(w, c), w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
  });

  /** Runs the pipeline to the point where the invocation that ended its last task is about to finish the job. */
  async function atFinish(w: World): Promise<string> {
    const id = await atContinuation(w);
    while (w.continuing.some((x) => !x.finish)) await w.continueWith(0, 'ok');
    expect(w.continuing.map((x) => (x.finish ? `finish ${x.finish.jobId}` : x.message.taskId))).toEqual([`finish ${id}`]);
    await streamAll(w);
    expect(w.engine.store.jobs.get(id)?.status, 'the end said continued: the stream leaves the finish to the invocation').toBe('running');
    return id;
  }

  it('the invocation that ends the last task dies before finishing the job: the sweeper finishes it (I3, I4)', async () => {
    const { w, c } = setup();
    const id = await atFinish(w);
    await w.continueWith(0, 'ok', { die: true });
    await w.advance(180_000);
    await w.sweep();
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
    expectNone(await judge(w, c), w);
  });

  it('a pause between the last end and the finish: the finish writes nothing, resume finishes the job (I1, I8, I3)', async () => {
    const { w, c } = setup();
    const id = await atFinish(w);
    await pauseUnderInvocation(w, c, id, 't3', () => expect(w.engine.store.jobs.get(id)?.status, 'paused stays paused').toBe('paused'));
  });

  it('a discard between the last end and the finish: the job stays discarded (I1, I4)', async () => {
    const { w, c } = setup();
    const id = await atFinish(w);
    await w.manual('discard', id, 't3', false);
    await w.continueWith(0, 'ok');
    expect(w.engine.store.jobs.get(id)?.status).toBe('discarded');
    expectNone(await judge(w, c), w);
  });

  it('an invocation that dies after its continued claim leaves an attempt whose lease expires and is retried (I3, I12)', async () => {
    const { w, c } = setup();
    const id = await atContinuation(w);
    await w.continueWith(0, 'hang');
    // Past the task's lease (and the invocation's deadline): the provider is gone.
    await w.advance(901_000);
    expect(w.live).toEqual([]);
    expect(w.engine.store.tasks.get(`${id}#T1`)?.status).toBe('running');
    expectNone(await judge(w, c), w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
    expect(w.engine.store.tasks.get(`${id}#T1`)?.attemptCount).toBe(2);
  });

  it('a child whose parent was paused: the continued claim is handed back, held until the parent resumes (I8 for children)', async () => {
    const { w, c } = setup();
    const spec: JobSpec = { name: 'p', owner: 'o', children: [{ name: 'a', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }, { name: 'b', provider: 'demo' }] }] };
    const id = (await w.submit(spec))!;
    await w.flowToContinuation();
    expect(w.continuing.map((x) => x.message.jobId)).toEqual([`${id}.1`]);
    // The parent's pause answers; its cascade to the child is not handled yet.
    await w.manual('pause', id, 't1', false);
    await w.continueWith(0, 'ok');
    expect(w.engine.store.tasks.get(`${id}.1#T1`)?.status, 'handed back, held').toBe('pending');
    expect(c.afterStep(w)).toEqual([]);
    await streamAll(w);
    await w.manual('resume', id, 't1', false);
    expectNone(await judge(w, c), w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
  });

  it('no continuation onto another route: a task pinned to an executor goes through the stream to its own queue (I7)', async () => {
    const { w, c } = setup();
    const id = (await w.submit({ name: 'mixed', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }, { name: 'b', provider: 'demo', preLock: 'edge' }] }))!;
    await w.flowToContinuation(2);
    // No claim onto the other route (the pinned task's own invocation may go on to finish the job).
    expect(w.continuing.filter((x) => !x.finish)).toEqual([]);
    expect(w.engine.store.tasks.get(`${id}#T0`)?.continued).toBeUndefined();
    await streamAll(w);
    expect(w.engine.queue.history.filter((m) => m.message.jobId === id && m.message.taskId === 't2').map((m) => m.route)).toEqual(['demo@edge']);
    expectNone(await judge(w, c), w);
  });

  it('an invocation whose deadline passed claims nothing more (Lambda stopped it); the sweeper sends N+1 (I3)', async () => {
    const { w, c } = setup();
    const id = await atContinuation(w);
    await w.advance(900_000);
    expect(w.continuing).toEqual([]);
    expectNone(await judge(w, c), w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
  });

  it('a failure, a retry, a pending result and the last task go through the stream as before', async () => {
    const { w, c } = setup();
    const id = (await w.submit(template(0)))!;
    await streamAll(w);
    await w.deliverMessage(0, 'fail', { chain: 'chain' });
    expect(w.continuing).toEqual([]);
    expect(w.engine.store.tasks.get(`${id}#T0`)?.continued).toBeUndefined();
    expectNone(await judge(w, c), w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
  });
});

/**
 * Lazy activation (issue 12, fewer writes): a root is created off the active index; the sweeper finds it through
 * its walk of recent roots (from its watermark), repairs it like an active root, and activates it only if it is
 * still unfinished at the activation age. I3 ("nothing stuck") holds on either side of that age.
 */
describe('lazy activation of roots (issue 12)', () => {
  /** The roots the sweeper tried to activate, in order (written or refused). */
  function spyActivations(w: World): string[] {
    const tried: string[] = [];
    const store = w.engine.store;
    const original = store.activateRoot.bind(store);
    store.activateRoot = async (jobId) => {
      tried.push(jobId);
      return original(jobId);
    };
    return tried;
  }

  /** Loses every message of a job waiting in the queues (SQS dropped it, or its consumer died before the claim). */
  function loseMessages(w: World, jobId: string): void {
    for (const m of w.engine.queue.sent.filter((q) => q.message.jobId === jobId)) w.engine.queue.delete(m.id);
  }

  it('a root whose first message is lost is repaired before its activation age (off the index) and after it (activated) (I3)', async () => {
    const { w, c } = setup();
    const id = (await w.submit(template(0)))!;
    await streamAll(w);
    expect(sendsOf(w, id, 't1')).toBe(1);
    expect(w.engine.store.jobs.get(id)?.active, 'created off the active index').toBeUndefined();
    loseMessages(w, id);

    // Past the sweeper's grace, still younger than the activation age: found among the recent roots, repaired.
    await w.advance(REQUEUE_AFTER_MS + 1);
    expect(REQUEUE_AFTER_MS + 1).toBeLessThan(ACTIVATION_AGE_MS);
    await w.sweep();
    expect(sendsOf(w, id, 't1'), 'repaired before its activation age').toBe(2);
    expect(w.engine.store.jobs.get(id)?.active, 'too young to activate').toBeUndefined();
    expect(w.engine.store.sweepWatermark! <= `${w.engine.store.jobs.get(id)!.createdAt}#${id}`, 'the watermark does not pass the unfinished root').toBe(true);

    // Lost again, and now older than the activation age: repaired again, and put on the active index.
    loseMessages(w, id);
    await w.advance(ACTIVATION_AGE_MS);
    await w.sweep();
    expect(sendsOf(w, id, 't1'), 'repaired at its activation').toBe(3);
    expect(w.engine.store.jobs.get(id)?.active).toBe(true);
    expect(w.engine.store.sweepWatermark! > `${w.engine.store.jobs.get(id)!.createdAt}#${id}`, 'the watermark passed the activated root').toBe(true);

    // From the active index, every later sweep repairs it.
    loseMessages(w, id);
    await w.advance(REQUEUE_AFTER_MS + 1);
    await w.sweep();
    expect(sendsOf(w, id, 't1'), 'repaired from the active index').toBe(4);

    expectNone(await judge(w, c), w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
    expect(w.engine.store.jobs.get(id)?.active, 'a finished root leaves the index').toBeUndefined();
  });

  it('a root that finishes before its activation age never enters the active index; the watermark passes it', async () => {
    const { w, c } = setup();
    const tried = spyActivations(w);
    const id = (await w.submit(template(0)))!;
    await w.sweep();
    await settle(w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
    await w.advance(ACTIVATION_AGE_MS + 1);
    await w.sweep();
    await w.sweep();
    expect(tried, 'no activation tried').toEqual([]);
    expect(w.engine.store.jobs.get(id)?.active).toBeUndefined();
    expect(w.engine.store.sweepWatermark! > `${w.engine.store.jobs.get(id)!.createdAt}#${id}`).toBe(true);
    expectNone(await judge(w, c), w);
  });

  it('a root reopened after it finished (a retry by hand) goes back on the active index at once, whatever its age (I3)', async () => {
    const { w, c } = setup();
    const id = (await w.submit(template(0)))!;
    await streamAll(w);
    await w.deliverMessage(0, 'fatal');
    await streamAll(w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('failed');
    expect(w.engine.store.jobs.get(id)?.active).toBeUndefined();
    await w.manual('retry', id, 't1', false);
    expect(w.engine.store.jobs.get(id)?.active, 'the reopen activates it').toBe(true);
    expectNone(await judge(w, c), w);
    expect(w.engine.store.jobs.get(id)?.status).toBe('succeeded');
  });

  it('an upgraded deployment (no watermark yet): its first lazy sweep looks back and repairs a lazy root (I3)', async () => {
    const { w, c } = setup();
    w.engine.store.sweepWatermark = undefined;
    const id = (await w.submit(template(0)))!;
    await streamAll(w);
    loseMessages(w, id);
    await w.advance(FIRST_SWEEP_LOOKBACK_MS / 2);
    await w.sweep();
    expect(sendsOf(w, id, 't1')).toBe(2);
    expect(w.engine.store.jobs.get(id)?.active).toBe(true);
    expect(w.engine.store.sweepWatermark).toBe(new Date(w.now - ACTIVATION_AGE_MS).toISOString());
    expectNone(await judge(w, c), w);
  });
});
