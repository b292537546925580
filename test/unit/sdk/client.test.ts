import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { JobxApiError, JobxClient, isJobxApiError, errorFromResponse, jobx } from '../../../functions/sdk';

type Call = { method: string; url: URL; body?: unknown; headers: Record<string, string> };

/** A fetch that answers from a list of handlers, recording every request. */
function fakeFetch(answer: (call: Call, n: number) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const call: Call = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      ...(init?.body !== undefined ? { body: JSON.parse(String(init.body)) } : {}),
    };
    calls.push(call);
    return answer(call, calls.length);
  };
  return { fetch, calls };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const view = (status: string, jobId = 'J1') => ({ jobId, name: 'a', owner: 'o', status, tasks: [], children: [] });

describe('JobxClient requests', () => {
  it('sends each call to its route with the contract body', async () => {
    const { fetch, calls } = fakeFetch((c) => json(200, c.url.pathname.includes('/tasks/') ? { taskId: 't1' } : view('running')));
    const client = new JobxClient({ baseUrl: 'http://x.test/', fetch, headers: { 'x-extra': '1' } });
    await client.get('J1');
    await client.task('J1.2', 't3');
    await client.skip('J1', 't2', { reason: 'r', output: { a: 1 } });
    await client.retry('J1', 't1', { input: { fail: false }, replace: true });
    await client.pause('J1');
    await client.resume('J1');
    await client.discard('J1', { reason: 'stop' });
    expect(calls.map((c) => `${c.method} ${c.url.pathname}${c.url.search}`)).toEqual([
      'GET /jobs/J1',
      'GET /jobs/J1.2/tasks/t3',
      'POST /jobs/J1/tasks/t2/skip',
      'POST /jobs/J1/tasks/t1/retry',
      'POST /jobs/J1/pause',
      'POST /jobs/J1/resume',
      'POST /jobs/J1/discard',
    ]);
    expect(calls.map((c) => c.body)).toEqual([undefined, undefined, { reason: 'r', output: { a: 1 } }, { input: { fail: false }, replace: true }, undefined, undefined, { reason: 'stop' }]);
    expect(calls[2]!.headers['content-type']).toBe('application/json');
    expect(calls[4]!.headers['content-type']).toBeUndefined();
    expect(calls.every((c) => c.headers['x-extra'] === '1')).toBe(true);
  });

  it('encodes ids in paths', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, view('running')));
    await new JobxClient({ baseUrl: 'http://x.test', fetch }).get('a/b?c');
    expect(calls[0]!.url.pathname).toBe('/jobs/a%2Fb%3Fc');
  });

  it('uses JOBX_URL when no baseUrl is given, and configure() replaces the default client options', async () => {
    const before = process.env.JOBX_URL;
    process.env.JOBX_URL = 'http://from-env.test:1234';
    try {
      expect(new JobxClient().baseUrl).toBe('http://from-env.test:1234');
      const { fetch, calls } = fakeFetch(() => json(200, { status: 'ok' }));
      const builder = jobx.job('a', 'o').pipeline('t', 'demo');
      jobx.configure({ baseUrl: 'http://configured.test', fetch });
      await jobx.health();
      expect(calls[0]!.url.origin).toBe('http://configured.test');
      const other = jobx.client({ baseUrl: 'http://other.test', fetch });
      await other.health();
      expect(calls[1]!.url.origin).toBe('http://other.test');
      void builder;
    } finally {
      if (before === undefined) delete process.env.JOBX_URL;
      else process.env.JOBX_URL = before;
      jobx.configure({});
    }
    expect(new JobxClient().baseUrl).toBe(process.env.JOBX_URL ?? 'http://127.0.0.1:3000');
  });
});

describe('errors', () => {
  it('maps the contract error body to JobxApiError with status, code and details', async () => {
    const { fetch } = fakeFetch(() => json(409, { error: { code: 'INVALID_STATE', message: 'task t2 is succeeded', details: { status: 'succeeded' } } }));
    const err = await new JobxClient({ baseUrl: 'http://x.test', fetch }).skip('J1', 't2').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobxApiError);
    expect(err).toMatchObject({ name: 'JobxApiError', status: 409, code: 'INVALID_STATE', message: 'task t2 is succeeded', details: { status: 'succeeded' }, method: 'POST', path: '/jobs/J1/tasks/t2/skip' });
    expect(isJobxApiError(err, 'INVALID_STATE')).toBe(true);
    expect(isJobxApiError(err, 'NOT_FOUND')).toBe(false);
  });

  it('derives a code from the status for bodies that are not the contract (API Gateway, proxies)', () => {
    const base = { method: 'GET', path: '/jobs/x' };
    expect(errorFromResponse({ ...base, status: 403, body: { message: 'Forbidden' } })).toMatchObject({ code: 'FORBIDDEN', message: 'Forbidden' });
    expect(errorFromResponse({ ...base, status: 429, body: { message: 'Too Many Requests' } })).toMatchObject({ code: 'THROTTLED' });
    expect(errorFromResponse({ ...base, status: 502, statusText: 'Bad Gateway', body: undefined, text: '<html>bad</html>' })).toMatchObject({ code: 'HTTP_502', message: 'HTTP 502 Bad Gateway' });
    expect(errorFromResponse({ ...base, status: 500, body: undefined, text: 'upstream died' })).toMatchObject({ code: 'HTTP_500', message: 'upstream died' });
  });

  it('wraps network failures as NETWORK_ERROR (status 0) with the cause', async () => {
    const port = await closedPort();
    const err = (await new JobxClient({ baseUrl: `http://127.0.0.1:${port}` }).get('J1').catch((e: unknown) => e)) as JobxApiError;
    expect(err).toBeInstanceOf(JobxApiError);
    expect(err.status).toBe(0);
    expect(err.code).toBe('NETWORK_ERROR');
    expect(err.message).toBe(`GET http://127.0.0.1:${port}/jobs/J1 failed: ECONNREFUSED`);
    expect(err.cause).toBeDefined();
  });

  it('times out as TIMEOUT, and lets a caller abort with its own signal', async () => {
    const hang: typeof globalThis.fetch = (_u, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error)));
    const err = await new JobxClient({ baseUrl: 'http://x.test', fetch: hang, timeoutMs: 50 }).get('J1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', status: 0 });
    const ac = new AbortController();
    const p = new JobxClient({ baseUrl: 'http://x.test', fetch: hang }).result('J1', { wait: 60, signal: ac.signal });
    ac.abort(new Error('mine'));
    await expect(p).rejects.toThrow('mine');
  });

  it('refuses a 2xx without a JSON body as BAD_RESPONSE', async () => {
    const { fetch } = fakeFetch(() => new Response('<html>', { status: 200 }));
    await expect(new JobxClient({ baseUrl: 'http://x.test', fetch }).get('J1')).rejects.toMatchObject({ code: 'BAD_RESPONSE', status: 200 });
  });
});

describe('long polls', () => {
  it('result({ wait }) splits a long wait into requests of at most 25 s and returns finished: false at the end', async () => {
    let t = 0;
    const realNow = Date.now;
    Date.now = () => t;
    try {
      const { fetch, calls } = fakeFetch((c) => {
        t += Number(c.url.searchParams.get('wait') ?? 0) * 1000;
        return json(202, { jobId: 'J1', status: 'running' });
      });
      const r = await new JobxClient({ baseUrl: 'http://x.test', fetch }).result('J1', { wait: 60 });
      expect(calls.map((c) => c.url.searchParams.get('wait'))).toEqual(['25', '25', '10']);
      expect(r).toEqual({ jobId: 'J1', status: 'running', finished: false });
    } finally {
      Date.now = realNow;
    }
  });

  it('result() returns the finished result as soon as the API has it', async () => {
    const { fetch, calls } = fakeFetch((_c, n) => (n < 2 ? json(202, { jobId: 'J1', status: 'running' }) : json(200, { jobId: 'J1', status: 'succeeded', output: { a: 1 } })));
    const r = await new JobxClient({ baseUrl: 'http://x.test', fetch }).result('J1', { wait: 100 });
    expect(r).toEqual({ jobId: 'J1', status: 'succeeded', output: { a: 1 }, finished: true });
    expect(calls).toHaveLength(2);
  });

  it('result() without wait asks once', async () => {
    const { fetch, calls } = fakeFetch(() => json(202, { jobId: 'J1', status: 'pending' }));
    expect(await new JobxClient({ baseUrl: 'http://x.test', fetch }).result('J1')).toMatchObject({ finished: false, status: 'pending' });
    expect(calls.map((c) => c.url.search)).toEqual(['']);
  });

  it('submit({ wait: 60 }) waits on the POST (≤ 25 s), then long-polls the result, then reads the finished job', async () => {
    const { fetch, calls } = fakeFetch((c) => {
      if (c.method === 'POST') return json(201, view('running'));
      if (c.url.pathname.endsWith('/result')) return json(200, { jobId: 'J1', status: 'succeeded' });
      return json(200, view('succeeded'));
    });
    const job = await new JobxClient({ baseUrl: 'http://x.test', fetch }).submit({ name: 'a', owner: 'o', tasks: [{ name: 't', provider: 'demo' }] }, { wait: 60 });
    expect(job.status).toBe('succeeded');
    expect(calls.map((c) => `${c.method} ${c.url.pathname}${c.url.search}`)).toEqual(['POST /jobs?wait=25', expect.stringMatching(/^GET \/jobs\/J1\/result\?wait=(2[0-5]|[1-9])$/), 'GET /jobs/J1']);
  });

  it('submit() without wait is a single POST; a finished job is returned without further requests', async () => {
    const { fetch, calls } = fakeFetch(() => json(201, view('succeeded')));
    const client = new JobxClient({ baseUrl: 'http://x.test', fetch });
    await client.submit({ name: 'a', owner: 'o', tasks: [{ name: 't', provider: 'demo' }] });
    await client.submit({ name: 'a', owner: 'o', tasks: [{ name: 't', provider: 'demo' }] }, { wait: 10 });
    expect(calls.map((c) => c.url.search)).toEqual(['', '?wait=10']);
  });
});

describe('list', () => {
  it('iterates jobs across pages following cursor, passing the filter and the cursor unchanged', async () => {
    const pages: Record<string, unknown> = {
      '': { items: [{ jobId: 'c' }, { jobId: 'b' }], cursor: 'k 1/+' },
      'k 1/+': { items: [], cursor: 'k2' },
      k2: { items: [{ jobId: 'a' }], cursor: 'k3' },
      k3: { items: [] },
    };
    const { fetch, calls } = fakeFetch((c) => json(200, pages[c.url.searchParams.get('cursor') ?? '']));
    const client = new JobxClient({ baseUrl: 'http://x.test', fetch });
    const ids: string[] = [];
    for await (const j of client.list({ owner: 'sqc', status: 'failed', limit: 2 })) ids.push(j.jobId);
    expect(ids).toEqual(['c', 'b', 'a']);
    expect(calls.map((c) => Object.fromEntries(c.url.searchParams))).toEqual([
      { owner: 'sqc', status: 'failed', limit: '2' },
      { owner: 'sqc', status: 'failed', limit: '2', cursor: 'k 1/+' },
      { owner: 'sqc', status: 'failed', limit: '2', cursor: 'k2' },
      { owner: 'sqc', status: 'failed', limit: '2', cursor: 'k3' },
    ]);
    const sizes: number[] = [];
    for await (const p of client.list({ limit: 2 }).pages()) sizes.push(p.items.length);
    expect(sizes).toEqual([2, 1]); // empty pages (with or without a cursor) are skipped
    expect((await client.list().toArray(1)).map((j) => j.jobId)).toEqual(['c']);
  });

  it('an empty listing yields one empty page and no jobs', async () => {
    const { fetch } = fakeFetch(() => json(200, { items: [] }));
    const client = new JobxClient({ baseUrl: 'http://x.test', fetch });
    const pages = [];
    for await (const p of client.list({ status: 'paused' }).pages()) pages.push(p);
    expect(pages).toEqual([{ items: [] }]);
    expect(await client.list({ status: 'paused' }).toArray()).toEqual([]);
  });
});
