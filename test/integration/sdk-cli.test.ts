/**
 * The client SDK and the `jobx` CLI against a local stack: the original README's three examples written with the
 * fluent builder, long-polls, typed errors, the CLI's output and exit codes, and the manual control actions.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobxApiError, JobxClient, jobx, type JobView } from '../../functions/sdk';
import { startStackProcess, type StackProcess } from '../helpers/local-stack';

const ROOT = join(import.meta.dirname, '..', '..');
let stack: StackProcess;
let client: JobxClient;
let dir: string;

beforeAll(async () => {
  stack = await startStackProcess();
  client = new JobxClient({ baseUrl: stack.url });
  jobx.configure({ baseUrl: stack.url });
  dir = mkdtempSync(join(tmpdir(), 'jobx-cli-'));
});
afterAll(async () => {
  jobx.configure({});
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx bin/jobx.ts --url <stack> ...args`. */
function cli(args: string[], env: Record<string, string> = {}, onStderr?: (stderrSoFar: string) => void): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/jobx.ts', '--url', stack.url, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr);
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function yamlFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('SDK: the original README examples with the builder', () => {
  it('(1) a one-task job', async () => {
    const job = await jobx.job('jober1', 'sqc').pipeline('task_1', 'demo').submit({ wait: 30 });
    expect(job.status).toBe('succeeded');
    expect(job.tasks).toMatchObject([{ taskId: 't1', name: 'task_1', provider: 'demo', status: 'succeeded', attempts: 1 }]);
    expect((await jobx.health()).local).toMatchObject({ duplicateDelivery: false });
  });

  it('(2) jober1 with env and three tasks, task_3 with its own input', async () => {
    const job = await jobx
      .job('jober1', 'sqc', { env: { env: 'test' } })
      .pipeline('task_1', 'demo')
      .pipeline('task_2', 'demo')
      .pipeline('task_3', 'demo', { input: { all_config: 'yes' } })
      .submit({ wait: 30 });
    expect(job.status).toBe('succeeded');
    expect(job.tasks.map((t) => [t.taskId, t.name, t.status])).toEqual([
      ['t1', 'task_1', 'succeeded'],
      ['t2', 'task_2', 'succeeded'],
      ['t3', 'task_3', 'succeeded'],
    ]);
    expect(job.output).toEqual({ all_config: 'yes' });
    const t3 = await jobx.task(job.jobId, 't3');
    expect(t3.attempts).toHaveLength(1);
    expect(t3.attempts[0]).toMatchObject({ attempt: 1, manual: false, status: 'succeeded', input: { all_config: 'yes' }, env: { env: 'test' } });
    expect(await jobx.result(job.jobId)).toEqual({ finished: true, jobId: job.jobId, status: 'succeeded', output: { all_config: 'yes' } });
  });

  it('(3) a parent with two children of three tasks each', async () => {
    const three = (name: string) => jobx.job(name, 'sqc').pipeline('task_1', 'demo').pipeline('task_2', 'demo').pipeline('task_3', 'demo');
    const job = await jobx.job('jober3', 'sqc').child(three('jober3_1')).child(three('jober3_2')).submit({ wait: 30 });
    expect(job.status).toBe('succeeded');
    expect(job.children).toEqual([
      { jobId: `${job.jobId}.1`, name: 'jober3_1', status: 'succeeded' },
      { jobId: `${job.jobId}.2`, name: 'jober3_2', status: 'succeeded' },
    ]);
    expect(job.output).toEqual({ jober3_1: {}, jober3_2: {} });
    const child = await jobx.get(`${job.jobId}.2`);
    expect(child.tasks.map((t) => t.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('submit without wait returns at once; result({ wait }) then long-polls to the end', async () => {
    const job = await client.job('slow', 'sqc').pipeline('nap', 'delay', { input: { seconds: 1.5 } }).submit();
    expect(['pending', 'running']).toContain(job.status);
    expect(await client.result(job.jobId)).toMatchObject({ finished: false });
    expect(await client.result(job.jobId, { wait: 30 })).toMatchObject({ finished: true, status: 'succeeded', output: { seconds: 1.5 } });
  });

  it('a bizId submitted twice returns the same job', async () => {
    const bizId = `order-${Date.now()}`;
    const a = await client.job('once', 'sqc', { bizId }).pipeline('task_1', 'demo').submit();
    const b = await client.job('once', 'sqc', { bizId }).pipeline('task_1', 'demo').submit();
    expect(b.jobId).toBe(a.jobId);
  });

  it('turns API errors into JobxApiError with status and code', async () => {
    const missing = await client.get('01NOSUCHJOB').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(JobxApiError);
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    await expect(client.submit({ name: 'x', owner: 'sqc', tasks: [{ name: 't', provider: 'no-such-provider' }] })).rejects.toMatchObject({ status: 400, code: 'UNKNOWN_PROVIDER' });
    await expect(client.submit({ name: 'x', owner: 'sqc' })).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    await expect(client.task('01NOSUCHJOB', 't1')).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

// The CLI tests are independent (each its own jobs) and mostly wait on processes: they run concurrently.
describe.concurrent('CLI', () => {
  it('jobx --help; an unknown job exits 1 with `error NOT_FOUND` on stderr', async ({ expect }) => {
    const [r, unknown] = await Promise.all([cli(['--help']), cli(['get', '01NOSUCHJOB'])]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: jobx \[options\] \[command\]/);
    for (const cmd of ['submit', 'get', 'wait', 'ls', 'skip', 'retry', 'pause', 'resume', 'discard', 'dev']) expect(r.stdout).toMatch(new RegExp(`\\n  ${cmd} `));
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^error NOT_FOUND: /);
  });

  it('submit -f job.yaml --wait 30 --json, then get (tree and JSON)', async ({ expect }) => {
    const file = yamlFile(
      'job.yaml',
      ['name: jober1', 'owner: sqc', 'env: { env: test }', 'tasks:', '  - { name: task_1, provider: demo }', '  - { name: task_2, provider: demo }', '  - name: task_3', '    provider: demo', '    input: { all_config: "yes" }', ''].join('\n'),
    );
    const r = await cli(['submit', '-f', file, '--wait', '30', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const job = JSON.parse(r.stdout) as JobView;
    expect(job).toMatchObject({ name: 'jober1', status: 'succeeded', output: { all_config: 'yes' } });

    const tree = await cli(['get', job.jobId], { JOBX_URL: 'http://127.0.0.1:9' }); // --url wins over JOBX_URL
    expect(tree.code).toBe(0);
    const lines = tree.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^jober1 \\(sqc\\)  ${job.jobId}  succeeded  3/3 tasks · \\d`));
    // Durations vary; the output of a task shows after them (an empty output is not shown).
    expect(lines.slice(1).map((l) => l.replace(/ · \d[\dms.]*(?= {2}|$)/, ''))).toEqual([
      '├─ t1 task_1 (demo)  succeeded  1 attempt',
      '├─ t2 task_2 (demo)  succeeded  1 attempt',
      '└─ t3 task_3 (demo)  succeeded  1 attempt  → {"all_config":"yes"}',
    ]);
  });

  it('submit refuses an invalid file with its line number before sending it', async ({ expect }) => {
    const file = yamlFile('bad.yaml', 'name: bad\nowner: sqc\ntasks:\n  - name: task_1\n    provder: demo\n');
    const r = await cli(['submit', '-f', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error VALIDATION_FAILED: 2 problems in ${file}`);
    expect(r.stderr).toContain(`${file}:5:5: tasks[0].provder: unknown key provder`);
  });

  it('submit --wait shows tasks done/total while it waits, a line per change without a TTY', async ({ expect }) => {
    const file = yamlFile('waited.yaml', 'name: waited\nowner: sqc\ntasks:\n  - { name: a, provider: delay, input: { seconds: 2 } }\n  - { name: b, provider: delay, input: { seconds: 0.5 } }\n');
    const r = await cli(['submit', '-f', file, '--wait', '30']);
    expect(r.code).toBe(0);
    const [submitted, ...progress] = r.stderr.trimEnd().split('\n');
    const jobId = /^submitted (\S+), waiting up to 30s$/.exec(submitted!)?.[1];
    expect(jobId).toBeDefined();
    // read right after the submit, the 2 s task cannot have finished
    expect(progress[0]).toMatch(new RegExp(`^${jobId}  (pending|running)  tasks 0/2 done$`));
    expect(progress.at(-1)).toBe(`${jobId}  succeeded  tasks 2/2 done`);
    expect(new Set(progress).size).toBe(progress.length);
    expect(r.stdout).toMatch(new RegExp(`^waited \\(sqc\\)  ${jobId}  succeeded  2/2 tasks`));
  });

  it('wait exits 0 on success, 1 on failure, 2 on timeout', async ({ expect }) => {
    const done = await client.job('done', 'sqc').pipeline('task_1', 'demo').submit({ wait: 30 });
    const failing = await client.job('fails', 'sqc', { retry: { count: 0 } }).pipeline('task_1', 'demo', { input: { fail: true } }).submit();
    const slow = await client.job('slow', 'sqc').pipeline('nap', 'delay', { input: { seconds: 20 } }).submit();
    const [ok, bad, timeout] = await Promise.all([
      cli(['wait', done.jobId, '--timeout', '30']),
      cli(['wait', failing.jobId, '--timeout', '30']),
      cli(['wait', slow.jobId, '--timeout', '1']),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe(`${done.jobId}  succeeded  tasks 1/1 done\n`);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/t1 task_1 \(demo\) {2}failed {2}1 attempt · \S+ {2}— demo failure/);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toMatch(new RegExp(`timed out after 1s: ${slow.jobId} is (pending|running)`));
    await client.discard(slow.jobId).catch(() => undefined);
  });
});

describe.concurrent('control (needs the control API)', () => {
  it('retry fixes a failing demo task with input {fail:false}: the job succeeds with a manual attempt 2', async ({ expect }) => {
    const job = await client.job('fix-me', 'sqc', { retry: { count: 0 } }).pipeline('task_1', 'demo', { input: { fail: true } }).submit({ wait: 30 });
    expect(job.status).toBe('failed');
    const task = await client.retry(job.jobId, 't1', { input: { fail: false } });
    expect(task.taskId).toBe('t1');
    expect(['queued', 'running', 'succeeded', 'pending']).toContain(task.status);
    expect((await client.get(job.jobId)).status).not.toBe('failed');
    expect(await client.result(job.jobId, { wait: 30 })).toMatchObject({ finished: true, status: 'succeeded' });
    const detail = await client.task(job.jobId, 't1');
    expect(detail.attempts.map((a) => [a.attempt, a.manual, a.status])).toEqual([
      [1, false, 'failed'],
      [2, true, 'succeeded'],
    ]);
    expect(detail.attempts[1]!.input).toEqual({ fail: false });
  });

  it('the SDK names tasks by name as by id (task, retry, skip); a name the job lacks is 404 NOT_FOUND', async ({ expect }) => {
    const job = await client
      .job('by-name', 'sqc', { retry: { count: 0 } })
      .pipeline('fetch', 'demo', { input: { fail: true } })
      .pipeline('store', 'demo')
      .submit({ wait: 30 });
    expect(job.status).toBe('failed');
    expect(await client.task(job.jobId, 'fetch')).toEqual(await client.task(job.jobId, 't1'));
    await expect(client.task(job.jobId, 'no-such-task')).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND', details: { taskId: 'no-such-task' } });
    await expect(client.skip(job.jobId, 'no-such-task')).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const retried = await client.retry(job.jobId, 'fetch', { input: { fail: false } });
    expect(retried).toMatchObject({ taskId: 't1', name: 'fetch' });
    expect(await client.result(job.jobId, { wait: 30 })).toMatchObject({ finished: true, status: 'succeeded' });
    await expect(client.skip(job.jobId, 'store')).rejects.toMatchObject({ status: 409, code: 'INVALID_STATE', details: { status: 'succeeded' } });
  });

  it('jobx retry TASK-NAME --input: the job succeeds', async ({ expect }) => {
    const job = await client.job('fix-me-cli', 'sqc', { retry: { count: 0 } }).pipeline('task_1', 'demo', { input: { fail: true } }).submit({ wait: 30 });
    expect(job.status).toBe('failed');
    const r = await cli(['retry', job.jobId, 'task_1', '--input', '{"fail":false}', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ taskId: 't1' });
    expect(await client.result(job.jobId, { wait: 30 })).toMatchObject({ finished: true, status: 'succeeded' });
  });

  it('jobx skip a failed task: the pipeline continues with the given output', async ({ expect }) => {
    const job = await client
      .job('skip-me', 'sqc', { retry: { count: 0 } })
      .pipeline('task_1', 'demo', { input: { fail: true } })
      .pipeline('task_2', 'demo')
      .submit({ wait: 30 });
    expect(job.status).toBe('failed');
    const r = await cli(['skip', job.jobId, 't1', '--reason', 'done by hand', '--output', '{"by":"hand"}']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^t1 task_1 \(demo\) {2}skipped/);
    expect(await client.result(job.jobId, { wait: 30 })).toMatchObject({ finished: true, status: 'succeeded', output: { by: 'hand' } });
    const done = await client.get(job.jobId);
    expect(done.tasks.map((t) => t.status)).toEqual(['skipped', 'succeeded']);
    expect(done.tasks[0]!.reason).toBe('done by hand');
    expect((await client.task(job.jobId, 't2')).attempts[0]!.context).toEqual({ by: 'hand' });
    await expect(client.skip(job.jobId, 't2')).rejects.toMatchObject({ status: 409, code: 'INVALID_STATE' });
  });

  it('pause a pipeline of delay tasks mid-way, then resume: it succeeds', async ({ expect }) => {
    const job = await client
      .job('pausable', 'sqc', { pausable: true })
      .pipeline('a', 'delay', { input: { seconds: 2 } })
      .pipeline('b', 'delay', { input: { seconds: 0.2 } })
      .pipeline('c', 'delay', { input: { seconds: 0.2 } })
      .submit();
    await until('task a running', async () => (await client.get(job.jobId)).tasks[0]!.status === 'running');
    expect((await client.pause(job.jobId)).status).toBe('paused');
    await until('task a finished', async () => (await client.get(job.jobId)).tasks[0]!.status === 'succeeded');
    await new Promise((r) => setTimeout(r, 1000));
    const paused = await client.get(job.jobId);
    expect(paused.status).toBe('paused');
    expect(paused.tasks.map((t) => t.status)).toEqual(['succeeded', 'pending', 'pending']);
    expect(await client.result(job.jobId)).toMatchObject({ finished: false, status: 'paused' });
    expect((await client.resume(job.jobId)).status).toBe('running');
    expect(await client.result(job.jobId, { wait: 30 })).toMatchObject({ finished: true, status: 'succeeded' });
    await expect(client.pause(job.jobId)).rejects.toMatchObject({ status: 409, code: 'INVALID_STATE' });
    const fixed = await client.job('not-pausable', 'sqc', { pausable: false }).pipeline('a', 'delay', { input: { seconds: 1 } }).submit();
    await expect(client.pause(fixed.jobId)).rejects.toMatchObject({ status: 400, code: 'NOT_PAUSABLE' });
  });

  it('jobx wait follows a paused job (progress shows it paused) and the resumed job to the end', async ({ expect }) => {
    const job = await client.job('wait-paused', 'sqc').pipeline('a', 'demo').pipeline('b', 'delay', { input: { seconds: 0.3 } }).submit();
    await client.pause(job.jobId);
    // paused before or after task a ran: either way nothing runs until resume
    let done = -1;
    await until('paused and settled', async () => {
      const v = await client.get(job.jobId);
      done = v.tasks.filter((t) => t.status === 'succeeded').length;
      return v.status === 'paused' && v.tasks.every((t) => t.status === 'succeeded' || t.status === 'pending');
    });
    let sawPaused!: () => void;
    const paused = new Promise<void>((resolve) => (sawPaused = resolve));
    const run = cli(['wait', job.jobId, '--timeout', '60'], {}, (stderr) => {
      if (stderr.includes(`${job.jobId}  paused  tasks ${done}/2 done\n`)) sawPaused();
    });
    await Promise.race([paused, run.then((r) => Promise.reject(new Error(`jobx wait ended before showing the paused job: ${r.stderr}`)))]);
    await client.resume(job.jobId);
    const r = await run;
    expect(r.code).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`${job.jobId}  paused  tasks ${done}/2 done`);
    expect(lines.at(-1)).toBe(`${job.jobId}  succeeded  tasks 2/2 done`);
  });

  it('jobx discard a running parent: it and its unfinished children end discarded', async ({ expect }) => {
    // long enough that no child finishes before the discard, even on a loaded machine
    const slowChild = (name: string) => client.job(name, 'sqc').pipeline('nap', 'delay', { input: { seconds: 10 } }).pipeline('after', 'demo');
    const parent = await client.job('discard-me', 'sqc').child(slowChild('c1')).child(slowChild('c2')).submit();
    await until('parent running', async () => (await client.get(parent.jobId)).status === 'running');
    const r = await cli(['discard', parent.jobId, '--reason', 'no longer needed', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ jobId: parent.jobId, status: 'discarded' });
    // The parent is discarded by the answer itself (the contract's read-your-writes); its children follow through
    // the stream's cascade, a moment later.
    expect((await client.get(parent.jobId)).status).toBe('discarded');
    await until('children discarded', async () => (await client.get(parent.jobId)).children.every((c) => c.status === 'discarded'));
    const view = await client.get(parent.jobId);
    expect(view.children.map((c) => c.status)).toEqual(['discarded', 'discarded']);
    expect((await client.get(`${parent.jobId}.1`)).tasks[1]!.status).toBe('discarded');
    expect(await client.result(parent.jobId, { wait: 10 })).toMatchObject({ finished: true, status: 'discarded' });
  });

  it('list paginates newest first following cursor', async ({ expect }) => {
    const owner = `pager-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.job(`page-${i}`, owner).pipeline('task_1', 'demo').submit()).jobId);
    const seen = await client.list({ owner, limit: 2 }).toArray();
    expect(seen.map((j) => j.jobId).sort()).toEqual([...ids].sort());
    expect(seen.every((j) => j.owner === owner)).toBe(true);
    const times = seen.map((j) => Date.parse(j.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // A filtered page may come back short (the filter runs over the index pages the API read); pages() skips empty ones.
    const sizes: number[] = [];
    for await (const page of client.list({ owner, limit: 2 }).pages()) sizes.push(page.items.length);
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    expect(sizes.every((n) => n >= 1 && n <= 2)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('jobx ls --status failed', async ({ expect }) => {
    const failed = await client.job('ls-failed', 'sqc', { retry: { count: 0 } }).pipeline('task_1', 'demo', { input: { fail: true } }).submit({ wait: 30 });
    expect(failed.status).toBe('failed');
    const table = await cli(['ls', '--status', 'failed', '--limit', '100']);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^CREATED \(UTC\) +JOB ID +NAME +OWNER +STATUS +BIZ ID$/);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => / failed( |$)/.test(row))).toBe(true);
    expect(table.stdout).toMatch(new RegExp(`${failed.jobId} +ls-failed +sqc +failed`));
  });
});
