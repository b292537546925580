/**
 * Issue 9, driven from outside: each engine failure the issue lists that a client can provoke through the HTTP
 * API, on the local stack (real DynamoDB Local, SQS, stream pollers). The same stories are told in memory, with
 * every interleaving under control, in test/property/regressions.test.ts; here timing is real, so the racy ones
 * run several jobs at once. Each test names the item and the invariant (shared/reference/engine-invariants.md).
 */
import { describe, expect, it } from 'vitest';
import { useStack } from '../helpers/local-stack';

const { client } = useStack();

const post = (path: string, body?: unknown) => client.call('POST', path, body);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (iso: string) => Date.parse(iso);
const KB = 1024;

/** Polls `probe` every `everyMs` until `ok` or the deadline; returns the last value either way. */
async function waitFor<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > deadline) return v;
    await sleep(everyMs);
  }
}

type Attempt = { attempt: number; manual: boolean; status: string; input: any; output?: any; error?: any; startedAt: string; endedAt?: string };
const attempts = async (jobId: string, taskId: string): Promise<Attempt[]> => (await client.task(jobId, taskId)).body.attempts;

/** A root that fails at once (no automatic retry) at t1, then has a second task. */
const failsAtT1 = (name: string, second: object = { name: 'b', provider: 'demo', input: { b: 2 } }) => ({
  name,
  owner: 'issue9',
  retry: { count: 0 },
  tasks: [{ name: 'a', provider: 'demo', input: { fail: true, a: 1 } }, second],
});

describe('issue 9 regressions on the local stack', () => {
  it('item 1: a retry or skip right after a task fails is not undone by the late record of that failure (invariant 1)', async () => {
    const run = async (i: number, action: 'retry' | 'skip') => {
      const jobId = (await client.submit(failsAtT1(`i1-${action}-${i}`))).body.jobId as string;
      // Act the moment the task record says failed: the job's own failure is then still on its way.
      const t1 = await waitFor(() => client.task(jobId, 't1'), (r) => r.body.status === 'failed', 20_000, 10);
      expect(t1.body.status).toBe('failed');
      const res = action === 'retry' ? await post(`/jobs/${jobId}/tasks/t1/retry`, { input: { fail: false } }) : await post(`/jobs/${jobId}/tasks/t1/skip`, { output: { skipped: true } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      // From now on the job never shows failed with its task reopened, and it ends succeeded.
      const deadline = Date.now() + 20_000;
      let job: any;
      for (;;) {
        job = (await client.job(jobId)).body;
        if (job.status === 'failed') expect(['queued', 'running', 'succeeded', 'skipped'], `${jobId} failed with t1 ${job.tasks[0].status}`).not.toContain(job.tasks[0].status);
        if (job.status !== 'running' || Date.now() > deadline) break;
        await sleep(30);
      }
      expect(job.status, `${action} ${jobId}: ${job.reason ?? ''}`).toBe('succeeded');
      expect((await client.result(jobId)).body.status).toBe('succeeded');
    };
    await Promise.all([0, 1, 2, 3, 4].flatMap((i) => [run(i, 'retry'), run(i, 'skip')]));
  });

  it('item 2: after a 200 retry of a failed root, result never again answers the failed outcome from before (invariant 4)', async () => {
    const run = async (i: number) => {
      const jobId = (await client.submit(failsAtT1(`i2-${i}`, { name: 'slow', provider: 'delay', input: { seconds: 0.5 } }))).body.jobId as string;
      // Even jobs: retry as soon as the job says failed (its result row may still be on its way); odd: once result says so.
      if (i % 2) expect((await client.waitResult(jobId, 20_000)).body.status).toBe('failed');
      else expect((await waitFor(() => client.job(jobId), (r) => r.body.status === 'failed', 20_000, 10)).body.status).toBe('failed');
      expect((await post(`/jobs/${jobId}/tasks/t1/retry`, { input: { fail: false } })).status).toBe(200);
      const answers: string[] = [];
      const deadline = Date.now() + 20_000;
      for (;;) {
        const res = await client.result(jobId, 0);
        answers.push(`${res.status}:${res.body.status}`);
        if (res.status === 200 || Date.now() > deadline) break;
        await sleep(20);
      }
      expect(answers.filter((a) => !a.startsWith('202:')), `${jobId}: ${answers.join(' ')}`).toEqual(['200:succeeded']);
    };
    await Promise.all([0, 1, 2, 3, 4, 5].map(run));
  });

  it('item 3: a tokened job submitted twice with one bizId leaves no orphan waiter; the next job on the token runs (invariants 9, 3, 6)', async () => {
    const token = `i3-${Date.now()}`;
    const spec = { name: 'once', owner: 'issue9', bizId: `biz-${token}`, tokens: [token], tasks: [{ name: 'w', provider: 'delay', input: { seconds: 0.5 } }] };
    const first = await client.submit(spec);
    expect(first.status).toBe(201);
    const jobId = first.body.jobId as string;
    await sleep(200); // a moment apart: the first one is running
    const again = await client.submit(spec);
    expect(again.status).toBe(200);
    expect(again.body.jobId).toBe(jobId);
    expect((await client.waitResult(jobId, 20_000)).body.status).toBe('succeeded');
    await sleep(300); // and once more after it finished
    const third = await client.submit(spec);
    expect([third.status, third.body.jobId]).toEqual([200, jobId]);

    const next = await client.submit({ name: 'next', owner: 'issue9', tokens: [token], tasks: [{ name: 'w', provider: 'delay', input: { seconds: 1 } }] });
    expect(next.status).toBe(201);
    const view = await waitFor(() => client.call('GET', `/tokens/${token}`), (r) => r.status === 200 && r.body.holder?.jobId === next.body.jobId, 10_000);
    expect(view.body.holder?.jobId, JSON.stringify(view.body)).toBe(next.body.jobId);
    expect(view.body.waiters.map((w: { jobId: string }) => w.jobId)).not.toContain(jobId);
    expect((await client.waitResult(next.body.jobId, 20_000)).body.status).toBe('succeeded');
    const after = await waitFor(() => client.call('GET', `/tokens/${token}`), (r) => r.status === 404, 5_000);
    expect(after.status, JSON.stringify(after.body)).toBe(404); // no holder, no waiter left behind
  });

  it('item 4: a parent paused while its last child finishes, then resumed, finishes (invariants 3, 5)', async () => {
    // steady: the child ignores the pause and finishes while its parent is paused (the report arrives then);
    // follows: the child is paused too, its running task finishes, and everything moves on after resume.
    const run = async (variant: 'steady' | 'follows') => {
      const child = { name: 'kid', owner: 'issue9', ...(variant === 'steady' ? { pausable: false } : {}), tasks: [{ name: 'd', provider: 'delay', input: { seconds: 1.5 } }] };
      const jobId = (await client.submit({ name: `i4-${variant}`, owner: 'issue9', children: [child] })).body.jobId as string;
      expect((await waitFor(() => client.task(`${jobId}.1`, 't1'), (r) => r.body.status === 'running')).body.status).toBe('running');
      const paused = await post(`/jobs/${jobId}/pause`);
      expect(paused.status, JSON.stringify(paused.body)).toBe(200);
      expect((await waitFor(() => client.task(`${jobId}.1`, 't1'), (r) => r.body.status === 'succeeded', 10_000)).body.status).toBe('succeeded');
      const kidEnds = variant === 'steady' ? ['succeeded'] : ['paused', 'succeeded'];
      const kid = await waitFor(() => client.job(`${jobId}.1`), (r) => kidEnds.includes(r.body.status), 10_000);
      expect(kidEnds).toContain(kid.body.status);
      await sleep(500);
      expect((await client.job(jobId)).body.status).toBe('paused');
      expect((await client.result(jobId, 0)).status).toBe(202);
      expect((await post(`/jobs/${jobId}/resume`)).status).toBe(200);
      const result = await client.waitResult(jobId, 15_000);
      expect(result.body, variant).toMatchObject({ status: 'succeeded', output: { kid: { seconds: 1.5 } } });
    };
    await Promise.all([run('steady'), run('follows')]);
  });

  it('item 5: discarding a token holder while its provider runs keeps the next job waiting until that attempt ends (invariant 6)', async () => {
    const token = `i5-${Date.now()}`;
    const holder = (await client.submit({ name: 'holder', owner: 'issue9', tokens: [token], tasks: [{ name: 'slow', provider: 'delay', input: { seconds: 3 } }] })).body.jobId as string;
    const next = (await client.submit({ name: 'next', owner: 'issue9', tokens: [token], tasks: [{ name: 'w', provider: 'demo', input: { w: 1 } }] })).body.jobId as string;
    expect((await waitFor(() => client.task(holder, 't1'), (r) => r.body.status === 'running')).body.status).toBe('running');
    expect((await post(`/jobs/${holder}/discard`, { reason: 'changed my mind' })).status).toBe(200);
    expect((await client.waitResult(next, 20_000)).body.status).toBe('succeeded');
    // The late result is kept on the discarded attempt.
    const late = await waitFor(() => attempts(holder, 't1'), (a) => a[0]?.output !== undefined, 10_000);
    expect(late[0]).toMatchObject({ status: 'abandoned', output: { seconds: 3 } });
    const providerEnd = Math.max(ms(late[0]!.startedAt) + 3000, late[0]!.endedAt ? ms(late[0]!.endedAt) : 0);
    const nextStart = ms((await attempts(next, 't1'))[0]!.startedAt);
    expect(nextStart - providerEnd, `next started ${providerEnd - nextStart} ms before the discarded attempt ended`).toBeGreaterThanOrEqual(0);
  });

  it('item 6: a pause racing a finishing task holds the next task until resume, then the job succeeds (invariant 8)', async () => {
    // Pauses land at several moments around the end of t1 (a 1 s delay), one job each.
    const run = async (offsetMs: number) => {
      const jobId = (await client.submit({
        name: `i6-${offsetMs}`,
        owner: 'issue9',
        tasks: [
          { name: 'a', provider: 'delay', input: { seconds: 1 } },
          { name: 'b', provider: 'demo', input: { b: 2 } },
          { name: 'c', provider: 'demo', input: { c: 3 } },
        ],
      })).body.jobId as string;
      const running = await waitFor(() => attempts(jobId, 't1'), (a) => a.length > 0, 10_000, 20);
      await sleep(Math.max(0, ms(running[0]!.startedAt) + offsetMs - Date.now()));
      const paused = await post(`/jobs/${jobId}/pause`);
      const pausedAt = Date.now();
      if (paused.status === 409) return expect(paused.body.error.details.status).toBe('succeeded'); // too late to race
      expect(paused.status).toBe(200);
      await waitFor(() => client.task(jobId, 't1'), (r) => r.body.status === 'succeeded', 10_000);
      await sleep(1500);
      const held = (await client.job(jobId)).body;
      expect(held.status).toBe('paused');
      const all = (await Promise.all(['t1', 't2', 't3'].map((t) => attempts(jobId, t)))).flat();
      const startedDuringPause = all.filter((a) => ms(a.startedAt) > pausedAt);
      expect(startedDuringPause, `offset ${offsetMs}: attempts started after the pause answered 200`).toEqual([]);
      const t1End = ms(all[0]!.endedAt!);
      if (t1End > pausedAt) expect(held.tasks.slice(1).map((t: any) => [t.status, t.attempts])).toEqual([['pending', 0], ['pending', 0]]);
      expect((await post(`/jobs/${jobId}/resume`)).status).toBe(200);
      expect((await client.waitResult(jobId, 15_000)).body).toMatchObject({ status: 'succeeded', output: { seconds: 1, b: 2, c: 3 } });
      for (const t of ['t1', 't2', 't3']) expect((await attempts(jobId, t)).map((a) => a.status)).toEqual(['succeeded']);
    };
    await Promise.all([500, 850, 900, 950, 1000, 1050].map(run));
  });

  describe('item 8: sizes inside the documented limits never give a 5xx or a stuck job (invariant 10)', () => {
    it('item 8a: outputs that accumulate past the 128 KB context fail the job with a reason naming the limit', async () => {
      // demo returns its context too, so its output outgrows the output limit first (OUTPUT_TOO_LARGE);
      // an external worker returns only its own 100 KB, so there the merged context is what outgrows (CONTEXT_TOO_LARGE).
      const demo = await client.submit({ name: 'i8a-demo', owner: 'issue9', tasks: [1, 2, 3, 4].map((n) => ({ name: `d${n}`, provider: 'demo', input: { [`blob${n}`]: 'x'.repeat(60 * KB) } })) });
      expect(demo.status).toBe(201);
      const edge = `i8a-${Date.now()}`;
      const pinned = await client.submit({ name: 'i8a-worker', owner: 'issue9', preLock: edge, tasks: [1, 2, 3, 4].map((n) => ({ name: `w${n}`, provider: 'demo' })) });
      expect(pinned.status).toBe(201);
      for (let n = 1; n <= 2; n++) {
        const claimed = await post(`/workers/${edge}/claim?wait=10`);
        expect(claimed.status).toBe(200);
        const done = await client.taskToken('success', claimed.body.taskToken, { output: { [`blob${n}`]: 'y'.repeat(100 * KB) } });
        expect(done.status, JSON.stringify(done.body)).toBe(200);
      }
      for (const [jobId, taskId, code] of [[demo.body.jobId, 't3', 'OUTPUT_TOO_LARGE'], [pinned.body.jobId, 't2', 'CONTEXT_TOO_LARGE']] as const) {
        const result = await client.waitResult(jobId, 20_000);
        expect(result.status).toBe(200);
        expect(result.body.status).toBe('failed');
        const failed = (await client.task(jobId, taskId)).body;
        expect(failed.status).toBe('failed');
        expect(failed.attempts.at(-1).error).toMatchObject({ code, retryable: false });
        expect(failed.attempts.at(-1).error.message).toContain(String(128 * KB));
        expect(`${result.body.reason} ${failed.reason ?? ''}`).toMatch(/limit|too large|TOO_LARGE/i);
      }
    });

    it('item 8b: a task with a 90 KB input retried with edits again and again: only 200 or 413, and every attempt is shown', async () => {
      const jobId = (await client.submit({ name: 'i8b', owner: 'issue9', retry: { count: 0 }, tasks: [{ name: 'big', provider: 'demo', input: { blob: 'x'.repeat(90_000), fail: true } }] })).body.jobId as string;
      const ran: Array<number | undefined> = [undefined]; // input.n of each attempt, as it should show
      const answers: number[] = [];
      let next: number | undefined;
      for (let n = 1; n <= 6; n++) {
        await waitFor(() => client.task(jobId, 't1'), (r) => r.body.status === 'failed' && r.body.attempts.length === ran.length, 15_000);
        // Edits alternate with plain retries (no edit: no size check); n = 6 replaces the input with a small fix.
        // (That fix fits by the documented rule, but the bug pinned by the next test makes it 413 today.)
        const edit = n === 6 ? { input: { fail: false, n }, replace: true } : n % 2 ? { input: { n } } : undefined;
        const res = await post(`/jobs/${jobId}/tasks/t1/retry`, edit);
        answers.push(res.status);
        expect([200, 413], JSON.stringify(res.body).slice(0, 300)).toContain(res.status);
        if (res.status === 413) expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
        if (res.status === 200) {
          if (edit) next = n;
          ran.push(next);
        }
      }
      const last = await waitFor(() => client.job(jobId), (r) => !['running', 'pending'].includes(r.body.status), 15_000);
      expect(['succeeded', 'failed']).toContain(last.body.status);
      if (answers.at(-1) === 200) expect(last.body.status, last.body.reason).toBe('succeeded');
      const shown = await attempts(jobId, 't1');
      expect(shown.map((a) => a.input.n), `answers ${answers.join(',')}`).toEqual(ran);
      expect(shown.map((a) => [a.attempt, a.manual])).toEqual(ran.map((_, i) => [i + 1, i > 0]));
      for (const a of shown) {
        if (a.input.n === 6) expect(a.input).toEqual({ fail: false, n: 6 });
        else expect(a.input.blob).toHaveLength(90_000);
      }
    });

    // Found by this file (issue 9 item 8, invariant 10): payloads were compared with JSON.stringify, so key order
    // mattered, and DynamoDB returns a map's keys in one order from GetItem and in another in stream images; later
    // attempts then stored the whole input again (4 copies of a 70 KB input where 3 are due). core/task-payload.ts
    // now compares with sorted keys.
    it('item 8b: a plain retry after an edited one keeps no second copy of the input, so a small edit still fits (invariant 10)', async () => {
      const run = async (i: number) => {
        const jobId = (await client.submit({ name: `i8b-copy-${i}`, owner: 'issue9', retry: { count: 0 }, tasks: [{ name: 'a', provider: 'demo', input: { blob: 'x'.repeat(70_000), fail: true } }] })).body.jobId as string;
        const answers: string[] = [];
        for (const [n, edit] of [{ input: { n: 1 } }, undefined, { input: { n: 2 } }].entries()) {
          await waitFor(() => client.task(jobId, 't1'), (r) => r.body.status === 'failed' && r.body.attempts.length === n + 1, 15_000);
          const res = await post(`/jobs/${jobId}/tasks/t1/retry`, edit);
          answers.push(res.status === 200 ? '200' : `${res.status} ${res.body.error?.message}`);
        }
        return answers;
      };
      // After the last edit the record holds the input, attempt 2's copy and the copy attempt 4 keeps (attempt 3 ran as attempt 2).
      for (const answers of await Promise.all([0, 1, 2].map(run))) expect(answers).toEqual(['200', '200', '200']);
    });

    it('item 8c: a parent whose children return ~100 KB each finishes and its result answers', async () => {
      const family = (name: string, size: number) => ({ name, owner: 'issue9', children: ['k1', 'k2', 'k3'].map((k) => ({ name: k, owner: 'issue9', tasks: [{ name: 't', provider: 'demo', input: { blob: k.repeat(size / 2) } }] })) });
      const big = await client.submit(family('i8c-big', 100 * KB));
      const small = await client.submit(family('i8c-small', 50 * KB));
      expect([big.status, small.status]).toEqual([201, 201]);
      for (const [created, omitted] of [[big, true], [small, false]] as const) {
        const jobId = created.body.jobId as string;
        const result = await client.waitResult(jobId, 30_000);
        expect(result.status).toBe(200);
        expect(result.body.status).toBe('succeeded');
        // Under 200 KB in all, the full map. Over it, a marker instead of the outputs: each child named (README as of
        // 2d485f0) or, as the README is being changed to, one `{ outputOmitted: true, children, bytes }`.
        const perChild = (i: number) => ({ jobId: `${jobId}.${i + 1}`, status: 'succeeded', outputOmitted: true });
        if (!omitted) for (const k of ['k1', 'k2', 'k3']) expect(result.body.output[k].blob).toHaveLength(50 * KB);
        else if (result.body.output.outputOmitted === true) expect(result.body.output).toMatchObject({ children: 3, bytes: expect.any(Number) });
        else expect(result.body.output).toEqual({ k1: perChild(0), k2: perChild(1), k3: perChild(2) });
        expect((await client.job(jobId)).status).toBe(200);
      }
    });
  });

  it('item 9: a parent output includes a nested parent output, at every depth (invariant 5)', async () => {
    const created = await client.submit({
      name: 'top',
      owner: 'issue9',
      children: [
        { name: 'left', owner: 'issue9', tasks: [{ name: 'l', provider: 'demo', input: { l: 1 } }] },
        { name: 'mid', owner: 'issue9', children: [{ name: 'grand', owner: 'issue9', tasks: [{ name: 'g', provider: 'demo', input: { g: 1 } }, { name: 'h', provider: 'demo', input: { h: 2 } }] }] },
      ],
    });
    const jobId = created.body.jobId as string;
    const result = await client.waitResult(jobId, 20_000);
    expect(result.body).toMatchObject({ status: 'succeeded' });
    expect(result.body.output).toEqual({ left: { l: 1 }, mid: { grand: { g: 1, h: 2 } } });
    expect((await client.job(`${jobId}.2`)).body.output).toEqual({ grand: { g: 1, h: 2 } });
  });
});
