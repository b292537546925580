/**
 * Exactly-once transitions over at-least-once delivery: every stream record and SQS message delivered twice,
 * and a SIGKILL of the whole local stack mid-job followed by a restart on the same data directory.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { api } from '../helpers/api';
import { startStackProcess, tempDataDir, type StackProcess } from '../helpers/local-stack';

const stacks: StackProcess[] = [];
afterAll(async () => {
  for (const s of stacks) await s.kill().catch(() => undefined);
});

type Client = ReturnType<typeof api>;

/** Every task of a pipeline job (and of its descendants) ran exactly one successful attempt. */
async function expectOneSuccessPerTask(client: Client, jobId: string, abandoned: { count: number; errors?: unknown[] } = { count: 0 }): Promise<number> {
  const job = (await client.job(jobId)).body;
  let tasks = 0;
  for (const t of job.tasks) {
    const detail = (await client.task(jobId, t.taskId)).body;
    const successes = detail.attempts.filter((a: { status: string }) => a.status === 'succeeded');
    expect(successes, `${jobId}/${t.taskId} has exactly one succeeded attempt`).toHaveLength(1);
    expect(detail.attempts.at(-1).status).toBe('succeeded');
    const gone = detail.attempts.filter((a: { status: string }) => a.status === 'abandoned');
    abandoned.count += gone.length;
    abandoned.errors?.push(...gone.map((a: { error?: unknown }) => a.error));
    tasks++;
  }
  for (const c of job.children) tasks += await expectOneSuccessPerTask(client, c.jobId, abandoned);
  return tasks;
}

describe('duplicate delivery (JOBX_DUPLICATE_DELIVERY=1)', () => {
  it('delivering every record and message twice changes nothing a user can see', async () => {
    const stack = await startStackProcess({ env: { JOBX_DUPLICATE_DELIVERY: '1' } });
    stacks.push(stack);
    const client = api(stack.url);
    expect((await client.call('GET', '/health')).body.local.duplicateDelivery).toBe(true);

    const pipeline = (name: string) => ({
      name,
      owner: 'dup',
      tasks: [
        { name: 'a', provider: 'demo', input: { a: 1 } },
        { name: 'b', provider: 'flaky', input: { failTimes: 1 }, retry: { gapSeconds: 1 } },
        { name: 'c', provider: 'demo', input: { c: 3 } },
      ],
    });
    const jobs = await Promise.all([
      client.submit(pipeline('p1')),
      client.submit(pipeline('p2')),
      client.submit({ name: 'parent', owner: 'dup', children: [pipeline('k1'), pipeline('k2'), pipeline('k3')] }),
    ]);
    for (const j of jobs) {
      const result = await client.waitResult(j.body.jobId);
      expect(result.body.status).toBe('succeeded');
    }
    expect((await client.result(jobs[0]!.body.jobId)).body.output).toEqual({ a: 1, failTimes: 1, c: 3 });
    for (const j of jobs) await expectOneSuccessPerTask(client, j.body.jobId);
    // the flaky task: exactly one failed attempt and one success, never an extra attempt from a duplicate
    const flaky = await client.task(jobs[0]!.body.jobId, 't2');
    expect(flaky.body.attempts.map((a: { status: string }) => a.status)).toEqual(['failed', 'succeeded']);
    await stack.stop();
  }, 120_000);
});

describe('crash and restart', () => {
  it('a SIGKILL mid-job and a restart with the same --data DIR still completes every job exactly once', async () => {
    const dataDir = tempDataDir();
    const first = await startStackProcess({ dataDir });
    stacks.push(first);
    const client1 = api(first.url);
    const spec = (i: number) => ({
      name: `crash-${i}`,
      owner: 'chaos',
      retry: { gapSeconds: 1 },
      tasks: [
        { name: 'a', provider: 'delay', input: { seconds: 3, i } },
        { name: 'b', provider: 'delay', input: { seconds: 1 } },
        { name: 'c', provider: 'demo', input: { done: true } },
      ],
    });
    const submitted = await Promise.all(Array.from({ length: 6 }, (_, i) => client1.submit(spec(i))));
    const parent = await client1.submit({ name: 'crash-parent', owner: 'chaos', retry: { gapSeconds: 1 }, children: [spec(100), spec(101)] });
    const ids = [...submitted.map((s) => s.body.jobId), parent.body.jobId];
    // let some tasks start (on a loaded machine that can take longer than a fixed pause), then kill everything
    // without warning: the kill must hit running attempts, or the test would prove nothing
    // (task a runs 3 s, so a kill right after a task is seen running lands inside that attempt, even when a
    // loaded machine answers slowly; nothing else is asked between seeing it and the kill)
    const deadline = Date.now() + 30_000;
    let views: Array<Awaited<ReturnType<typeof client1.job>>> = [];
    for (;;) {
      views = await Promise.all(ids.slice(0, 6).map((id) => client1.job(id)));
      if (views.some((v) => v.body.tasks.some((t: { status: string }) => t.status === 'running'))) break;
      if (Date.now() > deadline) throw new Error('no task started within 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    await first.kill();
    expect(views[0]!.body.status).toBe('running');

    const second = await startStackProcess({ dataDir, port: first.port });
    stacks.push(second);
    const client2 = api(second.url);
    expect((await client2.call('GET', '/health')).body.local.data).toBe(dataDir);
    for (const id of ids) {
      const result = await client2.waitResult(id, 90_000);
      expect(result.body.status, `job ${id} finished after the restart`).toBe('succeeded');
    }
    let tasks = 0;
    const abandoned = { count: 0, errors: [] as unknown[] };
    for (const id of ids) tasks += await expectOneSuccessPerTask(client2, id, abandoned);
    expect(tasks).toBe(8 * 3);
    // the kill really hit running tasks: their attempts are recorded as abandoned, and retried
    expect(abandoned.count).toBeGreaterThan(0);
    // and each says why: the restart, not a lease that ran out (the leases were minutes from their end)
    for (const error of abandoned.errors) {
      expect(error).toMatchObject({ code: 'LOCAL_STACK_RESTARTED', message: expect.stringContaining('the local stack restarted') });
    }
    await second.stop();
  }, 180_000);
});
