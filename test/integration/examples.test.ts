/**
 * The three examples of the original README, through the HTTP API of a local stack.
 */
import { describe, expect, it } from 'vitest';
import { useStack } from '../helpers/local-stack';

const { client } = useStack();

describe('original README examples', () => {
  it('(1) a one-task job runs its task once and succeeds with the task output', async () => {
    const created = await client.submit({ name: 'jober1', owner: 'sqc', tasks: [{ name: 'task_1', provider: 'demo', input: { a: 1 } }] });
    expect(created.status).toBe(201);
    expect(created.body.jobId).toBeTypeOf('string');
    const result = await client.waitResult(created.body.jobId);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ jobId: created.body.jobId, status: 'succeeded', output: { a: 1 } });
    const job = await client.job(created.body.jobId);
    expect(job.body.status).toBe('succeeded');
    expect(job.body.tasks).toHaveLength(1);
    expect(job.body.tasks[0]).toMatchObject({ taskId: 't1', name: 'task_1', provider: 'demo', status: 'succeeded', attempts: 1, output: { a: 1 } });
  });

  it('(2) a three-task pipeline runs in order, passes context forward and applies job env and task input', async () => {
    const spec = {
      name: 'jober2',
      owner: 'sqc',
      env: { env: 'test' },
      tasks: [
        { name: 'task_1', provider: 'demo', input: { step1: true } },
        { name: 'task_2', provider: 'demo', input: { step2: true }, env: { region: 'eu' } },
        { name: 'task_3', provider: 'demo', input: { all_config: 'yes' } },
      ],
    };
    const created = await client.submit(spec, '?wait=20');
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('succeeded');
    expect(created.body.output).toEqual({ step1: true, step2: true, all_config: 'yes' });
    const [t1, t2, t3] = created.body.tasks;
    expect(t1.output).toEqual({ step1: true });
    expect(t2.output).toEqual({ step1: true, step2: true });
    expect(t3.output).toEqual({ step1: true, step2: true, all_config: 'yes' });

    const detail = await client.task(created.body.jobId, 't2');
    expect(detail.status).toBe(200);
    expect(detail.body.attempts).toHaveLength(1);
    const attempt = detail.body.attempts[0];
    expect(attempt).toMatchObject({ attempt: 1, manual: false, status: 'succeeded', input: { step2: true }, context: { step1: true } });
    // job env flows into the task; the task's env overrides/extends it
    expect(attempt.env).toEqual({ env: 'test', region: 'eu' });
    expect(Date.parse(attempt.endedAt)).toBeGreaterThanOrEqual(Date.parse(attempt.startedAt));
    // strict order: each task started after the previous ended
    const starts = await Promise.all(['t1', 't2', 't3'].map((t) => client.task(created.body.jobId, t)));
    const times = starts.map((s) => s.body.attempts[0]);
    expect(Date.parse(times[1].startedAt)).toBeGreaterThanOrEqual(Date.parse(times[0].endedAt));
    expect(Date.parse(times[2].startedAt)).toBeGreaterThanOrEqual(Date.parse(times[1].endedAt));
  });

  it('(3) a parent with two three-task children runs them and maps child names to outputs', async () => {
    const child = (name: string) => ({
      name,
      owner: 'sqc',
      tasks: [
        { name: 'task_1', provider: 'demo', input: { [`${name}_1`]: 1 } },
        { name: 'task_2', provider: 'delay', input: { seconds: 0.3 } },
        { name: 'task_3', provider: 'demo', input: { [`${name}_3`]: 3 } },
      ],
    });
    const created = await client.submit({ name: 'jober3', owner: 'sqc', env: { env: 'prod' }, children: [child('jober3_1'), child('jober3_2')] });
    expect(created.status).toBe(201);
    expect(created.body.children).toHaveLength(2);
    const result = await client.waitResult(created.body.jobId);
    expect(result.body.status).toBe('succeeded');
    expect(result.body.output).toEqual({
      jober3_1: { jober3_1_1: 1, seconds: 0.3, jober3_1_3: 3 },
      jober3_2: { jober3_2_1: 1, seconds: 0.3, jober3_2_3: 3 },
    });
    const parent = await client.job(created.body.jobId);
    expect(parent.body.children.map((c: { status: string }) => c.status)).toEqual(['succeeded', 'succeeded']);
    // children ran concurrently: their second tasks overlap in time
    const [a, b] = await Promise.all(parent.body.children.map((c: { jobId: string }) => client.task(c.jobId, 't2')));
    const [sa, ea, sb, eb] = [a!.body.attempts[0].startedAt, a!.body.attempts[0].endedAt, b!.body.attempts[0].startedAt, b!.body.attempts[0].endedAt].map(Date.parse);
    expect(sa! < eb! && sb! < ea!).toBe(true);
    // env of the parent flows into the children's tasks
    expect(a!.body.attempts[0].env).toEqual({ env: 'prod' });
  });

  it('nests three levels deep and a failed grandchild fails its ancestors once nothing else runs', async () => {
    const leaf = (name: string, fail = false) => ({ name, owner: 'sqc', retry: { count: 0 }, tasks: [{ name: 't', provider: 'demo', input: { fail } }] });
    const created = await client.submit({
      name: 'deep',
      owner: 'sqc',
      children: [
        { name: 'mid', owner: 'sqc', children: [leaf('ok1'), leaf('bad', true)] },
        { name: 'other', owner: 'sqc', children: [{ name: 'inner', owner: 'sqc', children: [leaf('ok2')] }] },
      ],
    });
    const result = await client.waitResult(created.body.jobId);
    expect(result.body.status).toBe('failed');
    const root = await client.job(created.body.jobId);
    const statuses = Object.fromEntries(root.body.children.map((c: { name: string; status: string }) => [c.name, c.status]));
    expect(statuses).toEqual({ mid: 'failed', other: 'succeeded' });
    const deepest = await client.job(`${created.body.jobId}.2.1.1`);
    expect(deepest.body).toMatchObject({ name: 'ok2', status: 'succeeded', output: { fail: false } });
  });
});
