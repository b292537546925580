/**
 * `jobx worker`: an external worker run from the CLI against the local stack, with the providers of
 * test/fixtures/my-providers.ts: pinned tasks run on it (and only on it), provider errors and unknown providers fail
 * the task, and SIGTERM lets the task in flight finish and report before the process exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../helpers/api';
import { startStackProcess, type StackProcess } from '../helpers/local-stack';

const ROOT = join(import.meta.dirname, '..', '..');
const WORKER_ID = 'cli-edge';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: StackProcess;
let client: ReturnType<typeof api>;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  // `echo` is also an external provider: unpinned echo tasks go to workers that --offer it
  stack = await startStackProcess({ env: { JOBX_EXTERNAL_PROVIDERS: 'echo' } });
  client = api(stack.url);
});
afterEach(async () => {
  const left = workers.splice(0);
  for (const w of left) await w.kill();
  // The server finishes a claim long-poll whose client went away (it may still claim a task for nobody): let the
  // polls of killed workers (--wait 1) run out before the next test submits.
  if (left.length > 0) await sleep(1500);
});
afterAll(async () => stack?.stop());

interface WorkerProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
  /** Waits until stderr (or stdout) matches. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<void>;
  kill(): Promise<void>;
}

/** Spawns `jobx worker --id cli-edge --providers test/fixtures/my-providers.ts --concurrency 2 --wait 1 ...extra`. */
function startWorker(extra: string[] = []): WorkerProcess {
  const args = ['--import', 'tsx', 'bin/jobx.ts', '--url', stack.url, 'worker', '--id', WORKER_ID, '--providers', 'test/fixtures/my-providers.ts', '--concurrency', '2', '--wait', '1', ...extra];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const w: WorkerProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(pattern, stream = 'stderr', timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stream === 'stderr' ? err : out)) {
        if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}) before ${pattern}:\n${err}\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\nstderr: ${err}\nstdout: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  workers.push(w);
  return w;
}


describe('jobx worker', () => {
  it('runs tasks pinned to its id with the module\'s providers, heartbeating; failures and unknown providers fail the task; other ids stay queued', async () => {
    const worker = startWorker();
    await worker.waitFor(/worker cli-edge: providers echo, refuse, slow; concurrency 2; pinned tasks only/);

    const pipeline = await client.submit({
      name: 'edge-pipeline',
      owner: 'w',
      preLock: WORKER_ID,
      input: { from: 'job' },
      tasks: [
        { name: 'one', provider: 'echo', input: { x: 1 } },
        { name: 'two', provider: 'echo', input: { y: 2 } },
      ],
    });
    expect(pipeline.status).toBe(201);
    // pinned on the task rather than the job
    const taskPinned = await client.submit({ name: 'edge-task', owner: 'w', tasks: [{ name: 'e', provider: 'echo', preLock: WORKER_ID, input: { z: 3 } }] });
    const refused = await client.submit({ name: 'edge-refuse', owner: 'w', preLock: WORKER_ID, tasks: [{ name: 'r', provider: 'refuse', input: { why: 'by test' } }] });
    const unknown = await client.submit({ name: 'edge-unknown', owner: 'w', preLock: WORKER_ID, tasks: [{ name: 'u', provider: 'not-in-module' }] });
    // a 1 s lease on a 4 s task: only the worker's heartbeats keep the sweeper (every 2 s) from abandoning it
    const beating = await client.submit({ name: 'edge-beat', owner: 'w', preLock: WORKER_ID, tasks: [{ name: 'b', provider: 'slow', timeoutSeconds: 1, input: { seconds: 4 } }] });
    const unoffered = await client.submit({ name: 'edge-unpinned', owner: 'w', tasks: [{ name: 'e', provider: 'echo' }] });
    const elsewhere = await client.submit({ name: 'edge-other', owner: 'w', preLock: 'other-edge', tasks: [{ name: 'o', provider: 'echo' }] });

    const done = await client.waitResult(pipeline.body.jobId, 30_000);
    expect(done.body).toMatchObject({ status: 'succeeded', output: { x: 1, y: 2, by: 'cli-edge' } });
    const t1 = (await client.task(pipeline.body.jobId, 't1')).body;
    expect(t1.attempts).toHaveLength(1);
    expect(t1.attempts[0]).toMatchObject({ status: 'succeeded', output: { x: 1, by: 'cli-edge', attempt: 1 } });

    expect((await client.waitResult(taskPinned.body.jobId, 30_000)).body).toMatchObject({ status: 'succeeded', output: { z: 3, by: 'cli-edge' } });

    expect((await client.waitResult(refused.body.jobId, 30_000)).body.status).toBe('failed');
    const r1 = (await client.task(refused.body.jobId, 't1')).body;
    expect(r1.status).toBe('failed');
    expect(r1.attempts).toHaveLength(1);
    expect(r1.attempts[0].error).toMatchObject({ message: 'refused by test', code: 'REFUSED', retryable: false });

    expect((await client.waitResult(unknown.body.jobId, 30_000)).body.status).toBe('failed');
    const u1 = (await client.task(unknown.body.jobId, 't1')).body;
    expect(u1.attempts).toHaveLength(1);
    expect(u1.attempts[0].error).toMatchObject({ message: 'no provider not-in-module in this worker', code: 'UNKNOWN_PROVIDER', retryable: false });

    expect((await client.waitResult(beating.body.jobId, 30_000)).body).toMatchObject({ status: 'succeeded', output: { slept: 4 } });
    const b1 = (await client.task(beating.body.jobId, 't1')).body;
    expect(b1.attempts.map((a: { status: string }) => a.status)).toEqual(['succeeded']);

    // a task pinned to another executor is never claimed by this one
    expect((await client.task(elsewhere.body.jobId, 't1')).body).toMatchObject({ status: 'queued', attempts: [] });
    // nor an unpinned task of a provider it does not --offer
    expect((await client.task(unoffered.body.jobId, 't1')).body).toMatchObject({ status: 'queued', attempts: [] });

    const log = worker.stderr();
    expect(log).toContain(`claimed ${pipeline.body.jobId}/t1 attempt 1`);
    expect(log).toContain(`${pipeline.body.jobId}/t2 succeeded`);
    expect(log).toContain(`${unknown.body.jobId}/t1 failed: no provider not-in-module in this worker`);
    expect(log).not.toContain(elsewhere.body.jobId);
    expect(worker.stdout()).toBe('');
  }, 60_000);

  it('SIGTERM while a slow task runs: the task finishes and reports, nothing more is claimed, exit 0; --offer serves unpinned tasks', async () => {
    const worker = startWorker();
    await worker.waitFor(/worker cli-edge:/);
    const slow = await client.submit({ name: 'edge-slow', owner: 'w', preLock: WORKER_ID, tasks: [{ name: 's', provider: 'slow', input: { seconds: 4 } }] });
    const jobId = slow.body.jobId as string;
    await worker.waitFor(new RegExp(`claimed ${jobId}/t1 attempt 1`));
    worker.child.kill('SIGTERM');
    await worker.waitFor(/SIGTERM: no more claims; finishing 1 task\(s\) in flight/);
    // Polls open at the signal run to their end (--wait 1) and whatever they bring is run: submit once that window
    // is over. From then on the stopping worker must leave it alone.
    await sleep(1500);
    const later = await client.submit({ name: 'edge-later', owner: 'w', preLock: WORKER_ID, tasks: [{ name: 'e', provider: 'echo' }] });
    expect((await client.task(jobId, 't1')).body.status).toBe('running');

    expect(await worker.exited).toBe(0);
    expect(worker.stderr()).toContain(`${jobId}/t1 succeeded`);
    expect((await client.waitResult(jobId, 10_000)).body).toMatchObject({ status: 'succeeded', output: { slept: 4 } });
    await sleep(500);
    expect((await client.task(later.body.jobId, 't1')).body).toMatchObject({ status: 'queued', attempts: [] });
    expect(worker.stderr()).not.toContain(later.body.jobId);

    // a fresh worker picks the later job up, and with --offer echo unpinned echo tasks too
    const unpinned = await client.submit({ name: 'edge-offered', owner: 'w', tasks: [{ name: 'e', provider: 'echo', input: { open: true } }] });
    const next = startWorker(['--offer', 'echo']);
    expect((await client.waitResult(later.body.jobId, 20_000)).body).toMatchObject({ status: 'succeeded', output: { by: 'cli-edge' } });
    expect((await client.waitResult(unpinned.body.jobId, 20_000)).body).toMatchObject({ status: 'succeeded', output: { open: true, by: 'cli-edge' } });
    await next.kill();
  }, 60_000);

  it('--json prints JSON lines on stdout; a second signal exits at once with 1', async () => {
    const worker = startWorker(['--json']);
    await worker.waitFor(/"event":"started"/, 'stdout');
    const slow = await client.submit({ name: 'edge-stuck', owner: 'w', preLock: WORKER_ID, tasks: [{ name: 's', provider: 'slow', input: { seconds: 60 } }] });
    const jobId = slow.body.jobId as string;
    await worker.waitFor(new RegExp(`"event":"claimed".*"jobId":"${jobId}"`), 'stdout');
    worker.child.kill('SIGINT');
    await worker.waitFor(/"event":"stopping"/, 'stdout');
    const before = Date.now();
    worker.child.kill('SIGINT');
    expect(await worker.exited).toBe(1);
    expect(Date.now() - before).toBeLessThan(5_000);
    const events = worker
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; jobId?: string; taskId?: string; attempt?: number; workerId?: string });
    expect(events[0]).toMatchObject({ event: 'started', workerId: WORKER_ID });
    expect(events).toContainEqual(expect.objectContaining({ event: 'claimed', jobId, taskId: 't1', attempt: 1 }));
    expect(events.at(-1)).toMatchObject({ event: 'killed' });
    expect(worker.stderr()).toBe('');
    // the attempt was left running (its lease makes it retry later); clean it up
    expect((await client.task(jobId, 't1')).body.status).toBe('running');
    await client.call('POST', `/jobs/${jobId}/discard`, {});
  }, 60_000);
});
