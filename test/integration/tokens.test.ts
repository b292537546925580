/**
 * Tokens: mutual exclusion in submission order, all-or-nothing acquisition without deadlock, and the queue view.
 */
import { describe, expect, it } from 'vitest';
import { api } from '../helpers/api';
import { startStackProcess, tempDataDir, useStack } from '../helpers/local-stack';

const { client } = useStack();

type Interval = { jobId: string; start: number; end: number };

/** The run of a one-task job: from its task's first start to its last end. */
async function interval(jobId: string): Promise<Interval> {
  const task = (await client.task(jobId, 't1')).body;
  return { jobId, start: Date.parse(task.attempts[0].startedAt), end: Date.parse(task.attempts.at(-1).endedAt) };
}

describe('tokens', () => {
  it('30 jobs sharing one token never overlap and run in submission order', async () => {
    const token = `lock-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await client.submit({ name: `t${i}`, owner: 'tok', tokens: [token], tasks: [{ name: 'work', provider: 'delay', input: { seconds: 0.05, i } }] });
      expect(res.status).toBe(201);
      ids.push(res.body.jobId);
    }
    const view = await client.call('GET', `/tokens/${token}`);
    expect(view.status).toBe(200);
    // the queue is the rest of the submissions, in submission order, right behind the holder
    const waiting = view.body.waiters.map((w: { jobId: string }) => w.jobId);
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting).toEqual(ids.slice(ids.length - waiting.length));
    if (view.body.holder) expect(view.body.holder.jobId).toBe(ids[ids.length - waiting.length - 1]);
    for (const id of ids) expect((await client.waitResult(id, 120_000)).body.status).toBe('succeeded');
    const runs = await Promise.all(ids.map(interval));
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.start, `job ${i} starts after job ${i - 1} ended`).toBeGreaterThanOrEqual(runs[i - 1]!.end);
    }
    // The last holder's end writes its result row, then releases the token (two effects of one stream record):
    // a client that saw the result may still see the token for a moment, never for long.
    await expect.poll(async () => (await client.call('GET', `/tokens/${token}`)).status).toBe(404);
  }, 180_000);

  it('a waiting job is pending with a reason naming the token and its holder', async () => {
    const token = `show-${Date.now()}`;
    const first = await client.submit({ name: 'holder', owner: 'tok', tokens: [token], tasks: [{ name: 'w', provider: 'delay', input: { seconds: 2 } }] });
    const second = await client.submit({ name: 'waiter', owner: 'tok', tokens: [token], tasks: [{ name: 'w', provider: 'demo' }] });
    let job = (await client.job(second.body.jobId)).body;
    for (let i = 0; i < 30 && !String(job.reason).includes('held by'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await client.job(second.body.jobId)).body;
    }
    expect(job.status).toBe('pending');
    expect(job.reason).toContain(token);
    expect(job.reason).toContain(first.body.jobId);
    const view = (await client.call('GET', `/tokens/${token}`)).body;
    expect(view).toMatchObject({ token, holder: { jobId: first.body.jobId }, waiters: [{ jobId: second.body.jobId }] });
    expect((await client.waitResult(second.body.jobId, 30_000)).body.status).toBe('succeeded');
  });

  it('jobs taking ["a","b"] and ["b","a"] (20 each) all finish without deadlock and never overlap', async () => {
    const a = `a-${Date.now()}`;
    const b = `b-${Date.now()}`;
    const submits = Array.from({ length: 40 }, (_, i) =>
      client.submit({ name: `ab${i}`, owner: 'tok', tokens: i % 2 ? [a, b] : [b, a], tasks: [{ name: 'work', provider: 'delay', input: { seconds: 0.02 } }] }),
    );
    const ids = (await Promise.all(submits)).map((r) => r.body.jobId as string);
    for (const id of ids) expect((await client.waitResult(id, 120_000)).body.status).toBe('succeeded');
    const runs = (await Promise.all(ids.map(interval))).sort((x, y) => x.start - y.start);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
  }, 180_000);

  it('a failed holder keeps its token until it is discarded; then the next job starts', async () => {
    const token = `keep-${Date.now()}`;
    const failing = await client.submit({ name: 'bad', owner: 'tok', tokens: [token], retry: { count: 0 }, tasks: [{ name: 'x', provider: 'demo', input: { fail: true } }] });
    expect((await client.waitResult(failing.body.jobId)).body.status).toBe('failed');
    const next = await client.submit({ name: 'next', owner: 'tok', tokens: [token], tasks: [{ name: 'x', provider: 'demo' }] });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await client.job(next.body.jobId)).body.status).toBe('pending');
    expect((await client.call('POST', `/jobs/${failing.body.jobId}/discard`)).status).toBe(200);
    expect((await client.waitResult(next.body.jobId, 30_000)).body.status).toBe('succeeded');
  });

  it('answers 404 for a token nobody holds or waits for', async () => {
    const res = await client.call('GET', '/tokens/nobody-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});

describe('tokens across a crash', () => {
  it('a SIGKILL while token jobs hand over, then a restart, still runs every job once and never two at a time', async () => {
    const dataDir = tempDataDir();
    const first = await startStackProcess({ dataDir });
    const c1 = api(first.url);
    const token = `crash-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await c1.submit({ name: `c${i}`, owner: 'tok', tokens: [token], retry: { gapSeconds: 1 }, tasks: [{ name: 'w', provider: 'delay', input: { seconds: 0.3 } }] })).body.jobId);
    await new Promise((r) => setTimeout(r, 1000));
    await first.kill();
    const second = await startStackProcess({ dataDir, port: first.port });
    const c2 = api(second.url);
    try {
      for (const id of ids) expect((await c2.waitResult(id, 120_000)).body.status).toBe('succeeded');
      const runs: Interval[] = [];
      for (const id of ids) {
        const task = (await c2.task(id, 't1')).body;
        expect(task.attempts.filter((a: { status: string }) => a.status === 'succeeded')).toHaveLength(1);
        const ok = task.attempts.find((a: { status: string }) => a.status === 'succeeded');
        runs.push({ jobId: id, start: Date.parse(ok.startedAt), end: Date.parse(ok.endedAt) });
      }
      runs.sort((x, y) => x.start - y.start);
      for (let i = 1; i < runs.length; i++) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
    } finally {
      await second.stop();
    }
  }, 240_000);
});
