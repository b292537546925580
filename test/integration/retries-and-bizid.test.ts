/**
 * Automatic retries with backoff, retry exhaustion, bizId idempotency under concurrency, and API errors.
 */
import { describe, expect, it } from 'vitest';
import { useStack } from '../helpers/local-stack';

const { client } = useStack();

describe('automatic retry', () => {
  it('retries a failing task with a linear gap (gap × attempt) and keeps every attempt', async () => {
    const created = await client.submit({
      name: 'retry-linear',
      owner: 'qa',
      tasks: [{ name: 'f', provider: 'flaky', input: { failTimes: 2 }, retry: { count: 3, gapSeconds: 1 } }],
    });
    const result = await client.waitResult(created.body.jobId);
    expect(result.body.status).toBe('succeeded');
    const task = await client.task(created.body.jobId, 't1');
    expect(task.body.status).toBe('succeeded');
    const attempts = task.body.attempts;
    expect(attempts.map((a: { status: string }) => a.status)).toEqual(['failed', 'failed', 'succeeded']);
    expect(attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts[0].error.message).toBe('flaky failure on attempt 1');
    expect(attempts.every((a: { manual: boolean }) => a.manual === false)).toBe(true);
    const gap1 = Date.parse(attempts[1].startedAt) - Date.parse(attempts[0].endedAt);
    const gap2 = Date.parse(attempts[2].startedAt) - Date.parse(attempts[1].endedAt);
    // linear: 1 s before the first retry, 2 s before the second (SQS delays are whole seconds)
    expect(gap1).toBeGreaterThanOrEqual(900);
    expect(gap2).toBeGreaterThanOrEqual(1900);
  });

  it('fails the task and the job when retries run out, with count+1 attempts recorded', async () => {
    const created = await client.submit({
      name: 'retry-exhausted',
      owner: 'qa',
      retry: { count: 2, gapSeconds: 0 },
      tasks: [
        { name: 'boom', provider: 'demo', input: { fail: true } },
        { name: 'never', provider: 'demo' },
      ],
    });
    const result = await client.waitResult(created.body.jobId);
    expect(result.body.status).toBe('failed');
    expect(result.body.reason).toContain('demo failure');
    const job = await client.job(created.body.jobId);
    expect(job.body.tasks.map((t: { status: string }) => t.status)).toEqual(['failed', 'pending']);
    expect(job.body.tasks[0].attempts).toBe(3);
  });

  it('supports exponential backoff with jitter capped by maxDelaySeconds', async () => {
    const created = await client.submit({
      name: 'retry-exp',
      owner: 'qa',
      tasks: [{ name: 'f', provider: 'flaky', input: { failTimes: 3 }, retry: { count: 3, gapSeconds: 1, backoff: 'exponential', maxDelaySeconds: 2 } }],
    });
    const result = await client.waitResult(created.body.jobId);
    expect(result.body.status).toBe('succeeded');
    const task = await client.task(created.body.jobId, 't1');
    expect(task.body.attempts).toHaveLength(4);
    for (let i = 1; i < 4; i++) {
      const gap = Date.parse(task.body.attempts[i].startedAt) - Date.parse(task.body.attempts[i - 1].endedAt);
      expect(gap).toBeLessThan(2000 + 1500); // capped at 2 s (+ whole-second rounding and polling)
    }
  });

  it('shows a retrying task with its reason while it waits', async () => {
    const created = await client.submit({ name: 'retry-wait', owner: 'qa', tasks: [{ name: 'f', provider: 'flaky', input: { failTimes: 1 }, retry: { gapSeconds: 3 } }] });
    let seen: { status: string; reason?: string } | undefined;
    for (let i = 0; i < 40 && seen?.status !== 'retrying'; i++) {
      seen = (await client.job(created.body.jobId)).body.tasks[0];
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen?.status).toBe('retrying');
    expect(seen?.reason).toContain('attempt 1 failed');
    expect((await client.waitResult(created.body.jobId)).body.status).toBe('succeeded');
  });
});

describe('bizId idempotency', () => {
  it('20 concurrent submits with one bizId create exactly one job, which runs once', async () => {
    const bizId = `order-${Date.now()}`;
    const spec = { name: 'idem', owner: 'qa', bizId, tasks: [{ name: 't', provider: 'demo', input: { n: 1 } }] };
    const responses = await Promise.all(Array.from({ length: 20 }, () => client.submit(spec)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    const ids = new Set(responses.map((r) => r.body.jobId));
    expect(ids.size).toBe(1);
    const jobId = [...ids][0]!;
    expect((await client.waitResult(jobId)).body.status).toBe('succeeded');
    const again = await client.submit(spec);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ jobId, bizId, status: 'succeeded' });
    const task = await client.task(jobId, 't1');
    expect(task.body.attempts).toHaveLength(1);
  });
});

describe('bizId reuse with another spec', () => {
  it('answers the same spec (keys and tokens reordered) 200 with the job, another spec 409 BIZ_ID_CONFLICT naming it, and creates nothing', async () => {
    const bizId = `reuse-${Date.now()}`;
    const spec = { name: 'reuse', owner: 'qa', bizId, tokens: [`${bizId}-a`, `${bizId}-b`], tasks: [{ name: 't', provider: 'demo', input: { n: 1 } }] };
    const first = await client.submit(spec);
    expect(first.status).toBe(201);
    const jobId = first.body.jobId as string;

    const same = await client.submit({ tasks: [{ input: { n: 1 }, provider: 'demo', name: 't' }], tokens: [`${bizId}-b`, `${bizId}-a`], bizId, owner: 'qa', name: 'reuse', input: {} });
    expect(same.status).toBe(200);
    expect(same.body.jobId).toBe(jobId);

    const other = await client.submit({ ...spec, tasks: [{ name: 't', provider: 'demo', input: { n: 2 } }] });
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'BIZ_ID_CONFLICT', details: { jobId } });
    expect(other.body.error.message).toContain(bizId);

    const listed = await client.call('GET', `/jobs?bizId=${encodeURIComponent(bizId)}`);
    expect(listed.body.items.map((j: { jobId: string }) => j.jobId)).toEqual([jobId]);
    expect((await client.waitResult(jobId)).body).toMatchObject({ status: 'succeeded', output: { n: 1 } });
  });
});

describe('API errors', () => {
  it('answers bad input with the right 4xx and a stable code', async () => {
    const malformed = await client.call('POST', '/jobs', undefined, '{"name": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_JSON');

    const missingName = await client.submit({ owner: 'x', tasks: [{ name: 't', provider: 'demo' }] });
    expect(missingName.status).toBe(400);
    expect(missingName.body.error.code).toBe('VALIDATION_FAILED');
    expect(missingName.body.error.message).toContain('name');

    const wrongType = await client.submit({ name: 'x', owner: 'x', tasks: [{ name: 't', provider: 'demo', retry: { count: 'three' } }] });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.code).toBe('VALIDATION_FAILED');

    const empty = await client.call('POST', '/jobs');
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('VALIDATION_FAILED');

    const unknownProvider = await client.submit({ name: 'x', owner: 'x', tasks: [{ name: 't', provider: 'nope' }] });
    expect(unknownProvider.status).toBe(400);
    expect(unknownProvider.body.error.code).toBe('UNKNOWN_PROVIDER');

    const big = await client.submit({ name: 'x', owner: 'x', input: { blob: 'x'.repeat(300 * 1024) }, tasks: [{ name: 't', provider: 'demo' }] });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');

    const unknownJob = await client.job('01NOSUCHJOB');
    expect(unknownJob.status).toBe(404);
    expect(unknownJob.body.error.code).toBe('NOT_FOUND');
    expect((await client.job('weird..id')).status).toBe(404);
    expect((await client.result('01NOSUCHJOB')).status).toBe(404);

    const badWait = await client.call('GET', '/jobs/x/result?wait=99');
    expect(badWait.status).toBe(400);

    const noRoute = await client.call('GET', '/nope');
    expect(noRoute.status).toBe(404);
    expect(noRoute.body.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('answers 202 with the status while a job runs, then 200 with the result', async () => {
    const created = await client.submit({ name: 'slow', owner: 'qa', tasks: [{ name: 'd', provider: 'delay', input: { seconds: 2 } }] });
    const early = await client.result(created.body.jobId, 0);
    expect(early.status).toBe(202);
    expect(early.body).toEqual({ jobId: created.body.jobId, status: 'running' });
    const done = await client.result(created.body.jobId, 10);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'succeeded', output: { seconds: 2 } });
  });

  it('reports health with the local switches', async () => {
    const health = await client.call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', local: { duplicateDelivery: false, sweepSeconds: 2, data: null } });
  });
});
