import { MAX_CARRIED_JOB_BYTES, withoutCarriedJob } from '../../../functions/core/carried-job';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../functions/core/json';
import type { JobRecord, TaskRecord } from '../../../functions/core/model';
import {
  buildTaskMessage,
  nextPipelineStep,
  reactToJobChange,
  reactToTaskChange,
  type Effect,
} from '../../../functions/core/reactions';
import { DEFAULT_RETRY_POLICY } from '../../../functions/core/retry-policy';
import type { JobStatus, TaskStatus } from '../../../functions/core/statuses';
import {
  NOW,
  NOW_ISO,
  childJob,
  deepFreeze,
  eachCase,
  isoAt,
  parentJob,
  pipelineJob,
  retryingTask,
  succeededTask,
  taskMessage,
  taskRecord,
  taskSpec,
} from '../../helpers/core-factories';

/** The messages of the dispatch effects in `effects`. */
const dispatched = (effects: readonly Effect[]) => effects.flatMap((e) => (e.kind === 'dispatch' ? [e] : []));

describe('buildTaskMessage', () => {
  it('builds the full message of one attempt from the job and the task spec', () => {
    // Prepare
    const job = deepFreeze(pipelineJob({ input: { j: 1 }, env: { stage: 'test' } }));

    // Act
    const msg = buildTaskMessage(job, 1, 3, { fromA: true }, true);

    // Assess
    expect(msg).toEqual(
      taskMessage({
        taskIndex: 1,
        taskId: 't2',
        attempt: 3,
        manual: true,
        taskName: 'b',
        input: { j: 1 },
        env: { stage: 'test' },
        context: { fromA: true },
        timeoutSeconds: 300,
        retry: { ...DEFAULT_RETRY_POLICY },
        carriedJob: job,
      }),
    );
    expect(msg).not.toHaveProperty('preLock');
  });

  it('carries a small pipeline job (its continuation needs no read), never a parent or a job over the budget', () => {
    const small = pipelineJob({ input: { j: 1 } });
    expect(buildTaskMessage(small, 0, 1, {}, false).carriedJob).toEqual(small);
    const big = pipelineJob({ input: { blob: 'x'.repeat(MAX_CARRIED_JOB_BYTES) } });
    expect(buildTaskMessage(big, 0, 1, {}, false)).not.toHaveProperty('carriedJob');
    // Stored messages go without it (an offer in a worker inbox, a schedule).
    expect(withoutCarriedJob(buildTaskMessage(small, 0, 1, {}, false))).not.toHaveProperty('carriedJob');
  });

  eachCase<{ name: string; jobInput: JsonObject; taskInput: JsonObject | undefined; expected: JsonObject }>(
    [
      { name: 'no task input: the job input', jobInput: { a: 1 }, taskInput: undefined, expected: { a: 1 } },
      { name: 'the task input overlays the job input key by key', jobInput: { a: 1, b: 1 }, taskInput: { b: 2, c: 3 }, expected: { a: 1, b: 2, c: 3 } },
      { name: 'an empty job input: the task input', jobInput: {}, taskInput: { t: 'x' }, expected: { t: 'x' } },
    ],
    (c) => `input: ${c.name}`,
    ({ jobInput, taskInput, expected }) => {
      // Prepare
      const job = pipelineJob({ input: jobInput, tasks: [taskSpec('a', taskInput ? { input: taskInput } : {})] });

      // Act / Assess
      expect(buildTaskMessage(job, 0, 1, {}, false).input).toEqual(expected);
    },
  );

  eachCase<{ name: string; jobEnv: JsonObject; taskEnv: JsonObject | undefined; expected: JsonObject }>(
    [
      { name: 'no task env: the effective job env', jobEnv: { stage: 'prod' }, taskEnv: undefined, expected: { stage: 'prod' } },
      { name: 'the task env overlays the job env key by key', jobEnv: { stage: 'prod', r: 'eu' }, taskEnv: { r: 'us', k: 1 }, expected: { stage: 'prod', r: 'us', k: 1 } },
    ],
    (c) => `env: ${c.name}`,
    ({ jobEnv, taskEnv, expected }) => {
      // Prepare
      const job = pipelineJob({ env: jobEnv, tasks: [taskSpec('a', taskEnv ? { env: taskEnv } : {})] });

      // Act / Assess
      expect(buildTaskMessage(job, 0, 1, {}, false).env).toEqual(expected);
    },
  );

  eachCase(
    [
      { timeoutSeconds: undefined, expected: 300 },
      { timeoutSeconds: 60, expected: 60 },
    ],
    (c) => `timeoutSeconds ${c.timeoutSeconds ?? 'unset'} gives a message timeout of ${c.expected} s`,
    ({ timeoutSeconds, expected }) => {
      // Prepare
      const job = pipelineJob({ tasks: [taskSpec('a', timeoutSeconds ? { timeoutSeconds } : {})] });

      // Act / Assess
      expect(buildTaskMessage(job, 0, 1, {}, false).timeoutSeconds).toBe(expected);
    },
  );

  it('carries the resolved retry policy: defaults < job (chain) < task', () => {
    // Prepare
    const job = pipelineJob({ retry: { count: 1, gapSeconds: 4 }, tasks: [taskSpec('a', { retry: { gapSeconds: 2, backoff: 'exponential' } })] });

    // Act / Assess
    expect(buildTaskMessage(job, 0, 1, {}, false).retry).toEqual({ count: 1, gapSeconds: 2, backoff: 'exponential', maxDelaySeconds: 3600 });
  });

  eachCase(
    [
      { name: 'the task preLock wins over the job one', jobLock: 'host-j', taskLock: 'host-t', expected: 'host-t' },
      { name: 'the job preLock applies to a task without one', jobLock: 'host-j', taskLock: undefined, expected: 'host-j' },
    ],
    (c) => `preLock: ${c.name}`,
    ({ jobLock, taskLock, expected }) => {
      // Prepare
      const job = pipelineJob({ preLock: jobLock, tasks: [taskSpec('a', taskLock ? { preLock: taskLock } : {})] });

      // Act / Assess
      expect(buildTaskMessage(job, 0, 1, {}, false).preLock).toBe(expected);
    },
  );

  it('a retry of a task runs with the input and env the task record holds (edits included), not the spec', () => {
    // Prepare
    const job = pipelineJob({ input: { j: 1 }, env: { e: 1 } });

    // Act
    const msg = buildTaskMessage(job, 0, 2, { c: 1 }, false, { input: { edited: true }, env: { e: 2 } });

    // Assess
    expect([msg.input, msg.env, msg.context]).toEqual([{ edited: true }, { e: 2 }, { c: 1 }]);
  });

  it('throws for a task position the job does not have', () => {
    // Act / Assess
    expect(() => buildTaskMessage(pipelineJob(), 3, 1, {}, false)).toThrow('job J1 has no task 3');
  });
});

describe('nextPipelineStep', () => {
  const job = pipelineJob();

  it('dispatches task 0 with an empty context when nothing ran yet, since the job started', () => {
    // Act / Assess
    expect(nextPipelineStep(job, [])).toEqual({ kind: 'dispatch', taskIndex: 0, context: {}, since: NOW_ISO });
  });

  it('a job without startedAt dispatches without since', () => {
    // Prepare
    const { startedAt: _startedAt, ...notStarted } = job;

    // Act / Assess
    expect(nextPipelineStep(notStarted, [])).toEqual({ kind: 'dispatch', taskIndex: 0, context: {} });
  });

  it('after a succeeded task dispatches the next one with the context accumulated from the start, since it ended', () => {
    // Prepare (a stored context is not trusted: a task skipped before it was reached has none of its own)
    const t0 = succeededTask({ a: 1 }, { context: { seed: 0 }, updatedAt: isoAt(5_000) });

    // Act / Assess
    expect(nextPipelineStep(job, [t0])).toEqual({ kind: 'dispatch', taskIndex: 1, context: { a: 1 }, since: isoAt(5_000) });
  });

  it('accumulates the context over tasks: later outputs win key by key', () => {
    // Prepare
    const t0 = succeededTask({ a: 1, shared: 'a' }, { context: {} });
    const t1 = succeededTask({ b: 2, shared: 'b' }, { taskIndex: 1, context: { a: 1, shared: 'a' }, updatedAt: isoAt(9_000) });

    // Act / Assess
    expect(nextPipelineStep(job, [t0, t1])).toEqual({ kind: 'dispatch', taskIndex: 2, context: { a: 1, b: 2, shared: 'b' }, since: isoAt(9_000) });
  });

  it('completes with the final context once every task is done', () => {
    // Prepare
    const tasks = [
      succeededTask({ a: 1 }, { context: {} }),
      succeededTask({ b: 2 }, { taskIndex: 1, context: { a: 1 } }),
      succeededTask({ c: 3, a: 10 }, { taskIndex: 2, context: { a: 1, b: 2 } }),
    ];

    // Act / Assess
    expect(nextPipelineStep(job, tasks)).toEqual({ kind: 'complete', output: { a: 10, b: 2, c: 3 } });
  });

  it('completes at once, with an empty output, a pipeline without tasks', () => {
    // Act / Assess
    expect(nextPipelineStep(pipelineJob({ tasks: [] }), [])).toEqual({ kind: 'complete', output: {} });
  });

  eachCase<TaskStatus>(['running', 'retrying', 'queued', 'pending'], (s) => `waits on a ${s} task`, (status) => {
    // Prepare
    const t1 = taskRecord({ taskIndex: 1, status });

    // Act / Assess
    expect(nextPipelineStep(job, [succeededTask({}), t1])).toEqual({ kind: 'wait', task: t1, context: {} });
  });

  eachCase(
    [
      { reason: 'boom', expected: 'task b failed: boom' },
      { reason: undefined, expected: 'task b failed: error' },
    ],
    (c) => `fails with "${c.expected}" when a task failed (reason ${c.reason ?? 'unset'})`,
    ({ reason, expected }) => {
      // Prepare
      const t1 = taskRecord({ taskIndex: 1, status: 'failed', reason });

      // Act / Assess
      expect(nextPipelineStep(job, [succeededTask({}), t1])).toEqual({ kind: 'fail', reason: expected, task: t1 });
    },
  );

  it('stops at a discarded task', () => {
    // Act / Assess
    expect(nextPipelineStep(job, [taskRecord({ status: 'discarded' })])).toEqual({ kind: 'stopped' });
  });

  eachCase(
    [
      { name: 'its skipOutput flows on in the context', skipOutput: { s: 1, a: 'skip' }, expected: { a: 'skip', s: 1 } },
      { name: 'without skipOutput the context passes through unchanged', skipOutput: undefined, expected: { a: 1 } },
    ],
    (c) => `after a skipped task ${c.name}`,
    ({ skipOutput, expected }) => {
      // Prepare
      const t0 = succeededTask({ a: 1 }, { context: {} });
      const t1 = taskRecord({ taskIndex: 1, status: 'skipped', context: { a: 1 }, skipOutput, attempts: [], attemptCount: 0 });

      // Act
      const step = nextPipelineStep(job, [t0, t1]);

      // Assess
      expect(step).toMatchObject({ kind: 'dispatch', taskIndex: 2, context: expected });
    },
  );

  it('a skipped task that never ran (no attempts) lets the pipeline complete with its skipOutput', () => {
    // Prepare
    const oneTask = pipelineJob({ tasks: [taskSpec('a')] });
    const t0 = taskRecord({ status: 'skipped', skipOutput: { manual: 'value' }, attempts: [], attemptCount: 0 });

    // Act / Assess
    expect(nextPipelineStep(oneTask, [t0])).toEqual({ kind: 'complete', output: { manual: 'value' } });
  });
});

describe('reactToTaskChange', () => {
  const job = deepFreeze(pipelineJob({ input: { j: 1 } }));

  it('a succeeded task dispatches attempt 1 of the next task with context = {...context, ...output}', () => {
    // Prepare
    const before = taskRecord({ context: { seed: 1, x: 'old' } });
    const after = succeededTask({ x: 'new', y: 2 }, { context: { seed: 1, x: 'old' } });

    // Act
    const effects = reactToTaskChange(job, before, after);

    // Assess
    expect(effects).toEqual([{ kind: 'dispatch', message: buildTaskMessage(job, 1, 1, { seed: 1, x: 'new', y: 2 }, false) }]);
    expect(dispatched(effects)[0]?.message).toMatchObject({ taskIndex: 1, taskId: 't2', attempt: 1, manual: false, input: { j: 1 } });
  });

  it('a skipped task advances the pipeline by walking it (a skip may be ahead of the running task)', () => {
    // Prepare
    const after = taskRecord({ status: 'skipped', skipOutput: { s: 1 }, context: { c: 0 } });

    // Act
    const effects = reactToTaskChange(job, taskRecord({ status: 'failed' }), after);

    // Assess
    expect(effects).toEqual([{ kind: 'advancePipeline', jobId: job.jobId }]);
    expect(reactToTaskChange(pipelineJob({ status: 'paused' }), taskRecord({ status: 'failed' }), after)).toEqual([]);
  });

  it('with a task skipped ahead, a success walks the pipeline instead of taking the next position', () => {
    const effects = reactToTaskChange(pipelineJob({ preSkipped: true }), taskRecord(), succeededTask({ a: 1 }));
    expect(effects).toEqual([{ kind: 'advancePipeline', jobId: 'J1' }]);
  });

  it('the last task succeeding finishes the job succeeded with the final context as output', () => {
    // Prepare
    const after = succeededTask({ c: 3 }, { taskIndex: 2, context: { a: 1, b: 2 } });

    // Act
    const effects = reactToTaskChange(job, taskRecord({ taskIndex: 2 }), after);

    // Assess
    expect(effects).toEqual([{ kind: 'finishJob', jobId: 'J1', status: 'succeeded', output: { a: 1, b: 2, c: 3 } }]);
  });

  it('a retrying task dispatches attempt n+1 of the same task, not before its due time', () => {
    // Prepare
    const before = taskRecord({ attemptCount: 2, input: { edited: 1 }, env: { e: 2 }, context: { ctx: 1 } });
    const after = retryingTask(2, NOW + 20_000, { input: { edited: 1 }, env: { e: 2 }, context: { ctx: 1 } });

    // Act
    const effects = reactToTaskChange(job, before, after);

    // Assess
    expect(effects).toEqual([{ kind: 'dispatch', message: buildTaskMessage(job, 0, 3, { ctx: 1 }, false, after), notBefore: NOW + 20_000 }]);
    expect(dispatched(effects)[0]?.message).toMatchObject({ attempt: 3, manual: false, input: { edited: 1 }, env: { e: 2 }, context: { ctx: 1 } });
  });

  it('a retrying task without a due time is dispatched at once (no notBefore)', () => {
    // Prepare
    const after = { ...retryingTask(1, NOW) };
    delete (after as Partial<TaskRecord>).dueAt;

    // Act
    const effects = reactToTaskChange(job, taskRecord(), after);

    // Assess
    expect(effects).toHaveLength(1);
    expect(effects[0]).not.toHaveProperty('notBefore');
  });

  it('a queued task (manual retry) dispatches attempt n+1 as manual, at once', () => {
    // Prepare
    const after = { ...retryingTask(4, NOW), status: 'queued' as const, runStart: 5 };
    delete (after as Partial<TaskRecord>).dueAt;

    // Act
    const effects = reactToTaskChange(job, { ...after, status: 'failed' }, after);

    // Assess
    expect(effects).toEqual([{ kind: 'dispatch', message: buildTaskMessage(job, 0, 5, {}, true, after) }]);
  });

  eachCase(
    [
      { reason: 'boom', expected: 'task a failed: boom' },
      { reason: undefined, expected: 'task a failed: error' },
    ],
    (c) => `a failed task finishes the job failed with reason "${c.expected}", guarded by the failure it saw (invariant 1)`,
    ({ reason, expected }) => {
      // Prepare
      const after = taskRecord({ status: 'failed', attemptCount: 4, reason });

      // Act / Assess: the job fails only while the task is still failed after 4 attempts (not retried by hand since).
      const guard = { jobId: after.jobId, taskIndex: after.taskIndex, status: 'failed', attemptCount: 4 };
      expect(reactToTaskChange(job, taskRecord({ attemptCount: 4 }), after)).toEqual([{ kind: 'finishJob', jobId: 'J1', status: 'failed', reason: expected, guard }]);
    },
  );

  it('a claim (→ running) has no consequence', () => {
    // Act / Assess
    expect(reactToTaskChange(job, undefined, taskRecord())).toEqual([]);
    expect(reactToTaskChange(job, retryingTask(1, NOW), taskRecord({ attemptCount: 2 }))).toEqual([]);
  });

  eachCase(
    [
      { name: 'succeeded', task: () => succeededTask({ a: 1 }) },
      { name: 'skipped', task: () => taskRecord({ status: 'skipped', skipOutput: {} }) },
      { name: 'retrying', task: () => retryingTask(1, NOW + 10_000) },
      { name: 'queued', task: () => ({ ...retryingTask(1, NOW), status: 'queued' as const }) },
      { name: 'failed', task: () => taskRecord({ status: 'failed' }) },
    ],
    (c) => `a duplicate ${c.name} record (same status and attemptCount) has no effects`,
    ({ task }) => {
      // Prepare
      const before = task();
      const after = { ...before, updatedAt: isoAt(1) };

      // Act / Assess
      expect(reactToTaskChange(job, before, after)).toEqual([]);
    },
  );

  eachCase<{ jobStatus: JobStatus; task: () => TaskRecord; name: string }>(
    [
      { jobStatus: 'paused', name: 'succeeded', task: () => succeededTask({ a: 1 }) },
      { jobStatus: 'discarded', name: 'succeeded', task: () => succeededTask({ a: 1 }) },
      { jobStatus: 'failed', name: 'succeeded', task: () => succeededTask({ a: 1 }) },
      { jobStatus: 'paused', name: 'last succeeded', task: () => succeededTask({ a: 1 }, { taskIndex: 2 }) },
      { jobStatus: 'paused', name: 'skipped', task: () => taskRecord({ status: 'skipped' }) },
      { jobStatus: 'paused', name: 'queued', task: () => ({ ...retryingTask(1, NOW), status: 'queued' }) },
      { jobStatus: 'discarded', name: 'queued', task: () => ({ ...retryingTask(1, NOW), status: 'queued' }) },
      { jobStatus: 'discarded', name: 'retrying', task: () => retryingTask(1, NOW + 10_000) },
      { jobStatus: 'paused', name: 'failed', task: () => taskRecord({ status: 'failed' }) },
      { jobStatus: 'discarded', name: 'failed', task: () => taskRecord({ status: 'failed' }) },
    ],
    (c) => `a ${c.name} task of a ${c.jobStatus} job dispatches nothing and finishes nothing`,
    ({ jobStatus, task }) => {
      // Prepare
      const after = task();

      // Act / Assess
      expect(reactToTaskChange(pipelineJob({ status: jobStatus }), taskRecord(), after)).toEqual([]);
    },
  );

  it('a retry in a paused job is not sent (no new attempt starts while paused; resume sends it)', () => {
    // Prepare
    const after = retryingTask(1, NOW + 10_000);

    // Act / Assess
    expect(reactToTaskChange(pipelineJob({ status: 'paused' }), taskRecord(), after)).toEqual([]);
    expect(dispatched(reactToTaskChange(job, taskRecord(), after)).map((e) => [e.message.attempt, e.notBefore])).toEqual([[2, NOW + 10_000]]);
  });

  it('does not mutate the job or the records', () => {
    // Prepare
    const before = deepFreeze(taskRecord());
    const after = deepFreeze(succeededTask({ a: 1 }));

    // Act / Assess
    expect(() => reactToTaskChange(job, before, after)).not.toThrow();
  });
});

describe('reactToJobChange', () => {
  it('the INSERT of a running pipeline dispatches attempt 1 of task 0 with an empty context', () => {
    // Prepare
    const job = deepFreeze(pipelineJob({ input: { j: 1 } }));

    // Act
    const effects = reactToJobChange(undefined, job);

    // Assess
    expect(effects).toEqual([{ kind: 'dispatch', message: buildTaskMessage(job, 0, 1, {}, false) }]);
    expect(dispatched(effects)[0]?.message).toMatchObject({ taskIndex: 0, attempt: 1, manual: false, context: {}, input: { j: 1 } });
  });

  it('the INSERT of a running pipeline without tasks advances it (it completes at once)', () => {
    // Act / Assess
    expect(reactToJobChange(undefined, pipelineJob({ tasks: [] }))).toEqual([{ kind: 'advancePipeline', jobId: 'J1' }]);
  });

  eachCase(
    [
      { name: 'the INSERT of a running parent', before: undefined, after: parentJob({ childCount: 3 }) },
      { name: 'a pending child parent starting', before: parentJob({ jobId: 'P1.1', status: 'pending', childCount: 3 }), after: parentJob({ jobId: 'P1.1', childCount: 3 }) },
    ],
    (c) => `${c.name} starts its children`,
    ({ before, after }) => {
      // Act / Assess
      expect(reactToJobChange(before, after)).toEqual([{ kind: 'startChildren', parentId: after.jobId, childCount: 3 }]);
    },
  );

  it('a paused parent resuming resumes its children and settles (its last children may have finished while it was paused); pausing pauses them; discarding discards them', () => {
    const running = parentJob({ childCount: 3 });
    expect(reactToJobChange(parentJob({ status: 'paused', childCount: 3 }), running)).toEqual([
      { kind: 'cascade', action: 'resume', parentId: running.jobId, childCount: 3 },
      { kind: 'settleParent', parentId: running.jobId },
    ]);
    expect(reactToJobChange(running, parentJob({ status: 'paused', childCount: 3 }))).toEqual([{ kind: 'cascade', action: 'pause', parentId: running.jobId, childCount: 3 }]);
    expect(reactToJobChange(running, parentJob({ status: 'discarded', childCount: 3 }))[0]).toEqual({ kind: 'cascade', action: 'discard', parentId: running.jobId, childCount: 3 });
  });

  it('a parent without childCount starts 0 children', () => {
    // Prepare
    const { childCount: _c, ...noCount } = parentJob();

    // Act / Assess
    expect(reactToJobChange(undefined, noCount)).toEqual([{ kind: 'startChildren', parentId: 'P1', childCount: 0 }]);
  });

  eachCase<{ name: string; before: JobStatus }>(
    [
      { name: 'a pending child pipeline started by its parent', before: 'pending' },
      { name: 'a paused pipeline resumed', before: 'paused' },
      { name: 'a failed pipeline reopened by a manual retry', before: 'failed' },
    ],
    (c) => `${c.name} advances (reads its tasks) instead of dispatching blindly`,
    ({ before }) => {
      // Prepare
      const child = childJob(parentJob(), 1);

      // Act / Assess
      expect(reactToJobChange({ ...child, status: before }, { ...child, status: 'running' })).toEqual([{ kind: 'advancePipeline', jobId: 'P1.1' }]);
    },
  );

  eachCase<{ status: JobStatus; failed: boolean }>(
    [
      { status: 'succeeded', failed: false },
      { status: 'failed', failed: true },
      { status: 'discarded', failed: true },
    ],
    (c) => `a child that ends ${c.status} reports to its parent with failed = ${c.failed}`,
    ({ status, failed }) => {
      // Prepare
      const child = childJob(parentJob(), 7, { status: 'running' });

      // Act / Assess
      expect(reactToJobChange(child, { ...child, status })).toEqual([{ kind: 'reportToParent', parentId: 'P1', childIndex: 7, childId: 'P1.7', failed }]);
    },
  );

  eachCase<{ status: JobStatus; extra: Partial<JobRecord>; expected: Effect }>(
    [
      { status: 'succeeded', extra: { output: { r: 1 } }, expected: { kind: 'publishResult', jobId: 'J1', status: 'succeeded', run: 0, output: { r: 1 } } },
      { status: 'failed', extra: { reason: 'task a failed: boom' }, expected: { kind: 'publishResult', jobId: 'J1', status: 'failed', run: 0, reason: 'task a failed: boom' } },
      { status: 'discarded', extra: {}, expected: { kind: 'publishResult', jobId: 'J1', status: 'discarded', run: 0 } },
    ],
    (c) => `a root that ends ${c.status} publishes its result (output and reason only when set)`,
    ({ status, extra, expected }) => {
      // Prepare
      const root = pipelineJob();

      // Act / Assess
      expect(reactToJobChange(root, { ...root, ...extra, status })).toEqual([expected]);
    },
  );

  it('a parent root that ends publishes the output aggregated when it finished, for its current run', () => {
    // Prepare
    const root = parentJob();

    // Act / Assess
    expect(reactToJobChange(root, { ...root, status: 'succeeded', output: { a: { x: 1 } }, run: 2 })).toEqual([
      { kind: 'publishResult', jobId: 'P1', status: 'succeeded', run: 2, parent: true, output: { a: { x: 1 } } },
    ]);
  });

  eachCase<JobStatus>(['pending', 'running', 'paused', 'succeeded', 'failed', 'discarded'], (s) => `a ${s} job that stays ${s} has no effects`, (status) => {
    // Prepare
    const before = pipelineJob({ status });
    const after = pipelineJob({ status, updatedAt: isoAt(1_000), output: { changed: true } });

    // Act / Assess
    expect(reactToJobChange(before, after)).toEqual([]);
    expect(reactToJobChange(childJob(parentJob(), 1, { status }), childJob(parentJob(), 1, { status, updatedAt: isoAt(1) }))).toEqual([]);
  });

  eachCase<{ before: JobStatus | undefined; after: JobStatus }>(
    [
      { before: 'running', after: 'paused' },
      { before: undefined, after: 'pending' },
      { before: 'running', after: 'pending' },
    ],
    (c) => `a job moving ${c.before ?? '(new)'} → ${c.after} has no effects`,
    ({ before, after }) => {
      // Prepare
      const job = pipelineJob({ status: after });

      // Act / Assess
      expect(reactToJobChange(before ? { ...job, status: before } : undefined, job)).toEqual([]);
    },
  );
});
