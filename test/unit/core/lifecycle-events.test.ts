/** Lifecycle events: every job status change, and task failures/retries, never task successes. */
import { describe, expect, it } from 'vitest';
import { jobEvent, taskEvent } from '../../../functions/core/lifecycle-events';
import type { JobRecord, TaskRecord } from '../../../functions/core/model';

const job = (status: JobRecord['status'], extra: Partial<JobRecord> = {}): JobRecord =>
  ({ jobId: 'J1', rootId: 'J1', depth: 0, name: 'j', owner: 'o', status, input: {}, env: {}, retry: {}, pausable: true, kind: 'pipeline', tasks: [], createdAt: 't0', updatedAt: 't1', ...extra }) as JobRecord;
const task = (status: TaskRecord['status'], attemptCount = 1, extra: Partial<TaskRecord> = {}): TaskRecord =>
  ({ jobId: 'J1', taskIndex: 0, taskId: 't1', name: 'a', provider: 'demo', status, attemptCount, runStart: 1, input: {}, env: {}, context: {}, attempts: [], updatedAt: 't2', ...extra }) as TaskRecord;

describe('job lifecycle events', () => {
  it.each([
    [undefined, 'running', 'jobx.job.started'],
    ['pending', 'running', 'jobx.job.started'],
    ['paused', 'running', 'jobx.job.resumed'],
    ['running', 'succeeded', 'jobx.job.succeeded'],
    ['running', 'failed', 'jobx.job.failed'],
    ['running', 'paused', 'jobx.job.paused'],
    ['running', 'discarded', 'jobx.job.discarded'],
  ] as const)('%s → %s publishes %s', (from, to, type) => {
    const event = jobEvent(from ? job(from) : undefined, job(to, to === 'failed' ? { reason: 'task a failed' } : {}));
    expect(event?.type).toBe(type);
    expect(event?.detail).toMatchObject({ jobId: 'J1', rootId: 'J1', status: to, name: 'j', owner: 'o' });
    if (to === 'failed') expect(event?.detail.reason).toBe('task a failed');
  });

  it('publishes nothing for a replayed record (same status) or a child created pending', () => {
    expect(jobEvent(job('running'), job('running'))).toBeUndefined();
    expect(jobEvent(undefined, job('pending', { parentId: 'P' }))).toBeUndefined();
  });
});

describe('task lifecycle events', () => {
  it('publishes failed and retrying (with the retry time), and each retry once per attempt', () => {
    const retrying = taskEvent(task('running', 1), task('retrying', 1, { dueAt: Date.parse('2026-01-01T00:00:10Z'), reason: 'attempt 1 failed: x' }));
    expect(retrying).toMatchObject({ type: 'jobx.task.retrying', detail: { taskId: 't1', attempt: 1, retryAt: '2026-01-01T00:00:10.000Z', reason: 'attempt 1 failed: x' } });
    expect(taskEvent(task('running', 4), task('failed', 4))?.type).toBe('jobx.task.failed');
    expect(taskEvent(task('retrying', 1), task('retrying', 1))).toBeUndefined();
  });

  it('does not publish task successes or claims (one event per task would double its cost)', () => {
    expect(taskEvent(task('running'), task('succeeded'))).toBeUndefined();
    expect(taskEvent(undefined, task('running'))).toBeUndefined();
  });
});
