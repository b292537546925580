/**
 * Manual control through the HTTP API: retry with edited input, skip, pause/resume, discard, list, races.
 */
import { describe, expect, it } from 'vitest';
import { useStack } from '../helpers/local-stack';

const { client } = useStack();

const post = (path: string, body?: unknown) => client.call('POST', path, body);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > deadline) return v;
    await sleep(100);
  }
}

const failingPipeline = (name: string) => ({
  name,
  owner: 'ops',
  retry: { count: 0 },
  tasks: [
    { name: 'a', provider: 'demo', input: { a: 1 } },
    { name: 'b', provider: 'demo', input: { fail: true, b: 2 } },
    { name: 'c', provider: 'demo', input: { c: 3 } },
  ],
});

describe('retry by hand', () => {
  it('a failed task retried with edited input runs as manual attempt 2 and the job succeeds; old attempts keep their input', async () => {
    const created = await client.submit(failingPipeline('fix-me'));
    const jobId = created.body.jobId;
    expect((await client.waitResult(jobId)).body.status).toBe('failed');

    const retried = await post(`/jobs/${jobId}/tasks/t2/retry`, { input: { fail: false } });
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('queued');
    // read your writes: the job is running again and the old result is gone
    const job = await client.job(jobId);
    expect(job.body.status).toBe('running');
    const early = await client.result(jobId, 0);
    expect([202, 200]).toContain(early.status);
    if (early.status === 200) expect(early.body.status).toBe('succeeded');

    const result = await client.waitResult(jobId);
    expect(result.body).toMatchObject({ status: 'succeeded', output: { a: 1, fail: false, b: 2, c: 3 } });
    const task = (await client.task(jobId, 't2')).body;
    expect(task.attempts.map((a: { attempt: number; manual: boolean; status: string }) => [a.attempt, a.manual, a.status])).toEqual([
      [1, false, 'failed'],
      [2, true, 'succeeded'],
    ]);
    expect(task.attempts[0].input).toEqual({ fail: true, b: 2 });
    expect(task.attempts[1].input).toEqual({ fail: false, b: 2 });
  });

  it('replace: true replaces the input instead of merging', async () => {
    const created = await client.submit(failingPipeline('replace-me'));
    const jobId = created.body.jobId;
    await client.waitResult(jobId);
    await post(`/jobs/${jobId}/tasks/t2/retry`, { input: { only: true }, replace: true });
    const result = await client.waitResult(jobId);
    expect(result.body.output).toEqual({ a: 1, only: true, c: 3 });
  });

  it('a manual retry gets a fresh automatic retry budget', async () => {
    const created = await client.submit({ name: 'budget', owner: 'ops', tasks: [{ name: 'f', provider: 'flaky', input: { failTimes: 3 }, retry: { count: 1, gapSeconds: 0 } }] });
    const jobId = created.body.jobId;
    expect((await client.waitResult(jobId)).body.status).toBe('failed'); // attempts 1, 2 fail
    await post(`/jobs/${jobId}/tasks/t1/retry`);
    // attempt 3 (manual) fails, attempt 4 (automatic, budget of 1 again) succeeds
    expect((await client.waitResult(jobId)).body.status).toBe('succeeded');
    const task = (await client.task(jobId, 't1')).body;
    expect(task.attempts.map((a: { manual: boolean; status: string }) => `${a.manual ? 'M' : 'A'}:${a.status}`)).toEqual(['A:failed', 'A:failed', 'M:failed', 'A:succeeded']);
  });
});

describe('skip', () => {
  it('the job records who submitted it and who skipped, retried, paused, resumed or discarded, when and why', async () => {
    const as = (who: string) => ({ 'x-jobx-caller': who });
    const created = await client.call('POST', '/jobs', failingPipeline('audited'), undefined, as('alice'));
    const jobId = created.body.jobId;
    expect(created.body.createdBy).toBe('jwt:alice');
    await client.waitResult(jobId);
    expect((await client.call('POST', `/jobs/${jobId}/tasks/t2/retry`, {}, undefined, as('bob'))).status).toBe(200);
    await client.waitResult(jobId);
    expect((await client.call('POST', `/jobs/${jobId}/tasks/t2/skip`, { reason: 'known bad input', output: { b: 0 } }, undefined, as('carol'))).status).toBe(200);
    await client.waitResult(jobId);
    const view = (await client.job(jobId)).body as { createdBy: string; actions: Array<{ action: string; by: string; at: string; taskId?: string; reason?: string }> };
    expect(view.createdBy).toBe('jwt:alice');
    expect(view.actions.map(({ action, by, taskId, reason }) => ({ action, by, taskId, reason }))).toEqual([
      { action: 'retry', by: 'jwt:bob', taskId: 't2', reason: undefined },
      { action: 'skip', by: 'jwt:carol', taskId: 't2', reason: 'known bad input' },
    ]);
    expect(Date.parse(view.actions[0]!.at)).toBeLessThanOrEqual(Date.parse(view.actions[1]!.at));
  });

  it('skipping a failed task continues the pipeline with the given output', async () => {
    const created = await client.submit(failingPipeline('skip-me'));
    const jobId = created.body.jobId;
    await client.waitResult(jobId);
    const skipped = await post(`/jobs/${jobId}/tasks/t2/skip`, { reason: 'not needed', output: { b: 'skipped' } });
    expect(skipped.status).toBe(200);
    expect(skipped.body).toMatchObject({ status: 'skipped', reason: 'not needed', output: { b: 'skipped' } });
    expect((await client.job(jobId)).body.status).toBe('running');
    const result = await client.waitResult(jobId);
    expect(result.body).toMatchObject({ status: 'succeeded', output: { a: 1, b: 'skipped', c: 3 } });
  });

  it('skipping a pending task ahead of the pipeline makes the pipeline pass over it', async () => {
    const created = await client.submit({
      name: 'skip-ahead',
      owner: 'ops',
      tasks: [
        { name: 'slow', provider: 'delay', input: { seconds: 1.5 } },
        { name: 'never', provider: 'demo', input: { fail: true } },
        { name: 'last', provider: 'demo', input: { last: true } },
      ],
    });
    const jobId = created.body.jobId;
    const skipped = await post(`/jobs/${jobId}/tasks/t2/skip`, { output: { ahead: true } });
    expect(skipped.status).toBe(200);
    const result = await client.waitResult(jobId);
    expect(result.body).toMatchObject({ status: 'succeeded', output: { seconds: 1.5, ahead: true, last: true } });
    expect((await client.task(jobId, 't2')).body.attempts).toHaveLength(0);
  });

  it('refuses to skip a succeeded task with 409 and the current status', async () => {
    const created = await client.submit({ name: 'done', owner: 'ops', tasks: [{ name: 'a', provider: 'demo' }] }, '?wait=10');
    const res = await post(`/jobs/${created.body.jobId}/tasks/t1/skip`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'INVALID_STATE', details: { status: 'succeeded' } });
    expect((await post(`/jobs/${created.body.jobId}/tasks/t9/skip`)).status).toBe(404);
  });
});

describe('pause and resume', () => {
  it('pausing mid-pipeline holds the next task (running ones finish); resume continues where it stopped', async () => {
    const created = await client.submit({
      name: 'pausable',
      owner: 'ops',
      tasks: [
        { name: 'a', provider: 'delay', input: { seconds: 1 } },
        { name: 'b', provider: 'demo', input: { b: 2 } },
        { name: 'c', provider: 'demo', input: { c: 3 } },
      ],
    });
    const jobId = created.body.jobId;
    await waitFor(() => client.task(jobId, 't1'), (r) => r.body.status === 'running');
    const paused = await post(`/jobs/${jobId}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('paused');
    expect((await client.job(jobId)).body.status).toBe('paused');
    // the running task finishes and is recorded; the next one stays pending
    await waitFor(() => client.task(jobId, 't1'), (r) => r.body.status === 'succeeded');
    await sleep(1500);
    const held = await client.job(jobId);
    expect(held.body.tasks.map((t: { status: string }) => t.status)).toEqual(['succeeded', 'pending', 'pending']);
    expect((await client.result(jobId, 0)).status).toBe(202);

    const resumed = await post(`/jobs/${jobId}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('running');
    const result = await client.waitResult(jobId);
    expect(result.body).toMatchObject({ status: 'succeeded', output: { seconds: 1, b: 2, c: 3 } });
    expect((await client.task(jobId, 't2')).body.attempts).toHaveLength(1);
  });

  it('pausing a parent pauses its children; resuming resumes them', async () => {
    const child = (name: string) => ({ name, owner: 'ops', tasks: [{ name: 'a', provider: 'delay', input: { seconds: 1 } }, { name: 'b', provider: 'demo' }] });
    const created = await client.submit({ name: 'family', owner: 'ops', children: [child('k1'), child('k2')] });
    const jobId = created.body.jobId;
    await waitFor(() => client.task(`${jobId}.1`, 't1'), (r) => r.body.status === 'running');
    expect((await post(`/jobs/${jobId}/pause`)).status).toBe(200);
    const kids = await waitFor(() => client.job(jobId), (r) => r.body.children.every((c: { status: string }) => c.status === 'paused'));
    expect(kids.body.children.map((c: { status: string }) => c.status)).toEqual(['paused', 'paused']);
    expect((await post(`/jobs/${jobId}/resume`)).status).toBe(200);
    expect((await client.waitResult(jobId)).body.status).toBe('succeeded');
  });

  it('a job submitted with pausable: false cannot be paused (400), and only a paused job resumes (409)', async () => {
    const created = await client.submit({ name: 'steady', owner: 'ops', pausable: false, tasks: [{ name: 'a', provider: 'delay', input: { seconds: 1 } }] });
    const res = await post(`/jobs/${created.body.jobId}/pause`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('NOT_PAUSABLE');
    const other = await client.submit({ name: 'running', owner: 'ops', tasks: [{ name: 'a', provider: 'delay', input: { seconds: 1 } }] });
    const resume = await post(`/jobs/${other.body.jobId}/resume`);
    expect(resume.status).toBe(409);
    expect(resume.body.error).toMatchObject({ code: 'INVALID_STATE', details: { status: 'running' } });
  });
});

describe('discard', () => {
  it('discarding a running parent discards its unfinished children and tasks; a late provider result changes nothing', async () => {
    const child = (name: string) => ({ name, owner: 'ops', tasks: [{ name: 'slow', provider: 'delay', input: { seconds: 2 } }, { name: 'next', provider: 'demo' }] });
    const created = await client.submit({ name: 'doomed', owner: 'ops', children: [child('k1'), child('k2')] });
    const jobId = created.body.jobId;
    await waitFor(() => client.task(`${jobId}.1`, 't1'), (r) => r.body.status === 'running');
    const res = await post(`/jobs/${jobId}/discard`, { reason: 'changed my mind' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'discarded', reason: 'changed my mind' });
    const result = await client.waitResult(jobId);
    expect(result.body.status).toBe('discarded');
    const kids = await waitFor(() => client.job(jobId), (r) => r.body.children.every((c: { status: string }) => c.status === 'discarded'));
    expect(kids.body.children.map((c: { status: string }) => c.status)).toEqual(['discarded', 'discarded']);
    // the slow task's provider finishes after the discard: its output is kept, nothing moves
    const slow = await waitFor(() => client.task(`${jobId}.1`, 't1'), (r) => r.body.attempts[0]?.output !== undefined, 8000);
    expect(slow.body.status).toBe('discarded');
    expect(slow.body.attempts[0]).toMatchObject({ status: 'abandoned', output: { seconds: 2 } });
    const next = await client.task(`${jobId}.1`, 't2');
    expect(next.body).toMatchObject({ status: 'discarded', attempts: [] });
    expect((await post(`/jobs/${jobId}/discard`)).status).toBe(409);
  });
});

describe('races', () => {
  it('racing skip, retry and discard on one failed task: exactly one action wins, the others get 409', async () => {
    const created = await client.submit(failingPipeline('race'));
    const jobId = created.body.jobId;
    await client.waitResult(jobId);
    const results = await Promise.all([
      post(`/jobs/${jobId}/tasks/t2/skip`),
      post(`/jobs/${jobId}/tasks/t2/retry`, { input: { fail: false } }),
      post(`/jobs/${jobId}/tasks/t2/skip`),
      post(`/jobs/${jobId}/tasks/t2/retry`, { input: { fail: false } }),
    ]);
    const codes = results.map((r) => r.status);
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(3);
    const result = await client.waitResult(jobId);
    expect(result.body.status).toBe('succeeded');
    const task = (await client.task(jobId, 't2')).body;
    expect(task.attempts.length).toBeLessThanOrEqual(2);
  });
});

describe('list', () => {
  it('lists root jobs newest first with filters and a cursor', async () => {
    const owner = `lister-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.submit({ name: `l${i}`, owner, tasks: [{ name: 'a', provider: 'demo', input: { fail: i === 2 } }], retry: { count: 0 } })).body.jobId);
    for (const id of ids) await client.waitResult(id);
    const page1 = await client.call('GET', `/jobs?owner=${owner}&limit=3`);
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((i: { jobId: string }) => i.jobId)).toEqual([ids[4], ids[3], ids[2]]);
    expect(page1.body.cursor).toBeTypeOf('string');
    const page2 = await client.call('GET', `/jobs?owner=${owner}&limit=3&cursor=${encodeURIComponent(page1.body.cursor)}`);
    expect(page2.body.items.map((i: { jobId: string }) => i.jobId)).toEqual([ids[1], ids[0]]);
    const failed = await client.call('GET', `/jobs?owner=${owner}&status=failed`);
    expect(failed.body.items).toEqual([expect.objectContaining({ jobId: ids[2], status: 'failed', owner, name: 'l2' })]);
    const bad = await client.call('GET', '/jobs?status=weird');
    expect(bad.status).toBe(400);
    const badCursor = await client.call('GET', '/jobs?cursor=nonsense');
    expect(badCursor.status).toBe(400);
  });

  it('finds a job by bizId', async () => {
    const bizId = `biz-${Date.now()}`;
    const created = await client.submit({ name: 'b', owner: 'o', bizId, tasks: [{ name: 'a', provider: 'demo' }] });
    const found = await client.call('GET', `/jobs?bizId=${bizId}`);
    expect(found.body.items).toEqual([expect.objectContaining({ jobId: created.body.jobId, bizId })]);
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document covering every route, with every $ref resolvable', async () => {
    const res = await client.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const routes = [...(await import('../../functions/handlers/http-api')).routes, ...(await import('../../functions/handlers/http-wait')).routes];
    for (const route of routes) expect(res.body.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    const refs = [...JSON.stringify(res.body).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    for (const ref of refs) expect(res.body.components.schemas[ref], ref).toBeDefined();
    // the request schema is the validating one: a task needs a provider
    expect(res.body.components.schemas.JobSpec.properties.tasks.items).toEqual({ $ref: '#/components/schemas/TaskSpec' });
    expect(res.body.components.schemas.TaskSpec.required).toContain('provider');
  });
});
