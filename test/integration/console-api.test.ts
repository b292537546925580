/**
 * The API the console needs, end to end on the local stack (its HTTP gateway included): conditional GETs (304
 * without a body, a new ETag once the job changed), counts by status, a token's holder and queue in the list and
 * in the token's view, and a worker inbox before and after a worker's claim. Every answer is checked against
 * the response schema the OpenAPI document names.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { executorDetailSchema, executorSummarySchema, jobCountsSchema, tokenPageSchema, tokenViewSchema } from '../../functions/http/response-schemas';
import { useStack } from '../helpers/local-stack';

const { client, stack } = useStack();
const tag = Date.now().toString(36);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A GET as a browser sends it, with its status, headers and raw body. */
async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack().url}${path}`, { headers });
  return { status: res.status, etag: res.headers.get('etag'), cacheControl: res.headers.get('cache-control'), text: await res.text() };
}

/** Polls a GET until `ok` holds for its parsed body (schema-checked), or fails after `ms`. */
async function until<S extends z.ZodType>(path: string, schema: S, ok: (body: z.output<S>) => boolean, ms = 15_000): Promise<z.output<S>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await get(path);
    const body = res.status === 200 ? schema.parse(JSON.parse(res.text)) : undefined;
    if (body !== undefined && ok(body)) return body;
    if (Date.now() > deadline) throw new Error(`${path}: ${res.status} ${res.text}`);
    await sleep(100);
  }
}

describe('conditional GETs', () => {
  it('an unchanged job answers 304 without a body; once it changed, 200 with a new ETag', async () => {
    const created = await client.submit({ name: 'etag', owner: `c-${tag}`, pausable: true, tasks: [{ name: 'wait', provider: 'delay', input: { seconds: 30 } }, { name: 'next', provider: 'demo' }] });
    const jobId = created.body.jobId as string;
    // Wait for it to run, so that nothing but our pause changes it below.
    for (let i = 0; i < 100 && (await client.task(jobId, 't1')).body.status !== 'running'; i++) await sleep(100);

    const first = await get(`/jobs/${jobId}`);
    expect(first.status).toBe(200);
    expect(first.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(first.cacheControl).toBe('no-cache');
    const again = await get(`/jobs/${jobId}`, { 'if-none-match': first.etag! });
    expect(again).toEqual({ status: 304, etag: first.etag, cacheControl: 'no-cache', text: '' });
    // A list of tags, one of them weak, and `*`, as RFC 9110 has them.
    expect((await get(`/jobs/${jobId}`, { 'If-None-Match': `"other", W/${first.etag}` })).status).toBe(304);
    expect((await get(`/jobs/${jobId}`, { 'If-None-Match': '*' })).status).toBe(304);

    expect((await client.call('POST', `/jobs/${jobId}/pause`)).status).toBe(200);
    const changed = await get(`/jobs/${jobId}`, { 'if-none-match': first.etag! });
    expect(changed.status).toBe(200);
    expect(changed.etag).not.toBe(first.etag);
    expect(JSON.parse(changed.text)).toMatchObject({ jobId, status: 'paused' });
    expect((await client.call('POST', `/jobs/${jobId}/discard`)).status).toBe(200);
  });
});

describe('GET /jobs/counts', () => {
  it('counts the roots of mixed outcomes by status, every status present, the window covering them all', async () => {
    const owner = `n-${tag}`;
    const job = (input: Record<string, unknown>) => ({ name: 'count', owner, retry: { count: 0 }, tasks: [{ name: 'a', provider: 'demo', input }] });
    const done = await Promise.all([client.submit(job({}), '?wait=20'), client.submit(job({}), '?wait=20'), client.submit(job({ fail: true }), '?wait=20')]);
    expect(done.map((r) => r.body.status).sort()).toEqual(['failed', 'succeeded', 'succeeded']);
    const slow = await client.submit({ name: 'count', owner, tasks: [{ name: 'a', provider: 'delay', input: { seconds: 30 } }] });
    await client.call('POST', `/jobs/${slow.body.jobId}/discard`);

    const counts = await until(`/jobs/counts?owner=${owner}`, jobCountsSchema, (b) => b.counts.discarded === 1);
    expect(counts.counts).toEqual({ pending: 0, running: 0, paused: 0, succeeded: 2, failed: 1, discarded: 1 });
    expect(counts.complete).toBe(true);
    expect(counts.scanned).toBeGreaterThanOrEqual(4);
    // A window of one root looks at the newest only (the discarded one) and says it did not see them all.
    expect(jobCountsSchema.parse(JSON.parse((await get(`/jobs/counts?owner=${owner}&window=1`)).text))).toEqual({
      counts: { pending: 0, running: 0, paused: 0, succeeded: 0, failed: 0, discarded: 1 },
      scanned: 1,
      complete: false,
    });
    // `/jobs/counts` is the literal route, never a job named `counts`.
    expect((await get('/jobs/counts?window=0')).status).toBe(400);
  });
});

describe('tokens', () => {
  it('a token with a holder and two waiters: listed with its holder and two waiting, and its queue in order', async () => {
    const token = `tk-${tag}`;
    const holder = (await client.submit({ name: 'holder', owner: `t-${tag}`, tokens: [token], tasks: [{ name: 'a', provider: 'delay', input: { seconds: 30 } }] })).body.jobId as string;
    const w1 = (await client.submit({ name: 'first', owner: `t-${tag}`, tokens: [token], tasks: [{ name: 'a', provider: 'demo' }] })).body.jobId as string;
    const w2 = (await client.submit({ name: 'second', owner: `t-${tag}`, tokens: [token], tasks: [{ name: 'a', provider: 'demo' }] })).body.jobId as string;

    const view = await until(`/tokens/${token}`, tokenViewSchema, (b) => b.holder?.jobId === holder);
    expect(view).toEqual({
      token,
      holder: { jobId: holder, since: expect.any(String), name: 'holder', status: 'running' },
      waiters: [
        { jobId: w1, createdAt: expect.any(String), name: 'first', status: 'pending' },
        { jobId: w2, createdAt: expect.any(String), name: 'second', status: 'pending' },
      ],
    });
    const page = await until('/tokens?limit=100', tokenPageSchema, (b) => b.items.some((t) => t.token === token && t.holder !== undefined && t.waiting === 2));
    expect(page.items.find((t) => t.token === token)).toEqual({ token, holder: { jobId: holder, since: view.holder!.since, name: 'holder', status: 'running' }, waiting: 2 });
    // Name order, page by page.
    const names = page.items.map((t) => t.token);
    expect(names).toEqual([...names].sort());

    for (const id of [w2, w1, holder]) await client.call('POST', `/jobs/${id}/discard`);
    await until(`/tokens?limit=100`, tokenPageSchema, (b) => !b.items.some((t) => t.token === token));
  });
});

describe('executors', () => {
  it('an inbox with a waiting offer, then, once a worker claimed it, the claim among its recent claims', async () => {
    const worker = `edge-c-${tag}`;
    const target = `exec:${worker}`;
    const jobId = (await client.submit({ name: 'pinned', owner: `e-${tag}`, preLock: worker, tasks: [{ name: 'p', provider: 'demo' }] })).body.jobId as string;

    const waiting = await until(`/executors/${target}`, executorDetailSchema, (b) => b.offersWaiting === 1);
    expect(waiting).toEqual({ target, offersWaiting: 1, oldestOfferAt: waiting.offers[0]!.visibleAt, recentClaims: [], offers: [{ jobId, taskId: 't1', attempt: 1, visibleAt: expect.any(String) }] });
    const listed = executorSummarySchema.array().parse(JSON.parse((await get('/executors')).text));
    expect(listed.find((e) => e.target === target)).toEqual({ target, offersWaiting: 1, oldestOfferAt: waiting.oldestOfferAt, recentClaims: [] });

    const before = await get(`/executors/${target}`);
    const claimed = await client.call('POST', `/workers/${worker}/claim?wait=5`);
    expect(claimed.status).toBe(200);
    const after = await get(`/executors/${target}`, { 'if-none-match': before.etag! });
    expect(after.status).toBe(200);
    expect(executorDetailSchema.parse(JSON.parse(after.text))).toEqual({ target, offersWaiting: 0, recentClaims: [{ jobId, taskId: 't1', attempt: 1, workerId: worker, at: expect.any(String) }], offers: [] });
    expect((await client.taskToken('success', claimed.body.taskToken, { output: {} })).status).toBe(200);
    expect((await get('/executors/exec:nobody-here')).status).toBe(404);
  });
});
