/**
 * Pre-lock and external workers (claim over the API), task tokens, and asynchronous completion.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../helpers/api';
import { startStackProcess, type StackProcess } from '../helpers/local-stack';

let stack: StackProcess;
let client: ReturnType<typeof api>;

beforeAll(async () => {
  stack = await startStackProcess({ env: { JOBX_EXTERNAL_PROVIDERS: 'edge-echo', JOBX_LOCAL_EXECUTORS: 'demo@edge-lambda' } });
  client = api(stack.url);
});
afterAll(async () => stack?.stop());

const post = (path: string, body?: unknown) => client.call('POST', path, body);
const claim = (worker: string, wait = 0, providers = '') => post(`/workers/${worker}/claim?wait=${wait}${providers ? `&providers=${providers}` : ''}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pre-lock', () => {
  it('a task pinned to edge-1 is never run by edge-2 or a Lambda provider; edge-1 claims and completes it', async () => {
    const created = await client.submit({ name: 'pinned', owner: 'w', tasks: [{ name: 'p', provider: 'demo', preLock: 'edge-1', input: { x: 1 } }] });
    const jobId = created.body.jobId;
    expect(created.body.tasks[0].preLock).toBe('edge-1');
    expect((await claim('edge-2', 1)).status).toBe(204);
    await sleep(1500);
    // a Lambda `demo` provider would have run it by now
    expect((await client.task(jobId, 't1')).body).toMatchObject({ status: 'queued', attempts: [] });
    const got = await claim('edge-1', 5);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ jobId, taskId: 't1', provider: 'demo', input: { x: 1 }, attempt: 1, leaseSeconds: 300 });
    expect((await client.task(jobId, 't1')).body.status).toBe('running');
    const done = await client.taskToken('success', got.body.taskToken, { output: { y: 2 } });
    expect(done.status).toBe(200);
    expect((await client.waitResult(jobId)).body).toMatchObject({ status: 'succeeded', output: { y: 2 } });
    // the token is spent
    const replay = await client.taskToken('success', got.body.taskToken, { output: { y: 3 } });
    expect(replay.status).toBe(409);
    expect(replay.body.error.code).toBe('INVALID_STATE');
  });

  it('two workers racing for 200 pinned tasks claim disjoint sets that cover them all', async () => {
    const children = Array.from({ length: 200 }, (_, i) => ({ name: `k${i}`, owner: 'w', tasks: [{ name: 't', provider: 'demo', input: { i } }] }));
    const created = await client.submit({ name: 'race', owner: 'w', preLock: 'edge-race', children });
    const jobId = created.body.jobId;
    // Race for a full inbox: wait until every child runs (its task is then offered), so neither worker gives up early.
    for (let i = 0; i < 600; i++) {
      const job = (await client.job(jobId)).body;
      if (job.children.every((c: { status: string }) => c.status === 'running')) break;
      await sleep(100);
    }
    const worker = async () => {
      const mine: string[] = [];
      let empty = 0;
      while (empty < 3) {
        const res = await claim('edge-race', 1);
        if (res.status === 204) {
          empty++;
          continue;
        }
        empty = 0;
        mine.push(`${res.body.jobId}/${res.body.taskId}`);
        expect((await client.taskToken('success', res.body.taskToken, { output: { by: mine.length } })).status).toBe(200);
      }
      return mine;
    };
    const [a, b] = await Promise.all([worker(), worker()]);
    const all = [...a!, ...b!];
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(200);
    expect(a!.length).toBeGreaterThan(0);
    expect(b!.length).toBeGreaterThan(0);
    expect((await client.waitResult(jobId)).body.status).toBe('succeeded');
  }, 180_000);

  it('a provider deployment registered as an executor runs the tasks pinned to it, and only those providers', async () => {
    const viaLambda = await client.submit({ name: 'deployed', owner: 'w', preLock: 'edge-lambda', tasks: [{ name: 'a', provider: 'demo', input: { lam: true } }] });
    expect((await client.waitResult(viaLambda.body.jobId, 20_000)).body).toMatchObject({ status: 'succeeded', output: { lam: true } });
    // flaky is not deployed under edge-lambda: its pinned task waits for a worker claiming as edge-lambda
    const viaWorker = await client.submit({ name: 'not-deployed', owner: 'w', preLock: 'edge-lambda', tasks: [{ name: 'b', provider: 'flaky' }] });
    await sleep(1500);
    expect((await client.task(viaWorker.body.jobId, 't1')).body.status).toBe('queued');
    const got = await claim('edge-lambda', 5);
    expect(got.body).toMatchObject({ jobId: viaWorker.body.jobId, provider: 'flaky' });
    await client.taskToken('success', got.body.taskToken, { output: { worker: true } });
    expect((await client.waitResult(viaWorker.body.jobId)).body.output).toEqual({ worker: true });
  });

  it('serves unpinned tasks of an external provider to workers that offer it', async () => {
    const created = await client.submit({ name: 'ext', owner: 'w', tasks: [{ name: 'e', provider: 'edge-echo', input: { hi: true } }] });
    expect((await claim('anyone', 1)).status).toBe(204);
    const got = await claim('anyone', 5, 'edge-echo');
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ provider: 'edge-echo', input: { hi: true } });
    const failed = await client.taskToken('failure', got.body.taskToken, { error: { message: 'no', code: 'NOPE' }, retryable: false });
    expect(failed.body.status).toBe('failed');
    expect((await client.waitResult(created.body.jobId)).body.status).toBe('failed');
    const unknown = await client.submit({ name: 'x', owner: 'w', tasks: [{ name: 'e', provider: 'not-external' }] });
    expect(unknown.body.error.code).toBe('UNKNOWN_PROVIDER');
  });
});

describe('leases and task tokens', () => {
  it('a worker that dies mid-task loses its lease: the task is retried and the late result is refused', async () => {
    const created = await client.submit({ name: 'lease', owner: 'w', retry: { gapSeconds: 0 }, tasks: [{ name: 't', provider: 'demo', preLock: 'edge-3', timeoutSeconds: 1 }] });
    const jobId = created.body.jobId;
    const first = await claim('edge-3', 5);
    expect(first.status).toBe(200);
    // no heartbeat: the sweeper (every 2 s here) abandons attempt 1 and offers attempt 2
    const second = await claim('edge-3', 15);
    expect(second.status).toBe(200);
    expect(second.body.attempt).toBe(2);
    const late = await client.taskToken('success', first.body.taskToken, { output: { late: true } });
    expect(late.status).toBe(409);
    expect((await client.taskToken('success', second.body.taskToken, { output: { ok: true } })).status).toBe(200);
    expect((await client.waitResult(jobId)).body.output).toEqual({ ok: true });
    const task = (await client.task(jobId, 't1')).body;
    expect(task.attempts.map((a: { status: string }) => a.status)).toEqual(['abandoned', 'succeeded']);
  }, 60_000);

  it('heartbeats keep a long task alive past its timeout', async () => {
    const created = await client.submit({ name: 'beat', owner: 'w', tasks: [{ name: 't', provider: 'demo', preLock: 'edge-4', timeoutSeconds: 2 }] });
    const got = await claim('edge-4', 5);
    for (let i = 0; i < 5; i++) {
      await sleep(1000);
      const beat = await client.taskToken('heartbeat', got.body.taskToken);
      expect(beat.status).toBe(200);
      expect(beat.body.leaseSeconds).toBe(2);
    }
    expect((await client.taskToken('success', got.body.taskToken)).status).toBe(200);
    const task = (await client.task(created.body.jobId, 't1')).body;
    expect(task.attempts).toHaveLength(1);
    expect(task.attempts[0].status).toBe('succeeded');
  }, 30_000);

  it('rejects malformed tokens with 404', async () => {
    expect((await client.taskToken('heartbeat', 'not-a-token')).status).toBe(404);
    expect((await post('/workers/bad%20id/claim')).status).toBe(400);
  });
});

describe('asynchronous completion', () => {
  let server: Server;
  const tokens: string[] = [];
  let url = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        tokens.push(JSON.parse(body).taskToken);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
  });
  afterAll(() => server?.close());

  it('a provider returning pending() leaves the task running; completing its token 10 s later finishes the job', async () => {
    const created = await client.submit({ name: 'async', owner: 'w', tasks: [{ name: 'approve', provider: 'callback', input: { callbackUrl: url } }, { name: 'after', provider: 'demo', input: { next: true } }] });
    const jobId = created.body.jobId;
    for (let i = 0; i < 100 && tokens.length === 0; i++) await sleep(100);
    expect(tokens).toHaveLength(1);
    await sleep(10_000);
    expect((await client.task(jobId, 't1')).body.status).toBe('running');
    const done = await client.taskToken('success', tokens[0]!, { output: { approved: true } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ jobId, taskId: 't1', attempt: 1, status: 'succeeded' });
    const result = await client.waitResult(jobId);
    expect(result.body.output).toMatchObject({ approved: true, next: true });
    expect((await client.taskToken('success', tokens[0]!, { output: {} })).status).toBe(409);
  }, 60_000);
});
