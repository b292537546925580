import { describe, expect, it } from 'vitest';
import type { JobRecord, TaskRecord } from '../../../functions/core/model';
import type { JobStatus, TaskStatus } from '../../../functions/core/statuses';
import { jobView, parentOutput, taskDetail, taskSummaries } from '../../../functions/core/views';
import {
  NOW_ISO,
  attemptRecord,
  childJob,
  deepFreeze,
  eachCase,
  endedAttempts,
  isoAt,
  parentJob,
  pipelineJob,
  retryingTask,
  succeededTask,
  taskRecord,
  taskSpec,
} from '../../helpers/core-factories';

/** Field names of the API contract (api-contract.md, "Shapes"). */
const JOB_FIELDS = ['jobId', 'name', 'owner', 'desc', 'bizId', 'status', 'reason', 'input', 'env', 'output', 'pausable', 'tokens', 'preLock', 'parentId', 'rootId', 'createdAt', 'updatedAt', 'tasks', 'children'];
const JOB_REQUIRED = ['jobId', 'name', 'owner', 'status', 'input', 'env', 'pausable', 'rootId', 'createdAt', 'updatedAt', 'tasks', 'children'];
// `desc` and `retryAt` are not in the contract's task shape; the view adds them when there is one (extra fields are harmless).
const TASK_FIELDS = ['taskId', 'name', 'provider', 'status', 'attempts', 'input', 'env', 'output', 'reason', 'retryAt', 'preLock', 'desc', 'startedAt', 'endedAt'];
const ATTEMPT_FIELDS = ['attempt', 'manual', 'status', 'input', 'env', 'context', 'output', 'error', 'startedAt', 'endedAt'];

const statusesOf = (job: JobRecord, tasks: ReadonlyArray<TaskRecord | undefined>) => taskSummaries(job, tasks).map((t) => t.status);
const t = (status: TaskStatus, taskIndex = 0): TaskRecord =>
  status === 'succeeded' ? succeededTask({ n: taskIndex }, { taskIndex }) : taskRecord({ status, taskIndex });

describe('taskSummaries: derived statuses of tasks that never ran', () => {
  eachCase<{ name: string; jobStatus: JobStatus; tasks: Array<TaskRecord | undefined>; expected: TaskStatus[] }>(
    [
      { name: 'task 0 of a running job with no record is queued, later ones pending', jobStatus: 'running', tasks: [], expected: ['queued', 'pending', 'pending'] },
      { name: 'after a succeeded task the next one is queued', jobStatus: 'running', tasks: [t('succeeded')], expected: ['succeeded', 'queued', 'pending'] },
      { name: 'after a skipped task the next one is queued', jobStatus: 'running', tasks: [t('skipped')], expected: ['skipped', 'queued', 'pending'] },
      { name: 'after two succeeded tasks the third is queued', jobStatus: 'running', tasks: [t('succeeded'), t('succeeded', 1)], expected: ['succeeded', 'succeeded', 'queued'] },
      { name: 'behind a running task the rest is pending', jobStatus: 'running', tasks: [t('running')], expected: ['running', 'pending', 'pending'] },
      { name: 'behind a retrying task the rest is pending', jobStatus: 'running', tasks: [t('retrying')], expected: ['retrying', 'pending', 'pending'] },
      { name: 'behind a failed task the rest is pending', jobStatus: 'failed', tasks: [t('failed')], expected: ['failed', 'pending', 'pending'] },
      { name: 'a paused job keeps its next task pending', jobStatus: 'paused', tasks: [t('succeeded')], expected: ['succeeded', 'pending', 'pending'] },
      { name: 'a paused job that never ran is all pending', jobStatus: 'paused', tasks: [], expected: ['pending', 'pending', 'pending'] },
      { name: 'a pending child job is all pending', jobStatus: 'pending', tasks: [], expected: ['pending', 'pending', 'pending'] },
      { name: 'a discarded job shows its never-run tasks as discarded', jobStatus: 'discarded', tasks: [], expected: ['discarded', 'discarded', 'discarded'] },
      { name: 'a discarded job keeps the status of tasks that ran', jobStatus: 'discarded', tasks: [t('succeeded')], expected: ['succeeded', 'discarded', 'discarded'] },
      { name: 'recorded statuses are shown as they are', jobStatus: 'succeeded', tasks: [t('succeeded'), t('skipped', 1), t('succeeded', 2)], expected: ['succeeded', 'skipped', 'succeeded'] },
    ],
    (c) => c.name,
    ({ jobStatus, tasks, expected }) => {
      // Act / Assess
      expect(statusesOf(pipelineJob({ status: jobStatus }), tasks)).toEqual(expected);
    },
  );
});

describe('taskSummaries: fields', () => {
  it('a task that never ran shows its spec, no attempts, and the job input/env overlaid with its own', () => {
    // Prepare
    const job = pipelineJob({
      input: { j: 1, shared: 'job' },
      env: { stage: 'prod' },
      tasks: [taskSpec('a', { desc: 'first', input: { shared: 'task' }, env: { region: 'eu' }, preLock: 'host-a' }), taskSpec('b')],
    });

    // Act
    const [a] = taskSummaries(job, []);

    // Assess
    expect(a).toEqual({
      taskId: 't1',
      name: 'a',
      provider: 'demo',
      desc: 'first',
      status: 'queued',
      attempts: 0,
      input: { j: 1, shared: 'task' },
      env: { stage: 'prod', region: 'eu' },
      preLock: 'host-a',
    });
  });

  it('a task that ran shows the attempt count, its recorded input/env, its reason and no output until it succeeds', () => {
    // Prepare
    const job = pipelineJob({ input: { j: 1 } });
    const record = retryingTask(2, 0, { input: { edited: true }, env: { e: 1 } });

    // Act
    const [a] = taskSummaries(job, [record]);

    // Assess
    expect(a).toMatchObject({ status: 'retrying', attempts: 2, input: { edited: true }, env: { e: 1 }, reason: 'attempt 2 failed: boom 2' });
    expect(a).not.toHaveProperty('output');
  });

  it('a retrying task shows when its next attempt is due (retryAt); a task held by a pause or not retrying does not', () => {
    // Prepare
    const job = pipelineJob();
    const due = Date.parse('2026-11-25T10:55:42.123Z');

    // Act
    const [retrying] = taskSummaries(job, [retryingTask(1, due)]);
    const [held] = taskSummaries({ ...job, status: 'paused' }, [{ ...retryingTask(1, due), status: 'pending' }]);
    const [running] = taskSummaries(job, [taskRecord()]);

    // Assess
    expect(retrying!.retryAt).toBe('2026-11-25T10:55:42.123Z');
    expect(held).not.toHaveProperty('retryAt');
    expect(running).not.toHaveProperty('retryAt');
  });

  it('the output of a succeeded task is the output of its last attempt', () => {
    // Prepare
    const attempts = [...endedAttempts(2, 'failed'), attemptRecord({ attempt: 3, status: 'succeeded', output: { third: 3 }, endedAt: isoAt(3) })];
    const record = taskRecord({ status: 'succeeded', attemptCount: 3, attempts });

    // Act
    const [a] = taskSummaries(pipelineJob(), [record]);

    // Assess
    expect(a).toMatchObject({ attempts: 3, output: { third: 3 } });
  });

  eachCase(
    [
      { name: 'a skipped task shows its skipOutput', record: taskRecord({ status: 'skipped', skipOutput: { s: 1 } }), expected: { s: 1 } },
      { name: 'a skipped task without skipOutput shows {}', record: taskRecord({ status: 'skipped' }), expected: {} },
      { name: 'a succeeded task whose attempt has no output shows {}', record: taskRecord({ status: 'succeeded', attempts: [attemptRecord({ status: 'succeeded' })] }), expected: {} },
    ],
    (c) => c.name,
    ({ record, expected }) => {
      // Act / Assess
      expect(taskSummaries(pipelineJob(), [record])[0]?.output).toEqual(expected);
    },
  );

  it('the job preLock applies to tasks without their own', () => {
    // Act / Assess
    expect(taskSummaries(pipelineJob({ preLock: 'host-j' }), []).map((s) => s.preLock)).toEqual(['host-j', 'host-j', 'host-j']);
  });

  it("a task's times run from its first attempt's start to its last attempt's end, and stay open while it runs or waits for a retry", () => {
    // Prepare
    const attempts = endedAttempts(2);
    const done = taskRecord({ status: 'failed', attemptCount: 2, attempts });
    const retrying = taskRecord({ status: 'retrying', attemptCount: 2, attempts, dueAt: Date.parse(attempts[1]!.endedAt!) + 10_000 });

    // Act
    const [ended] = taskSummaries(pipelineJob(), [done]);
    const [waiting] = taskSummaries(pipelineJob(), [retrying]);

    // Assess
    expect(ended).toMatchObject({ startedAt: attempts[0]!.startedAt, endedAt: attempts[1]!.endedAt });
    expect(waiting?.startedAt).toBe(attempts[0]!.startedAt);
    expect(waiting?.endedAt).toBeUndefined();
  });

  it('every summary keeps to the contract fields', () => {
    // Prepare
    const job = pipelineJob({ tasks: [taskSpec('a', { desc: 'd', preLock: 'p' }), taskSpec('b'), taskSpec('c')] });

    // Act
    const summaries = taskSummaries(job, [succeededTask({ a: 1 }), taskRecord({ taskIndex: 1, status: 'failed', reason: 'x' })]);

    // Assess
    for (const s of summaries) for (const key of Object.keys(s)) expect(TASK_FIELDS).toContain(key);
  });
});

describe('taskDetail', () => {
  it('attempts resolve input/env from the spec and the attempts before them, never from the task\'s current values', () => {
    // Prepare: the spec gives x: 1 (job input overlaid with the task's) and env e: task; attempt 2 ran with an
    // edit (kept on it), attempt 3 (an automatic retry of that run) with the same; the task now holds the
    // input of a next run (x: 3), which no attempt ran with.
    const job = pipelineJob({ input: { x: 0, j: 1 }, env: { e: 'job', k: 1 }, tasks: [taskSpec('a', { input: { x: 1 }, env: { e: 'task' } }), taskSpec('b'), taskSpec('c')] });
    const original = { input: { x: 1, j: 1 }, env: { e: 'task', k: 1 } };
    const record = deepFreeze(
      taskRecord({
        status: 'failed',
        attemptCount: 3,
        runStart: 2,
        input: { x: 3 },
        env: { e: 'next' },
        context: { ctx: true },
        attempts: [
          attemptRecord({ attempt: 1, status: 'failed', error: { message: 'boom', code: 'E', retryable: true }, endedAt: isoAt(1) }),
          attemptRecord({ attempt: 2, manual: true, status: 'failed', input: { x: 2 }, env: { e: 'edited' }, error: { message: 'again' }, startedAt: isoAt(5), endedAt: isoAt(6) }),
          attemptRecord({ attempt: 3, status: 'failed', error: { message: 'still' }, startedAt: isoAt(7), endedAt: isoAt(8) }),
        ],
      }),
    );

    // Act
    const detail = taskDetail(job, 0, record, [record]);

    // Assess
    expect(detail.attempts).toEqual([
      { attempt: 1, manual: false, status: 'failed', ...original, context: { ctx: true }, error: { message: 'boom', code: 'E', retryable: true }, startedAt: NOW_ISO, endedAt: isoAt(1) },
      { attempt: 2, manual: true, status: 'failed', input: { x: 2 }, env: { e: 'edited' }, context: { ctx: true }, error: { message: 'again' }, startedAt: isoAt(5), endedAt: isoAt(6) },
      { attempt: 3, manual: false, status: 'failed', input: { x: 2 }, env: { e: 'edited' }, context: { ctx: true }, error: { message: 'still' }, startedAt: isoAt(7), endedAt: isoAt(8) },
    ]);
    // The task's own fields are the next run's.
    expect([detail.input, detail.env]).toEqual([{ x: 3 }, { e: 'next' }]);
    expect(detail.context).toEqual({ ctx: true });
    for (const a of detail.attempts) for (const key of Object.keys(a)) expect(ATTEMPT_FIELDS).toContain(key);
  });

  it('an attempt that kept only its input runs with the env of the attempt before it', () => {
    const job = pipelineJob({ env: { e: 'job' } });
    const record = taskRecord({
      attemptCount: 2,
      input: { x: 2 },
      attempts: [attemptRecord({ attempt: 1, status: 'failed', endedAt: isoAt(1) }), attemptRecord({ attempt: 2, manual: true, input: { x: 2 } })],
    });

    const [first, second] = taskDetail(job, 0, record, [record]).attempts;

    expect([first!.input, first!.env]).toEqual([{}, { e: 'job' }]);
    expect([second!.input, second!.env]).toEqual([{ x: 2 }, { e: 'job' }]);
  });

  it('a running attempt has no endedAt, output or error', () => {
    // Prepare
    const record = taskRecord();

    // Act
    const [attempt] = taskDetail(pipelineJob(), 0, record, [record]).attempts;

    // Assess
    expect(Object.keys(attempt!).sort()).toEqual(['attempt', 'context', 'env', 'input', 'manual', 'startedAt', 'status']);
  });

  it('keeps the summary fields, with attempts as the full list, oldest first', () => {
    // Prepare
    const record = retryingTask(3, 0);

    // Act
    const detail = taskDetail(pipelineJob(), 0, record, [record]);
    const { attempts: _count, ...summary } = taskSummaries(pipelineJob(), [record])[0]!;

    // Assess
    expect(detail).toMatchObject(summary);
    expect(detail.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
  });

  it('a task that never ran has no attempts and no context, and its derived status', () => {
    // Prepare
    const t0 = succeededTask({ a: 1 });

    // Act
    const detail = taskDetail(pipelineJob(), 1, undefined, [t0]);

    // Assess
    expect(detail).toMatchObject({ taskId: 't2', name: 'b', status: 'queued', attempts: [] });
    expect(detail).not.toHaveProperty('context');
  });
});

describe('parentOutput', () => {
  it('maps every child name to its output, null for a child without output', () => {
    // Prepare
    const parent = parentJob({ childCount: 3 });
    const children = [
      childJob(parent, 1, { name: 'first', status: 'succeeded', output: { a: 1 } }),
      childJob(parent, 2, { name: 'second', status: 'failed' }),
      childJob(parent, 3, { name: 'third', status: 'succeeded', output: {} }),
    ];

    // Act / Assess
    expect(parentOutput(children)).toEqual({ first: { a: 1 }, second: null, third: {} });
  });

  it('no children: an empty object', () => {
    // Act / Assess
    expect(parentOutput([])).toEqual({});
  });
});

describe('jobView', () => {
  it('a pipeline has exactly the required contract fields when no optional one is set', () => {
    // Prepare
    const job = deepFreeze(pipelineJob({ input: { j: 1 }, env: { e: 1 } }));

    // Act
    const view = jobView(job, [], []);

    // Assess
    expect(Object.keys(view).sort()).toEqual([...JOB_REQUIRED].sort());
    expect(view).toMatchObject({
      jobId: 'J1',
      name: 'pipeline',
      owner: 'alice',
      status: 'running',
      input: { j: 1 },
      env: { e: 1 },
      pausable: true,
      rootId: 'J1',
      createdAt: NOW_ISO,
      updatedAt: NOW_ISO,
      children: [],
    });
    expect(view.tasks).toEqual(taskSummaries(job, []));
  });

  it('shows every optional contract field that is set, and no storage field (kind, retry, depth, tasks specs…)', () => {
    // Prepare
    const job = childJob(parentJob(), 2, {
      desc: 'd',
      bizId: 'biz',
      status: 'failed',
      reason: 'task a failed: boom',
      output: { partial: true },
      tokens: ['tok'],
      preLock: 'host',
      startedAt: NOW_ISO,
      endedAt: isoAt(1),
    });

    // Act
    const view = jobView(job, [taskRecord({ status: 'failed' })], []);

    // Assess
    expect(Object.keys(view).sort()).toEqual([...JOB_FIELDS].sort());
    expect(view).toMatchObject({ desc: 'd', bizId: 'biz', reason: 'task a failed: boom', output: { partial: true }, tokens: ['tok'], preLock: 'host', parentId: 'P1', rootId: 'P1' });
  });

  it('a parent lists its children as { jobId, name, status } and has no tasks', () => {
    // Prepare
    const parent = parentJob();
    const children = [childJob(parent, 1, { status: 'running' }), childJob(parent, 2, { status: 'succeeded', output: { x: 1 } })];

    // Act
    const view = jobView(parent, [], children);

    // Assess
    expect(view.tasks).toEqual([]);
    expect(view.children).toEqual([
      { jobId: 'P1.1', name: 'child-1', status: 'running' },
      { jobId: 'P1.2', name: 'child-2', status: 'succeeded' },
    ]);
    expect(view).not.toHaveProperty('output');
  });

  eachCase<{ status: JobStatus; output: boolean }>(
    [
      { status: 'succeeded', output: true },
      { status: 'failed', output: true },
      { status: 'running', output: false },
      { status: 'discarded', output: false },
    ],
    (c) => `a ${c.status} parent ${c.output ? 'shows an output that maps child names to child outputs' : 'shows no output'}`,
    ({ status, output }) => {
      // Prepare
      const parent = parentJob({ status });
      const children = [childJob(parent, 1, { status: 'succeeded', output: { x: 1 } }), childJob(parent, 2, { status: 'failed' })];

      // Act
      const view = jobView(parent, [], children);

      // Assess
      if (output) expect(view.output).toEqual({ 'child-1': { x: 1 }, 'child-2': null });
      else expect(view).not.toHaveProperty('output');
    },
  );

  it('a succeeded pipeline shows its stored output and its tasks summaries', () => {
    // Prepare
    const job = pipelineJob({ status: 'succeeded', output: { a: 1, b: 2, c: 3 } });
    const tasks = [succeededTask({ a: 1 }), succeededTask({ b: 2 }, { taskIndex: 1 }), succeededTask({ c: 3 }, { taskIndex: 2 })];

    // Act
    const view = jobView(job, tasks, []);

    // Assess
    expect(view.output).toEqual({ a: 1, b: 2, c: 3 });
    expect(view.tasks.map((s) => [s.taskId, s.status, s.output])).toEqual([
      ['t1', 'succeeded', { a: 1 }],
      ['t2', 'succeeded', { b: 2 }],
      ['t3', 'succeeded', { c: 3 }],
    ]);
  });
});
