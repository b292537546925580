/**
 * The response schemas (the zod twins of the views, which the OpenAPI document is generated from) accept what the
 * engine's view functions produce, in every shape they take: pipelines and parents, tasks that never ran,
 * retrying, failed, succeeded and skipped tasks, every optional field present. And the document's error bodies
 * name exactly the codes of each status the core maps them to. test/openapi parses real answers of the local
 * stack with the same schemas.
 */
import { describe, expect, it } from 'vitest';
import { JobxError, type JobxErrorCode } from '../../../functions/core/errors';
import { jobView, taskDetail } from '../../../functions/core/views';
import { openApiDocument } from '../../../functions/http/openapi';
import { ERROR_STATUS, jobViewSchema, taskDetailViewSchema } from '../../../functions/http/response-schemas';
import { jobSpecSchema } from '../../../functions/http/schemas';
import { NOW, NOW_ISO, childJob, endedAttempts, parentJob, pipelineJob, retryingTask, succeededTask, taskRecord, taskSpec } from '../../helpers/core-factories';

const strictParse = (schema: typeof jobViewSchema | typeof taskDetailViewSchema, value: unknown) => {
  const parsed = schema.safeParse(value);
  return parsed.success ? 'ok' : parsed.error.message;
};

describe('response schemas accept the views the engine builds', () => {
  it('a pipeline with every kind of task and every optional field', () => {
    const job = pipelineJob({
      desc: 'all fields',
      bizId: 'biz-1',
      reason: 'why',
      input: { a: [1, { b: null }] },
      env: { stage: 'test' },
      output: { done: true },
      tokens: ['tok'],
      preLock: 'edge-1',
      createdBy: 'jwt:alice',
      tasks: [taskSpec('a', { desc: 'first' }), taskSpec('b'), taskSpec('c', { preLock: 'edge-2' }), taskSpec('d')],
    });
    const tasks = [
      succeededTask({ n: 1 }, { taskIndex: 0 }),
      retryingTask(2, NOW + 5_000, { taskIndex: 1, name: 'b', taskId: 't2' }),
      taskRecord({ taskIndex: 2, name: 'c', taskId: 't3', status: 'failed', reason: 'boom', attempts: endedAttempts(1, 'failed') }),
      undefined,
    ];
    const audit = [{ action: 'retry' as const, by: 'jwt:alice', at: NOW_ISO, taskId: 't2', reason: 'again' }];
    const view = jobView(job, tasks, [], audit);
    expect(Object.keys(view)).toEqual(expect.arrayContaining(['desc', 'bizId', 'reason', 'output', 'tokens', 'preLock', 'createdBy', 'actions']));
    expect(strictParse(jobViewSchema, view)).toBe('ok');
    for (let i = 0; i < tasks.length; i++) expect(strictParse(taskDetailViewSchema, taskDetail(job, i, tasks[i], tasks))).toBe('ok');
  });

  it('a parent with children, finished (its output maps child names to outputs)', () => {
    const parent = parentJob({ status: 'succeeded', parentId: undefined });
    const children = [childJob(parent, 1, { status: 'succeeded', output: { x: 1 } }), childJob(parent, 2, { status: 'succeeded', output: { y: [2] } })];
    const view = jobView(parent, [], children);
    expect(view.output).toEqual({ 'child-1': { x: 1 }, 'child-2': { y: [2] } });
    expect(strictParse(jobViewSchema, view)).toBe('ok');
    expect(strictParse(jobViewSchema, jobView(children[0]!, [], []))).toBe('ok');
  });

  it('refuses a field the schema does not know (so a new view field cannot go undocumented)', () => {
    expect(strictParse(jobViewSchema, { ...jobView(pipelineJob(), [], []), surprise: 1 })).not.toBe('ok');
  });
});

describe('error codes in the document', () => {
  it('each code has the status JobxError maps it to (METHOD_NOT_ALLOWED: no route answers with it)', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS) as Array<[JobxErrorCode, number | null]>) {
      if (status === null) expect(code).toBe('METHOD_NOT_ALLOWED');
      else expect([code, new JobxError(code, '').httpStatus]).toEqual([code, status]);
    }
  });

  it('every $ref of the document names a component', () => {
    const doc = openApiDocument() as { components: { schemas: Record<string, unknown> } };
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((name) => !(name in doc.components.schemas))).toEqual([]);
  });
});

describe('patterns of trimmed names', () => {
  // The document's pattern and the API's schema agree on what a client may send (white space around is dropped).
  type Props = Record<string, { pattern?: string; properties?: Props; items?: { $ref?: string } }>;
  const schemas = (openApiDocument() as { components: { schemas: Record<string, { properties: Props }> } }).components.schemas;
  const valid = (jobName: string, taskName: string) =>
    jobSpecSchema.safeParse({ name: jobName, owner: 'o', tasks: [{ name: taskName, provider: 'demo' }] }).success;
  it.each([
    ['a', true],
    [' a ', true],
    ['\ta\n', true],
    ['', false],
    ['   ', false],
    ['a b', false],
    [`  ${'x'.repeat(128)}  `, true],
    ['x'.repeat(129), false],
  ])('task name %j: accepted %s, as the pattern says', (taskName, accepted) => {
    expect(valid('job', taskName)).toBe(accepted);
    expect(new RegExp(schemas.TaskSpec!.properties.name!.pattern!, 'u').test(taskName)).toBe(accepted);
  });
  it.each([
    ['a', true],
    ['  a b  ', true],
    ['   ', false],
    [`  ${'x'.repeat(256)}  `, true],
    ['x'.repeat(257), false],
  ])('job name %j: accepted %s, as the pattern says', (jobName, accepted) => {
    expect(valid(jobName, 't')).toBe(accepted);
    expect(new RegExp(schemas.JobSpec!.properties.name!.pattern!, 'u').test(jobName)).toBe(accepted);
  });
});
