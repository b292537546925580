/**
 * The sweeper's repairs decided from what was read (issue 9: a pure decide step for sweeper repairs): a lost
 * dispatch is re-sent only after the grace, a lost finish is carried out guarded by the task it was decided from,
 * an expired lease is ended guarded by the lease seen, a re-sent queued attempt keeps its kind; a child is
 * started, counted or looked into only when what was read says so.
 */
import { describe, expect, it } from 'vitest';
import { HOLD_WHILE_QUEUED_MS, decideChildRepair, decidePipelineRepair, holdRedispatch, type SweepContext } from '../../../functions/core/sweep-decisions';
import { NOW, NOW_ISO, childJob, endedAttempts, parentJob, pipelineJob, succeededTask, taskRecord } from '../../helpers/core-factories';

const ctx = (over: Partial<SweepContext> = {}): SweepContext => ({ now: NOW, requeueAfterMs: 60_000, random: () => 0.5, ...over });
const LONG_AGO = new Date(NOW - 3_600_000).toISOString();
const job = pipelineJob({ jobId: 'J1', rootId: 'J1', status: 'running', startedAt: LONG_AGO });

describe('decidePipelineRepair', () => {
  it('a first task never sent is re-sent after the grace only', () => {
    expect(decidePipelineRepair(job, [], ctx())).toMatchObject({ kind: 'redispatch', message: { jobId: 'J1', taskIndex: 0, attempt: 1, manual: false }, since: Date.parse(LONG_AGO) });
    expect(decidePipelineRepair({ ...job, startedAt: NOW_ISO }, [], ctx())).toEqual({ kind: 'none' });
  });

  it('a finished pipeline whose finish was lost finishes; a failed one carries the guard of the failed task', () => {
    const done = [0, 1, 2].map((i) => succeededTask({ [`k${i}`]: i }, { taskIndex: i, updatedAt: LONG_AGO }));
    expect(decidePipelineRepair(job, done, ctx())).toMatchObject({ kind: 'finish', effect: { kind: 'finishJob', status: 'succeeded', output: { k0: 0, k1: 1, k2: 2 } } });
    const failed = taskRecord({ status: 'failed', attemptCount: 3, attempts: endedAttempts(3), reason: 'boom' });
    delete failed.leaseUntil;
    expect(decidePipelineRepair(job, [failed], ctx())).toMatchObject({ kind: 'finish', effect: { status: 'failed', guard: { jobId: 'J1', taskIndex: 0, status: 'failed', attemptCount: 3 } } });
  });

  it('an expired lease is ended under a guard past the lease seen; a live one is left alone', () => {
    const running = taskRecord({ leaseUntil: NOW - 1 });
    const repair = decidePipelineRepair(job, [running], ctx());
    expect(repair).toMatchObject({ kind: 'expireLease', before: running, leaseGuard: NOW, after: { status: 'retrying' } });
    expect(decidePipelineRepair(job, [taskRecord({ leaseUntil: NOW + 1 })], ctx())).toEqual({ kind: 'none' });
    expect(decidePipelineRepair(job, [taskRecord({ leaseUntil: NOW + 1 })], ctx({ abandonRunning: true })).kind).toBe('expireLease');
  });

  it('an attempt abandoned because the local stack restarted says so (not a lease that expired), live lease or not', () => {
    for (const leaseUntil of [NOW + 60_000, NOW - 1]) {
      const repair = decidePipelineRepair(job, [taskRecord({ leaseUntil })], ctx({ abandonRunning: true }));
      if (repair.kind !== 'expireLease') throw new Error(`expected expireLease, got ${repair.kind}`);
      const attempt = repair.after.attempts[repair.after.attemptCount - 1]!;
      expect(attempt).toMatchObject({ status: 'abandoned', error: { code: 'LOCAL_STACK_RESTARTED', retryable: true } });
      expect(attempt.error!.message).toMatch(/^the local stack restarted while this attempt ran/);
      expect(repair.after.reason).toMatch(/abandoned: the local stack restarted/);
    }
    const expired = decidePipelineRepair(job, [taskRecord({ leaseUntil: NOW - 1 })], ctx());
    if (expired.kind !== 'expireLease') throw new Error(`expected expireLease, got ${expired.kind}`);
    expect(expired.after.attempts[expired.after.attemptCount - 1]!.error).toMatchObject({ code: 'LEASE_EXPIRED' });
  });

  it('a retry or queued run overdue is re-sent with its kind: manual only when a person started the run', () => {
    const retrying = taskRecord({ status: 'retrying', dueAt: NOW - 120_000, attemptCount: 1, attempts: endedAttempts(1) });
    expect(decidePipelineRepair(job, [retrying], ctx())).toMatchObject({ kind: 'redispatch', message: { attempt: 2, manual: false } });
    expect(decidePipelineRepair(job, [{ ...retrying, dueAt: NOW - 1 }], ctx())).toEqual({ kind: 'none' });
    const queued = taskRecord({ status: 'queued', updatedAt: LONG_AGO, attemptCount: 1, runStart: 2, attempts: endedAttempts(1) });
    expect(decidePipelineRepair(job, [queued], ctx())).toMatchObject({ kind: 'redispatch', message: { attempt: 2, manual: true } });
    expect(decidePipelineRepair(job, [{ ...queued, runStart: 1 }], ctx())).toMatchObject({ kind: 'redispatch', message: { manual: false } });
  });
});

describe('decideChildRepair', () => {
  const parent = parentJob({ jobId: 'P', rootId: 'P', status: 'running', startedAt: LONG_AGO, childCount: 3 });

  it('starts a pending child only once the parent started long enough ago', () => {
    expect(decideChildRepair(parent, childJob(parent, 1, { status: 'pending' }), new Set(), ctx())).toEqual({ kind: 'start' });
    expect(decideChildRepair({ ...parent, startedAt: NOW_ISO }, childJob(parent, 1, { status: 'pending' }), new Set(), ctx())).toEqual({ kind: 'none' });
  });

  it('counts a finished child not counted (after the grace), never one counted', () => {
    const failed = childJob(parent, 2, { status: 'failed', updatedAt: LONG_AGO });
    expect(decideChildRepair(parent, failed, new Set(), ctx())).toEqual({ kind: 'report', failed: true });
    expect(decideChildRepair(parent, failed, new Set([2]), ctx())).toEqual({ kind: 'none' });
    expect(decideChildRepair(parent, { ...failed, updatedAt: NOW_ISO }, new Set(), ctx())).toEqual({ kind: 'none' });
  });

  it('looks into a running child; leaves a paused one', () => {
    expect(decideChildRepair(parent, childJob(parent, 3, { status: 'running' }), new Set(), ctx())).toEqual({ kind: 'descend' });
    expect(decideChildRepair(parent, childJob(parent, 3, { status: 'paused' }), new Set(), ctx())).toEqual({ kind: 'none' });
  });
});

describe('holdRedispatch', () => {
  it('holds a re-send only while its queue has messages waiting and the message was due less than the hold ago', () => {
    expect(holdRedispatch(NOW - 60_000, NOW, 5)).toBe(true);
    expect(holdRedispatch(NOW - 60_000, NOW, 0)).toBe(false);
    expect(holdRedispatch(NOW - HOLD_WHILE_QUEUED_MS, NOW, 5)).toBe(false);
    expect(holdRedispatch(NOW - 10_000, NOW, 5, 5_000)).toBe(false);
  });
});
