/**
 * Lifecycle events: every job status change, and task failures/retries, never task successes; which of them a flow
 * publishes (its selection: the lean default, 'all', 'none' or a list) and the selection's environment form.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EVENT_SELECTION,
  DEFAULT_PUBLISHED_EVENTS,
  LIFECYCLE_EVENT_TYPES,
  eventSelection,
  formatEventSelection,
  isPublished,
  jobEvent,
  parseEventSelection,
  taskEvent,
} from '../../../functions/core/lifecycle-events';
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

describe('the event selection', () => {
  const rootEnd = jobEvent(job('running'), job('succeeded'))!;
  const childEnd = jobEvent(job('running', { parentId: 'P' }), job('succeeded', { jobId: 'C', parentId: 'P' }))!;
  const rootStart = jobEvent(undefined, job('running'))!;
  const childTaskFailed = taskEvent(task('running', 1), task('failed', 1, { jobId: 'C' }))!;
  const retrying = taskEvent(task('running', 1), task('retrying', 1))!;

  it('names every type jobEvent and taskEvent can return', () => {
    const produced = new Set<string>();
    const statuses = ['pending', 'running', 'paused', 'succeeded', 'failed', 'discarded'] as const;
    for (const from of [undefined, ...statuses]) for (const to of statuses) {
      const e = jobEvent(from ? job(from) : undefined, job(to));
      if (e) produced.add(e.type);
    }
    for (const to of ['pending', 'queued', 'running', 'retrying', 'succeeded', 'failed', 'skipped', 'discarded'] as const) {
      const e = taskEvent(task('running', 0), task(to, 1));
      if (e) produced.add(e.type);
    }
    expect([...produced].sort()).toEqual([...LIFECYCLE_EVENT_TYPES].sort());
  });

  it('by default publishes root jobs finishing and tasks failing for good, nothing else', () => {
    expect(DEFAULT_PUBLISHED_EVENTS).toEqual(['jobx.job.succeeded', 'jobx.job.failed', 'jobx.job.discarded', 'jobx.task.failed']);
    expect(isPublished(DEFAULT_EVENT_SELECTION, rootEnd)).toBe(true);
    expect(isPublished(DEFAULT_EVENT_SELECTION, jobEvent(job('running'), job('failed'))!)).toBe(true);
    expect(isPublished(DEFAULT_EVENT_SELECTION, jobEvent(job('running'), job('discarded'))!)).toBe(true);
    expect(isPublished(DEFAULT_EVENT_SELECTION, childTaskFailed), 'a task of a child job').toBe(true);
    expect(isPublished(DEFAULT_EVENT_SELECTION, childEnd), 'a child job').toBe(false);
    expect(isPublished(DEFAULT_EVENT_SELECTION, rootStart)).toBe(false);
    expect(isPublished(DEFAULT_EVENT_SELECTION, retrying)).toBe(false);
    expect(eventSelection()).toEqual(DEFAULT_EVENT_SELECTION);
  });

  it("'all' publishes every event of every job (as before the option); 'none' nothing", () => {
    const all = eventSelection('all');
    for (const e of [rootEnd, childEnd, rootStart, childTaskFailed, retrying]) {
      expect(isPublished(all, e), e.type).toBe(true);
      expect(isPublished(eventSelection('none'), e), e.type).toBe(false);
    }
    expect(isPublished(eventSelection('all', false), childEnd)).toBe(false);
  });

  it('a list publishes its types, child jobs only when asked', () => {
    const list = eventSelection(['jobx.job.succeeded', 'jobx.task.retrying']);
    expect([rootEnd, childEnd, rootStart, childTaskFailed, retrying].map((e) => isPublished(list, e))).toEqual([true, false, false, false, true]);
    expect(isPublished(eventSelection(['jobx.job.succeeded'], true), childEnd)).toBe(true);
  });

  it('refuses an unknown type, naming it and the known ones', () => {
    expect(() => eventSelection(['jobx.job.succeeded', 'jobx.job.done'])).toThrow(/"jobx\.job\.done" is not a lifecycle event type \(known: jobx\.job\.started, .*jobx\.task\.skipped\)/);
  });

  it('travels as one environment value and back', () => {
    expect(formatEventSelection(DEFAULT_EVENT_SELECTION)).toBe('jobx.job.succeeded,jobx.job.failed,jobx.job.discarded,jobx.task.failed');
    expect(formatEventSelection(eventSelection('all'))).toBe('all');
    expect(formatEventSelection(eventSelection('none'))).toBe('none');
    expect(formatEventSelection(eventSelection([]))).toBe('none');
    expect(formatEventSelection(eventSelection(['jobx.task.failed'], true))).toBe('jobx.task.failed,child-jobs');
    for (const sel of [DEFAULT_EVENT_SELECTION, eventSelection('all'), eventSelection('all', false), eventSelection(['jobx.task.failed'], true), eventSelection(['jobx.job.paused'])]) {
      expect(parseEventSelection(formatEventSelection(sel)), formatEventSelection(sel)).toEqual(sel);
    }
    expect(parseEventSelection(undefined)).toEqual(DEFAULT_EVENT_SELECTION);
    expect(parseEventSelection('')).toEqual(DEFAULT_EVENT_SELECTION);
    expect(parseEventSelection(' jobx.task.failed , jobx.job.failed ')).toEqual(eventSelection(['jobx.task.failed', 'jobx.job.failed']));
    expect(parseEventSelection('none').types.size).toBe(0);
    expect(() => parseEventSelection('jobx.task.succeeded')).toThrow(/"jobx\.task\.succeeded" is not a lifecycle event type/);
  });
});
