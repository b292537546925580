import { describe, expect, it } from 'vitest';
import { JobBuilder, JobxClient, jobx } from '../../../functions/sdk';
import { jobSpecSchema } from '../../../functions/http/schemas';

describe('JobBuilder', () => {
  it('reads like the original: a one-task job', () => {
    const spec = jobx.job('jober1', 'sqc').pipeline('task_1', 'demo').toSpec();
    expect(spec).toEqual({ name: 'jober1', owner: 'sqc', tasks: [{ name: 'task_1', provider: 'demo' }] });
    expect(jobSpecSchema.parse(spec)).toEqual(spec);
  });

  it('carries every job and task option into the spec', () => {
    const spec = jobx
      .job('jober1', 'sqc', {
        desc: 'd',
        env: { env: 'test' },
        input: { a: 1 },
        bizId: 'order-42',
        pausable: false,
        retry: { count: 5, gapSeconds: 2, backoff: 'exponential', maxDelaySeconds: 60 },
        tokens: ['a', 'b'],
        preLock: '127.0.0.1',
      })
      .pipeline('task_1', 'demo')
      .pipeline('task_3', 'demo', { input: { all_config: 'yes' }, env: { x: 'y' }, retry: { count: 0 }, timeoutSeconds: 30, preLock: 'w1', desc: 'third' })
      .toSpec();
    expect(spec).toEqual({
      name: 'jober1',
      owner: 'sqc',
      desc: 'd',
      bizId: 'order-42',
      input: { a: 1 },
      env: { env: 'test' },
      pausable: false,
      retry: { count: 5, gapSeconds: 2, backoff: 'exponential', maxDelaySeconds: 60 },
      tokens: ['a', 'b'],
      preLock: '127.0.0.1',
      tasks: [
        { name: 'task_1', provider: 'demo' },
        { name: 'task_3', provider: 'demo', desc: 'third', input: { all_config: 'yes' }, env: { x: 'y' }, retry: { count: 0 }, timeoutSeconds: 30, preLock: 'w1' },
      ],
    });
    expect(jobSpecSchema.safeParse(spec).success).toBe(true);
  });

  it('nests children (builders or plain specs) and JSON.stringify gives the spec', () => {
    const parent = jobx
      .job('jober3', 'sqc')
      .child(jobx.job('jober3_1', 'sqc').pipeline('task_1', 'demo').pipeline('task_2', 'demo'))
      .child({ name: 'jober3_2', owner: 'sqc', tasks: [{ name: 'task_1', provider: 'demo' }] });
    const spec = parent.toSpec();
    expect(spec.children?.map((c) => [c.name, c.tasks?.map((t) => t.name)])).toEqual([
      ['jober3_1', ['task_1', 'task_2']],
      ['jober3_2', ['task_1']],
    ]);
    expect(spec.tasks).toBeUndefined();
    expect(JSON.parse(JSON.stringify(parent))).toEqual(spec);
  });

  it('copies inputs, so later changes to the caller objects do not leak into the spec', () => {
    const input = { n: 1 };
    const b = jobx.job('a', 'sqc', { input }).pipeline('t', 'demo', { input });
    input.n = 2;
    const spec = b.toSpec();
    expect(spec.input).toEqual({ n: 1 });
    expect(spec.tasks?.[0]?.input).toEqual({ n: 1 });
    spec.tasks![0]!.name = 'changed';
    expect(b.toSpec().tasks?.[0]?.name).toBe('t');
  });

  it('fails early, showing the right call, on tasks and children mixed, duplicate names, empty names', () => {
    expect(() => jobx.job('a', 'sqc').pipeline('t', 'demo').child(jobx.job('c', 'sqc'))).toThrow(/tasks or children, not both.*\.child\(/);
    expect(() => jobx.job('a', 'sqc').child(jobx.job('c', 'sqc').pipeline('t', 'demo')).pipeline('t', 'demo')).toThrow(/tasks or children, not both/);
    expect(() => jobx.job('a', 'sqc').pipeline('t', 'demo').pipeline('t', 'demo')).toThrow(/already has a task named t/);
    expect(() => jobx.job('a', 'sqc').child(jobx.job('c', 'sqc')).child(jobx.job('c', 'sqc'))).toThrow(/child named c/);
    expect(() => jobx.job('', 'sqc')).toThrow(/job name must be a non-empty string, e.g. jobx.job\('jober1', 'sqc'\)/);
    expect(() => jobx.job('a', 'sqc').pipeline('t', '')).toThrow(/task provider/);
  });

  it('submits with the client that made it; a bare builder explains how to get one', async () => {
    const seen: Array<{ url: string; body: unknown }> = [];
    const fetch: typeof globalThis.fetch = async (url, init) => {
      seen.push({ url: String(url), body: JSON.parse(String(init?.body)) });
      return new Response(JSON.stringify({ jobId: 'J1', status: 'pending', tasks: [], children: [] }), { status: 201 });
    };
    const client = new JobxClient({ baseUrl: 'http://x.test', fetch });
    const job = await client.job('a', 'sqc').pipeline('t', 'demo').submit();
    expect(job.jobId).toBe('J1');
    expect(seen).toEqual([{ url: 'http://x.test/jobs', body: { name: 'a', owner: 'sqc', tasks: [{ name: 't', provider: 'demo' }] } }]);
    expect(() => new JobBuilder('a', 'sqc').pipeline('t', 'demo').submit()).toThrow(/no client; create it with jobx.job/);
  });
});
