import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { portError } from '../../../functions/cli/commands/dev';
import { runCli } from '../../../functions/cli/program';
import type { CliIo } from '../../../functions/cli/io';
import type { JobView } from '../../../functions/sdk';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();

function jobView(status: JobView['status'], done: number, over: Partial<JobView> = {}): JobView {
  const tasks = [1, 2, 3].map((i) => ({
    taskId: `t${i}`,
    name: `task_${i}`,
    provider: 'demo',
    status: i <= done ? ('succeeded' as const) : i === done + 1 && status === 'failed' ? ('failed' as const) : ('pending' as const),
    attempts: i <= done + (status === 'failed' ? 1 : 0) ? 1 : 0,
    input: {},
    env: {},
  }));
  return { jobId: 'J1', name: 'jober1', owner: 'sqc', status, input: {}, env: {}, pausable: true, rootId: 'J1', createdAt: iso(0), updatedAt: iso(1500), tasks, children: [], ...over };
}

type Route = (method: string, url: URL, body: unknown) => { status: number; body: unknown } | undefined;

/** Runs the CLI in-process against a fake API; returns exit code, stdout, stderr and the requests made. */
async function cli(args: string[], route: Route, opts: { tty?: boolean; env?: Record<string, string> } = {}) {
  let stdout = '';
  let stderr = '';
  const requests: string[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), isTTY: opts.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: { JOBX_URL: 'http://api.test', ...opts.env },
    now: () => T0 + 2000,
    readFile: (path) => {
      if (path === 'job.yaml') return 'name: jober1\nowner: sqc\ntasks:\n  - { name: task_1, provider: demo }\n';
      if (path === 'bad.yaml') return 'name: jober1\nowner: sqc\ntasks:\n  - { name: task_1 }\n';
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
    fetch: async (input, init) => {
      const url = new URL(String(input));
      const method = init?.method ?? 'GET';
      requests.push(`${method} ${url.pathname}${url.search}`);
      const r = route(method, url, init?.body ? JSON.parse(String(init.body)) : undefined) ?? { status: 404, body: { error: { code: 'NOT_FOUND', message: `job ${url.pathname.split('/')[2]} not found` } } };
      return new Response(JSON.stringify(r.body), { status: r.status });
    },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr, requests };
}

const getJob = (view: () => JobView): Route => (method, url) => {
  if (method === 'GET' && url.pathname === '/jobs/J1') return { status: 200, body: view() };
  if (method === 'GET' && url.pathname.startsWith('/jobs/J1/tasks/')) {
    const t = view().tasks.find((x) => x.taskId === url.pathname.split('/')[4])!;
    return { status: 200, body: { ...t, attempts: t.attempts ? [{ attempt: 1, manual: false, status: t.status === 'failed' ? 'failed' : 'succeeded', input: {}, env: {}, context: {}, startedAt: iso(100), endedAt: iso(400), ...(t.status === 'failed' ? { error: { message: 'demo failure' } } : {}) }] : [] } };
  }
  if (method === 'GET' && url.pathname === '/jobs/J1/result') {
    const v = view();
    return ['succeeded', 'failed', 'discarded'].includes(v.status) ? { status: 200, body: { jobId: 'J1', status: v.status } } : { status: 202, body: { jobId: 'J1', status: v.status } };
  }
  return undefined;
};

describe('jobx CLI', () => {
  it('get prints the tree; --json prints the API response', async () => {
    const r = await cli(['get', 'J1'], getJob(() => jobView('succeeded', 3)));
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'jober1 (sqc)  J1  succeeded  3/3 tasks · 1.5s',
      '├─ t1 task_1 (demo)  succeeded  1 attempt · 300ms',
      '├─ t2 task_2 (demo)  succeeded  1 attempt · 300ms',
      '└─ t3 task_3 (demo)  succeeded  1 attempt · 300ms',
      '',
    ]);
    const j = await cli(['get', 'J1', '--json'], getJob(() => jobView('succeeded', 3)));
    expect(JSON.parse(j.stdout)).toEqual(jobView('succeeded', 3));
    expect(j.requests).toEqual(['GET /jobs/J1']);
  });

  it('colours only on a TTY without NO_COLOR', async () => {
    const route = getJob(() => jobView('succeeded', 3));
    expect((await cli(['get', 'J1'], route, { tty: true })).stdout).toContain('\x1b[');
    expect((await cli(['get', 'J1'], route, { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\x1b[');
    expect((await cli(['get', 'J1'], route, { tty: false })).stdout).not.toContain('\x1b[');
  });

  it('prints API errors as `error CODE: message` with exit 1', async () => {
    const r = await cli(['get', 'nope'], () => undefined);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error NOT_FOUND: job nope not found\n');
    expect(r.stdout).toBe('');
    const conflict = await cli(['pause', 'J1'], () => ({ status: 409, body: { error: { code: 'INVALID_STATE', message: 'cannot pause', details: { status: 'succeeded' } } } }));
    expect(conflict).toMatchObject({ code: 1, stderr: 'error INVALID_STATE: cannot pause (status: succeeded)\n' });
  });

  it('leaves usage errors to commander with exit 2', async () => {
    const r = await cli(['retry', 'J1', 't1', '--input', '{"fail":'], () => undefined);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option '--input <json>' argument '\{"fail":' is invalid\. not valid JSON/);
    expect(r.requests).toEqual([]);
    expect((await cli(['frobnicate'], () => undefined)).code).toBe(2);
    expect((await cli(['ls', '--status', 'weird'], () => undefined)).stderr).toMatch(/Allowed choices are pending, running, paused, succeeded, failed, discarded/);
    const help = await cli(['--help'], () => undefined);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: jobx \[options\] \[command\]/);
  });

  it('submit validates the file before sending anything', async () => {
    const r = await cli(['submit', '-f', 'bad.yaml'], () => undefined);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error VALIDATION_FAILED: bad.yaml:4:5: tasks\[0\]\.provider: required/);
    expect(r.requests).toEqual([]);
    expect((await cli(['submit', '-f', 'missing.yaml'], () => undefined)).stderr).toBe('error FILE_NOT_FOUND: no such file: missing.yaml\n');
  });

  it('submit sends the parsed spec and prints the job', async () => {
    let sent: unknown;
    const r = await cli(['submit', '-f', 'job.yaml', '--json'], (method, url, body) => {
      if (method === 'POST' && url.pathname === '/jobs') {
        sent = body;
        return { status: 201, body: jobView('pending', 0) };
      }
      return undefined;
    });
    expect(r.code).toBe(0);
    expect(sent).toEqual({ name: 'jober1', owner: 'sqc', tasks: [{ name: 'task_1', provider: 'demo' }] });
    expect(JSON.parse(r.stdout).jobId).toBe('J1');
  });

  it('wait shows a progress line per change (no TTY) and exits 0 when the job succeeds', async () => {
    let reads = 0;
    let current = jobView('running', 0);
    const states = [jobView('running', 0), jobView('running', 1), jobView('running', 2), jobView('succeeded', 3)];
    const inner = getJob(() => current);
    const r = await cli(['wait', 'J1'], (method, url, body) => {
      if (method === 'GET' && url.pathname === '/jobs/J1') current = states[Math.min(reads++, states.length - 1)]!;
      return inner(method, url, body);
    });
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')).toEqual(['J1  running  tasks 0/3 done', 'J1  running  tasks 1/3 done', 'J1  running  tasks 2/3 done', 'J1  succeeded  tasks 3/3 done', '']);
    expect(r.stdout).toMatch(/^jober1 \(sqc\) {2}J1 {2}succeeded/);
    for (const req of r.requests.filter((x) => x.startsWith('GET /jobs/J1/result'))) expect(req).toMatch(/^GET \/jobs\/J1\/result(\?wait=1)?$/);
  });

  it('wait exits 1 for a failed job, 2 on timeout; --json prints the job only', async () => {
    const failed = await cli(['wait', 'J1'], getJob(() => jobView('failed', 1)));
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('t2 task_2 (demo)  failed  1 attempt · 300ms  — demo failure');
    const json = await cli(['wait', 'J1', '--json'], getJob(() => jobView('failed', 1)));
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout).status).toBe('failed');
    const timeout = await cli(['wait', 'J1', '--timeout', '0'], getJob(() => jobView('running', 1)));
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toMatch(/timed out after 0s: J1 is running \(running {2}tasks 1\/3 done\)/);
  });

  it('skip and retry take a task id or name and send the contract body', async () => {
    const bodies: unknown[] = [];
    const route: Route = (method, url, body) => {
      if (method === 'POST') {
        bodies.push([url.pathname, body]);
        return { status: 200, body: { ...jobView('running', 1).tasks[1], status: 'skipped', attempts: [] } };
      }
      return getJob(() => jobView('failed', 1))(method, url, body);
    };
    expect((await cli(['skip', 'J1', 'task_2', '--reason', 'by hand', '--output', '{"a":1}'], route)).code).toBe(0);
    expect((await cli(['retry', 'J1', 't2', '--input', '{"fail":false}', '--env', '{"e":"x"}', '--replace'], route)).code).toBe(0);
    expect(bodies).toEqual([
      ['/jobs/J1/tasks/t2/skip', { reason: 'by hand', output: { a: 1 } }],
      ['/jobs/J1/tasks/t2/retry', { input: { fail: false }, env: { e: 'x' }, replace: true }],
    ]);
    const unknown = await cli(['skip', 'J1', 'task_9'], route);
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.stderr).toMatch(/^error NOT_FOUND: job J1 has no task task_9 \(tasks: t1 task_1, t2 task_2, t3 task_3\)/);
  });

  it('ls prints a table and the next page hint', async () => {
    const r = await cli(['ls', '--status', 'failed', '--limit', '2'], (method, url) =>
      method === 'GET' && url.pathname === '/jobs'
        ? { status: 200, body: { items: [{ jobId: 'J2', name: 'b', owner: 'sqc', status: 'failed', createdAt: iso(5000), bizId: 'x-1' }, { jobId: 'J1', name: 'jober1', owner: 'sqc', status: 'failed', createdAt: iso(0) }], cursor: 'CUR' } }
        : undefined,
    );
    expect(r.code).toBe(0);
    expect(r.requests).toEqual(['GET /jobs?limit=2&status=failed']);
    expect(r.stdout.split('\n')).toEqual([
      'CREATED (UTC)        JOB ID  NAME    OWNER  STATUS  BIZ ID',
      '2026-11-25 10:00:05  J2      b       sqc    failed  x-1',
      '2026-11-25 10:00:00  J1      jober1  sqc    failed',
      '',
    ]);
    expect(r.stderr).toBe("more: jobx ls --cursor 'CUR' --limit 2 --status failed\n");
  });
});

describe('jobx CLI start-up mistakes: one line, no stack trace, non-zero exit', () => {
  it('dev on a port another process holds says so before starting anything (exit 1)', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const r = await cli(['dev', '--port', String(port)], () => undefined);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`error PORT_IN_USE: port ${port} is in use: stop the other process or pass --port (or set PORT)\n`);
      expect(r.stdout).toBe('');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('a listen error is the user\'s only on the API port (a port the stack picked for itself stays an internal error)', () => {
    const inUse = (port: number) => Object.assign(new Error(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`), { code: 'EADDRINUSE', port });
    expect(portError(inUse(3000), 3000)?.code).toBe('PORT_IN_USE');
    expect(portError(Object.assign(new Error('listen EACCES'), { code: 'EACCES', port: 80 }), 80)?.message).toBe('port 80 needs privileges this process lacks: pass --port 1024 or above');
    expect(portError(inUse(41234), 3000)).toBeUndefined();
    expect(portError(new Error('boom'), 3000)).toBeUndefined();
  });

  it('--url or JOBX_URL without a scheme is INVALID_URL with the URL to write, and nothing is sent (exit 2)', async () => {
    const flag = await cli(['--url', '127.0.0.1:3000', 'get', 'J1'], () => undefined);
    expect(flag).toMatchObject({ code: 2, stdout: '', requests: [] });
    expect(flag.stderr).toBe('error INVALID_URL: --url 127.0.0.1:3000 has no scheme: use http://127.0.0.1:3000 (or https://)\n');
    // `localhost:3000` parses as a URL of scheme `localhost:`; it is still a missing scheme to the user.
    const env = await cli(['ls'], () => undefined, { env: { JOBX_URL: 'localhost:3000' } });
    expect(env).toMatchObject({ code: 2, requests: [] });
    expect(env.stderr).toBe('error INVALID_URL: JOBX_URL localhost:3000 has no scheme: use http://localhost:3000 (or https://)\n');
    const ftp = await cli(['--url', 'ftp://files.test', 'get', 'J1'], () => undefined);
    expect(ftp.stderr).toBe('error INVALID_URL: --url ftp://files.test is not an http:// or https:// URL (e.g. http://127.0.0.1:3000)\n');
  });
});
