/**
 * When the invocation that ran a task goes on with the pipeline's next one (issue 12): exactly when the stream
 * would send the next task's message to the same route now, and the whole of its timeout fits before the
 * invocation's deadline; the message is the one the stream would send.
 */
import { describe, expect, it } from 'vitest';
import { CONTINUE_MARGIN_MS, MAX_CONTINUED_STEPS, decideContinuation, markContinued, type ContinuationContext } from '../../../functions/core/continuation';
import type { JobRecord, TaskRecord } from '../../../functions/core/model';
import { reactToTaskChange } from '../../../functions/core/reactions';
import { NOW, deepFreeze, pipelineJob, succeededTask, taskMessage, taskRecord, taskSpec } from '../../helpers/core-factories';

const ctx = (over: Partial<ContinuationContext> = {}): ContinuationContext => ({ now: NOW, deadline: NOW + 900_000, continued: 0, ...over });
const before = deepFreeze(taskRecord({ context: { x: 1 } }));
const ended = deepFreeze(succeededTask({ a: 2 }, { context: { x: 1 } }));

function decide(job: JobRecord, end: TaskRecord = ended, c = ctx(), message = taskMessage()) {
  return decideContinuation(deepFreeze(job), before, end, message, c);
}

describe('decideContinuation', () => {
  it('goes on with the next task of the same route, with the message the stream would send', () => {
    const job = pipelineJob();
    const next = decide(job);
    const streamed = reactToTaskChange(job, before, ended);
    expect(streamed).toEqual([{ kind: 'dispatch', message: next }]);
    expect(next).toMatchObject({ taskIndex: 1, taskId: 't2', attempt: 1, manual: false, context: { x: 1, a: 2 } });
  });

  it('does not continue after a failure, a retry or an output too large (the end is not `succeeded`)', () => {
    expect(decide(pipelineJob(), { ...ended, status: 'retrying' })).toBeUndefined();
    expect(decide(pipelineJob(), { ...ended, status: 'failed' })).toBeUndefined();
  });

  it('does not continue after the last task (the stream finishes the job)', () => {
    expect(decide(pipelineJob(), { ...ended, taskIndex: 2, taskId: 't3' }, ctx(), taskMessage({ taskIndex: 2, taskId: 't3' }))).toBeUndefined();
  });

  it('does not continue in a job that is not running, or with a task skipped ahead (the stream walks the pipeline)', () => {
    expect(decide(pipelineJob({ status: 'paused' }))).toBeUndefined();
    expect(decide(pipelineJob({ status: 'discarded' }))).toBeUndefined();
    expect(decide(pipelineJob({ preSkipped: true }))).toBeUndefined();
    expect(decideContinuation(undefined, before, ended, taskMessage(), ctx())).toBeUndefined();
  });

  it('does not continue onto another route: another provider, or a task pinned to an executor', () => {
    expect(decide(pipelineJob({ tasks: [taskSpec('a'), taskSpec('b', { provider: 'resize' }), taskSpec('c')] }))).toBeUndefined();
    expect(decide(pipelineJob({ tasks: [taskSpec('a'), taskSpec('b', { preLock: 'edge-1' }), taskSpec('c')] }))).toBeUndefined();
    // Both pinned to the same executor: one route.
    const pinned = pipelineJob({ preLock: 'edge-1' });
    expect(decide(pinned, ended, ctx(), taskMessage({ preLock: 'edge-1' }))).toMatchObject({ taskIndex: 1, preLock: 'edge-1' });
  });

  it('continues only while the next task\'s whole timeout fits before the deadline', () => {
    const job = pipelineJob({ tasks: [taskSpec('a'), taskSpec('b', { timeoutSeconds: 60 }), taskSpec('c')] });
    expect(decide(job, ended, ctx({ deadline: NOW + 60_000 + CONTINUE_MARGIN_MS }))).toBeDefined();
    expect(decide(job, ended, ctx({ deadline: NOW + 60_000 + CONTINUE_MARGIN_MS - 1 }))).toBeUndefined();
    expect(decide(job, ended, { now: NOW, continued: 0 })).toBeUndefined();
  });

  it('stops after MAX_CONTINUED_STEPS tasks (or the given bound)', () => {
    expect(decide(pipelineJob(), ended, ctx({ continued: MAX_CONTINUED_STEPS - 1 }))).toBeDefined();
    expect(decide(pipelineJob(), ended, ctx({ continued: MAX_CONTINUED_STEPS }))).toBeUndefined();
    expect(decide(pipelineJob(), ended, ctx({ continued: 2, maxSteps: 2 }))).toBeUndefined();
  });

  it('the end that says `continued` makes the stream send nothing for the next task (and still finishes a job)', () => {
    const job = pipelineJob();
    expect(reactToTaskChange(job, before, markContinued(ended))).toEqual([]);
    // A task skipped ahead: the stream walks the pipeline as before (a duplicate message's claim only fails).
    expect(reactToTaskChange(pipelineJob({ preSkipped: true }), before, markContinued(ended))).toEqual([{ kind: 'advancePipeline', jobId: 'J1' }]);
  });
});
