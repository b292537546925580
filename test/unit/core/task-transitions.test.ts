import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../functions/core/json';
import type { AttemptRecord, TaskRecord } from '../../../functions/core/model';
import { resolveRetryPolicy, type RetryPolicy } from '../../../functions/core/retry-policy';
import type { TaskStatus } from '../../../functions/core/statuses';
import {
  claimAttempt,
  expireLease,
  finishAttempt,
  isRejection,
  type AttemptOutcome,
} from '../../../functions/core/task-transitions';
import {
  NOW,
  NOW_ISO,
  accepted,
  attemptRecord,
  deepFreeze,
  eachCase,
  endedAttempts,
  isoAt,
  retryingTask,
  seededRandom,
  succeededTask,
  taskMessage,
  taskRecord,
} from '../../helpers/core-factories';

const DEFAULTS = resolveRetryPolicy();
const fail = (message = 'boom', extra: Partial<Extract<AttemptOutcome, { ok: false }>> = {}): AttemptOutcome => ({
  ok: false,
  error: { message, retryable: true },
  ...extra,
});
const ok = (output: JsonObject = {}): AttemptOutcome => ({ ok: true, output });

/** A task running attempt `n` (attempts 1..n-1 failed) of a run that started at `runStart`. */
function runningAttempt(n: number, runStart = 1, overrides: Partial<TaskRecord> = {}): TaskRecord {
  return taskRecord({
    attemptCount: n,
    runStart,
    attempts: [...endedAttempts(n - 1, 'failed'), attemptRecord({ attempt: n, manual: n === runStart && n > 1, startedAt: isoAt(n * 1000) })],
    ...overrides,
  });
}

describe('claimAttempt: the first attempt', () => {
  it('attempt 1 of a task that never ran creates a running record from the message', () => {
    // Prepare
    const msg = deepFreeze(taskMessage({ taskIndex: 1, taskId: 't2', taskName: 'b', input: { x: 1 }, env: { stage: 'test' }, context: { prev: true } }));

    // Act
    const task = claimAttempt(undefined, msg, NOW);

    // Assess
    expect(task).toEqual({
      jobId: 'J1',
      taskIndex: 1,
      taskId: 't2',
      name: 'b',
      provider: 'demo',
      status: 'running',
      attemptCount: 1,
      runStart: 1,
      input: { x: 1 },
      env: { stage: 'test' },
      context: { prev: true },
      leaseUntil: NOW + 300_000,
      attempts: [{ attempt: 1, manual: false, status: 'running', startedAt: NOW_ISO }],
      updatedAt: NOW_ISO,
    });
  });

  it('attempt 1 keeps nothing when it runs with the original payload, and what differs when it does not', () => {
    const msg = taskMessage({ input: { x: 1 }, env: { e: 'a' } });

    expect(accepted(claimAttempt(undefined, msg, NOW, undefined, { input: { x: 1 }, env: { e: 'a' } })).attempts[0]).not.toHaveProperty('input');
    expect(accepted(claimAttempt(undefined, msg, NOW, undefined, { input: { x: 0 }, env: { e: 'a' } })).attempts[0]).toMatchObject({ input: { x: 1 } });
    expect(accepted(claimAttempt(undefined, msg, NOW, undefined, { input: { x: 1 }, env: {} })).attempts[0]).toMatchObject({ env: { e: 'a' } });
  });

  eachCase([
    { timeoutSeconds: 60, leaseMs: 60_000 },
    { timeoutSeconds: 43_200, leaseMs: 43_200_000 },
    { timeoutSeconds: 0, leaseMs: 300_000 }, // 0 is no timeout: the default lease applies
  ], (c) => `the lease of a claim lasts timeoutSeconds (${c.timeoutSeconds} s → ${c.leaseMs} ms)`, ({ timeoutSeconds, leaseMs }) => {
    // Act
    const task = accepted(claimAttempt(undefined, taskMessage({ timeoutSeconds }), NOW));

    // Assess
    expect(task.leaseUntil).toBe(NOW + leaseMs);
  });

  it.each([0, 2, 5])('attempt %i of a task that never ran is rejected (only attempt 1 creates the record)', (attempt) => {
    // Act
    const result = claimAttempt(undefined, taskMessage({ attempt }), NOW);

    // Assess
    expect(result).toEqual({ rejected: true, reason: `attempt ${attempt} of a task that never ran` });
  });

  it.each<TaskStatus>(['running', 'retrying', 'queued', 'succeeded', 'failed', 'skipped', 'discarded'])(
    'a duplicate claim of attempt 1 is rejected once the record exists (status %s)',
    (status) => {
      // Prepare
      const existing = deepFreeze(taskRecord({ status }));

      // Act
      const result = claimAttempt(existing, taskMessage({ attempt: 1 }), NOW + 5);

      // Assess
      expect(isRejection(result)).toBe(true);
    },
  );
});

describe('claimAttempt: attempt n+1', () => {
  eachCase([
    { status: 'retrying' as const, n: 1 },
    { status: 'retrying' as const, n: 3 },
    { status: 'queued' as const, n: 1 },
    { status: 'queued' as const, n: 4 },
  ], (c) => `attempt n+1 is claimed from ${c.status} after exactly n = ${c.n} attempts`, ({ status, n }) => {
    // Prepare
    const before = deepFreeze(taskRecord({ status, attemptCount: n, attempts: endedAttempts(n), dueAt: NOW, reason: 'x' }));

    // Act
    const after = accepted(claimAttempt(before, taskMessage({ attempt: n + 1, manual: status === 'queued' }), NOW + 1_000, undefined, { input: {}, env: {} }));

    // Assess
    expect(after.status).toBe('running');
    expect(after.attemptCount).toBe(n + 1);
    expect(after.leaseUntil).toBe(NOW + 1_000 + 300_000);
    expect(after).not.toHaveProperty('dueAt');
    expect(after.updatedAt).toBe(isoAt(1_000));
    expect(after.attempts).toHaveLength(n + 1);
    expect(after.attempts.slice(0, n)).toEqual(before.attempts);
    expect(after.attempts[n]).toEqual({ attempt: n + 1, manual: status === 'queued', status: 'running', startedAt: isoAt(1_000) });
  });

  eachCase([
    { n: 2, attempt: 2, why: 'a replay of the attempt that already ran' },
    { n: 2, attempt: 1, why: 'an older attempt' },
    { n: 2, attempt: 4, why: 'an attempt that skips one' },
  ], (c) => `from retrying after ${c.n} attempts, a claim of attempt ${c.attempt} is rejected (${c.why})`, ({ n, attempt }) => {
    // Prepare
    const before = deepFreeze(retryingTask(n, NOW));

    // Act
    const result = claimAttempt(before, taskMessage({ attempt }), NOW);

    // Assess
    expect(result).toEqual({ rejected: true, reason: `task is retrying after ${n} attempts` });
  });

  it.each<TaskStatus>(['running', 'succeeded', 'failed', 'skipped', 'discarded', 'pending'])(
    'a claim of the next attempt from %s is rejected',
    (status) => {
      // Prepare
      const before = deepFreeze(taskRecord({ status }));

      // Act
      const result = claimAttempt(before, taskMessage({ attempt: 2 }), NOW);

      // Assess
      expect(result).toEqual({ rejected: true, reason: `task is ${status} after 1 attempts` });
    },
  );

  it('the running claim is rejected: two providers never run the same attempt', () => {
    // Prepare
    const first = accepted(claimAttempt(retryingTask(1, NOW), taskMessage({ attempt: 2 }), NOW));

    // Act
    const second = claimAttempt(first, taskMessage({ attempt: 2 }), NOW + 1);

    // Assess
    expect(isRejection(second)).toBe(true);
  });

  // What an attempt keeps: only what differs from what the attempt before it ran with, derived from the task's
  // ORIGINAL payload (the spec's) and the attempts, never from the task's current input/env (the next run's).
  const ORIGINAL = { input: { x: 1 }, env: { e: 'a' } };
  const edited = (attempt: number, kept: Partial<AttemptRecord>) => ({ ...endedAttempts(attempt)[attempt - 1]!, ...kept });
  eachCase<{ name: string; current: { input: JsonObject; env: JsonObject }; earlier: AttemptRecord[]; msg: { input: JsonObject; env: JsonObject }; expected: Partial<AttemptRecord> }>([
    { name: 'the original input and env are not copied onto the attempt', current: ORIGINAL, earlier: endedAttempts(1), msg: ORIGINAL, expected: {} },
    { name: 'an edited input is kept on the attempt', current: { input: { x: 2 }, env: { e: 'a' } }, earlier: endedAttempts(1), msg: { input: { x: 2 }, env: { e: 'a' } }, expected: { input: { x: 2 } } },
    { name: 'an edited env is kept on the attempt', current: { input: { x: 1 }, env: { e: 'b' } }, earlier: endedAttempts(1), msg: { input: { x: 1 }, env: { e: 'b' } }, expected: { env: { e: 'b' } } },
    {
      name: 'an automatic retry of an edited run keeps nothing again (its attempt before ran with the same)',
      current: { input: { x: 2 }, env: { e: 'a' } },
      earlier: [endedAttempts(1)[0]!, edited(2, { manual: true, input: { x: 2 } })],
      msg: { input: { x: 2 }, env: { e: 'a' } },
      expected: {},
    },
    {
      name: 'a run back on the original input after an edited one keeps the original',
      current: ORIGINAL,
      earlier: [endedAttempts(1)[0]!, edited(2, { manual: true, input: { x: 2 } })],
      msg: ORIGINAL,
      expected: { input: { x: 1 } },
    },
  ], (c) => c.name, ({ current, earlier, msg, expected }) => {
    // Prepare
    const before = deepFreeze(retryingTask(earlier.length, NOW, { ...current, attempts: earlier }));
    const n = earlier.length + 1;

    // Act
    const after = accepted(claimAttempt(before, taskMessage({ attempt: n, ...msg }), NOW, undefined, ORIGINAL));

    // Assess: earlier attempts as they were; the task's current payload untouched.
    expect(after.attempts[n - 1]).toEqual({ attempt: n, manual: false, status: 'running', startedAt: NOW_ISO, ...expected });
    expect(after.attempts.slice(0, n - 1)).toEqual(earlier);
    expect([after.input, after.env]).toEqual([current.input, current.env]);
  });

  it('without the original payload, a later attempt keeps both its input and env (always derivable)', () => {
    const before = retryingTask(1, NOW, ORIGINAL);

    const after = accepted(claimAttempt(before, taskMessage({ attempt: 2, ...ORIGINAL }), NOW));

    expect(after.attempts[1]).toEqual({ attempt: 2, manual: false, status: 'running', startedAt: NOW_ISO, ...ORIGINAL });
  });

  it('the task context stays the one of its first attempt', () => {
    // Prepare
    const before = retryingTask(1, NOW, { context: { fromA: 1 } });

    // Act
    const after = accepted(claimAttempt(before, taskMessage({ attempt: 2, context: { other: 2 } }), NOW));

    // Assess
    expect(after.context).toEqual({ fromA: 1 });
  });

  // The pure transition matches the store's claim write (`REMOVE dueAt, reason`).
  it('a claim clears the reason of the failure before it, as the claim write does', () => {
    // Prepare
    const before = retryingTask(1, NOW);

    // Act
    const after = accepted(claimAttempt(before, taskMessage({ attempt: 2 }), NOW));

    // Assess
    expect(after).not.toHaveProperty('reason');
  });
});

describe('finishAttempt: success', () => {
  it('a successful attempt succeeds the task, records the output and ends the lease', () => {
    // Prepare
    const before = deepFreeze(runningAttempt(2));

    // Act
    const after = accepted(finishAttempt(before, 2, ok({ y: 2 }), DEFAULTS, NOW + 5_000, 0.5));

    // Assess
    expect(after.status).toBe('succeeded');
    expect(after.attemptCount).toBe(2);
    expect(after).not.toHaveProperty('leaseUntil');
    expect(after).not.toHaveProperty('dueAt');
    expect(after).not.toHaveProperty('reason');
    expect(after.updatedAt).toBe(isoAt(5_000));
    expect(after.attempts[1]).toEqual({ ...before.attempts[1], status: 'succeeded', output: { y: 2 }, endedAt: isoAt(5_000) });
    expect(after.attempts[0]).toEqual(before.attempts[0]);
  });
});

describe('finishAttempt: failure and automatic retries', () => {
  it('a failed attempt with budget left moves the task to retrying, due after the first gap', () => {
    // Prepare
    const before = deepFreeze(runningAttempt(1));

    // Act
    const after = accepted(finishAttempt(before, 1, fail('boom', { error: { message: 'boom', code: 'E1', retryable: true } }), DEFAULTS, NOW, 0.5));

    // Assess
    expect(after).toMatchObject({ status: 'retrying', attemptCount: 1, dueAt: NOW + 10_000, reason: 'attempt 1 failed: boom' });
    expect(after).not.toHaveProperty('leaseUntil');
    expect(after.attempts[0]).toEqual({ ...before.attempts[0], status: 'failed', error: { message: 'boom', code: 'E1', retryable: true }, endedAt: NOW_ISO });
  });

  eachCase([
    { attempt: 1, status: 'retrying', dueInMs: 10_000 },
    { attempt: 2, status: 'retrying', dueInMs: 20_000 },
    { attempt: 3, status: 'retrying', dueInMs: 30_000 },
    { attempt: 4, status: 'failed', dueInMs: undefined },
  ], (c) => `with the default policy (3 retries) the failure of attempt ${c.attempt} leaves the task ${c.status}`, ({ attempt, status, dueInMs }) => {
    // Prepare
    const before = deepFreeze(runningAttempt(attempt));

    // Act
    const after = accepted(finishAttempt(before, attempt, fail(), DEFAULTS, NOW, 0.5));

    // Assess
    expect(after.status).toBe(status);
    expect(after.dueAt === undefined ? undefined : after.dueAt - NOW).toBe(dueInMs);
    if (status === 'failed') expect(after.reason).toBe('boom');
  });

  it('a full run with the defaults: attempts 1..4, retries due after 10, 20, 30 s, the 4th failure is final', () => {
    // Prepare
    let now = NOW;
    let task: TaskRecord | undefined;
    const dueIn: number[] = [];
    const statuses: TaskStatus[] = [];

    // Act
    for (let attempt = 1; attempt <= 4; attempt++) {
      task = accepted(claimAttempt(task, taskMessage({ attempt }), now));
      task = accepted(finishAttempt(task, attempt, fail(`boom ${attempt}`), DEFAULTS, now + 100, 0.5));
      statuses.push(task.status);
      if (task.dueAt !== undefined) {
        dueIn.push(task.dueAt - (now + 100));
        now = task.dueAt;
      }
    }

    // Assess
    expect(statuses).toEqual(['retrying', 'retrying', 'retrying', 'failed']);
    expect(dueIn).toEqual([10_000, 20_000, 30_000]);
    expect(task!.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
      [4, 'failed'],
    ]);
    expect(task!.reason).toBe('boom 4');
    expect(isRejection(claimAttempt(task, taskMessage({ attempt: 5 }), now))).toBe(true);
  });

  eachCase([
    { count: 0, failedAt: 1 },
    { count: 1, failedAt: 2 },
    { count: 5, failedAt: 6 },
  ], (c) => `with count ${c.count} the failure of attempt ${c.failedAt} is final, every earlier one retries`, ({ count, failedAt }) => {
    // Prepare
    const policy = resolveRetryPolicy({ count });

    // Act
    const statuses = Array.from({ length: failedAt }, (_, i) => accepted(finishAttempt(runningAttempt(i + 1), i + 1, fail(), policy, NOW, 0)).status);

    // Assess
    expect(statuses).toEqual([...Array.from({ length: failedAt - 1 }, () => 'retrying'), 'failed']);
  });

  eachCase([
    { gapSeconds: 7, dueInMs: [7_000, 14_000, 21_000, 28_000] },
    { gapSeconds: 0, dueInMs: [0, 0, 0, 0] },
    { gapSeconds: 1.5, dueInMs: [1_500, 3_000, 4_500, 6_000] },
  ], (c) => `linear gap ${c.gapSeconds} s: the k-th retry is due gap × k after the failure`, ({ gapSeconds, dueInMs }) => {
    // Prepare
    const policy = resolveRetryPolicy({ count: 4, gapSeconds });

    // Act
    const actual = [1, 2, 3, 4].map((k) => accepted(finishAttempt(runningAttempt(k), k, fail(), policy, NOW, 0.9)).dueAt! - NOW);

    // Assess
    expect(actual).toEqual(dueInMs);
  });

  eachCase([
    { random: 0, attempt: 1, dueInMs: 0 },
    { random: 0.5, attempt: 1, dueInMs: 5_000 },
    { random: 0.5, attempt: 3, dueInMs: 20_000 },
    { random: 0.25, attempt: 3, dueInMs: 10_000 },
  ], (c) => `exponential backoff: attempt ${c.attempt} failing with random ${c.random} is due ${c.dueInMs} ms later`, ({ random, attempt, dueInMs }) => {
    // Prepare
    const policy = resolveRetryPolicy({ backoff: 'exponential' });

    // Act
    const after = accepted(finishAttempt(runningAttempt(attempt), attempt, fail(), policy, NOW, random));

    // Assess
    expect(after.dueAt).toBe(NOW + dueInMs);
  });

  it.each([1, 2])('a non-retryable error (retryable: false) fails the task at attempt %i, whatever budget is left', (attempt) => {
    // Prepare
    const error = { message: 'customer not found', code: 'NON_RETRYABLE', retryable: false };

    // Act
    const after = accepted(finishAttempt(runningAttempt(attempt), attempt, { ok: false, error }, resolveRetryPolicy({ count: 10 }), NOW, 0));

    // Assess
    expect(after).toMatchObject({ status: 'failed', reason: 'customer not found' });
    expect(after).not.toHaveProperty('dueAt');
    expect(after.attempts[attempt - 1]).toMatchObject({ status: 'failed', error });
  });

  it('a non-retryable error wins over a retryAfterMs', () => {
    // Act
    const after = accepted(
      finishAttempt(runningAttempt(1), 1, { ok: false, error: { message: 'no', retryable: false }, retryAfterMs: 1_000 }, DEFAULTS, NOW, 0),
    );

    // Assess
    expect(after.status).toBe('failed');
  });

  eachCase([
    { retryAfterMs: 30_000, attempt: 1 },
    { retryAfterMs: 1, attempt: 3 },
    { retryAfterMs: 0, attempt: 2 },
    { retryAfterMs: 86_400_000, attempt: 1 },
  ], (c) => `retryAfterMs ${c.retryAfterMs} replaces the policy gap (attempt ${c.attempt})`, ({ retryAfterMs, attempt }) => {
    // Act
    const after = accepted(finishAttempt(runningAttempt(attempt), attempt, fail('rate limited', { retryAfterMs }), DEFAULTS, NOW, 0.5));

    // Assess
    expect(after).toMatchObject({ status: 'retrying', dueAt: NOW + retryAfterMs });
  });

  it('retryAfterMs still counts against the budget: the last attempt fails for good', () => {
    // Act
    const after = accepted(finishAttempt(runningAttempt(4), 4, fail('rate limited', { retryAfterMs: 1_000 }), DEFAULTS, NOW, 0));

    // Assess
    expect(after.status).toBe('failed');
    expect(after).not.toHaveProperty('dueAt');
  });

  it('an abandoned outcome marks the attempt abandoned, not failed', () => {
    // Act
    const after = accepted(finishAttempt(runningAttempt(1), 1, fail('gone', { abandoned: true }), DEFAULTS, NOW, 0));

    // Assess
    expect(after.attempts[0]?.status).toBe('abandoned');
    expect(after.status).toBe('retrying');
  });
});

describe('finishAttempt: manual runs reset the retry budget', () => {
  eachCase([
    { attempt: 5, status: 'retrying', dueInMs: 10_000 },
    { attempt: 6, status: 'retrying', dueInMs: 20_000 },
    { attempt: 7, status: 'retrying', dueInMs: 30_000 },
    { attempt: 8, status: 'failed', dueInMs: undefined },
  ], (c) => `in a manual run started at attempt 5, the failure of attempt ${c.attempt} leaves the task ${c.status}`, ({ attempt, status, dueInMs }) => {
    // Prepare (attempts 1..4 were the first run, exhausted; a manual retry started a run at 5)
    const before = deepFreeze(runningAttempt(attempt, 5));

    // Act
    const after = accepted(finishAttempt(before, attempt, fail(), DEFAULTS, NOW, 0));

    // Assess
    expect(after.status).toBe(status);
    expect(after.dueAt === undefined ? undefined : after.dueAt - NOW).toBe(dueInMs);
  });

  it('a manual retry (queued, runStart = next attempt) is claimed as manual and gets a fresh budget', () => {
    // Prepare: the task failed after 4 attempts; the manual-retry write queues it and starts a new run at 5
    const exhausted = { ...retryingTask(4, NOW), status: 'queued' as const, runStart: 5 };
    delete (exhausted as Partial<TaskRecord>).dueAt;

    // Act
    const claimed = accepted(claimAttempt(exhausted, taskMessage({ attempt: 5, manual: true }), NOW));
    const ended = accepted(finishAttempt(claimed, 5, fail(), DEFAULTS, NOW + 1, 0));

    // Assess
    expect(claimed.attempts[4]).toMatchObject({ attempt: 5, manual: true, status: 'running' });
    expect(ended).toMatchObject({ status: 'retrying', dueAt: NOW + 1 + 10_000, runStart: 5 });
  });
});

describe('finishAttempt: duplicate and out-of-order ends are rejected', () => {
  eachCase([
    { name: 'an older attempt than the running one', task: () => runningAttempt(3), attempt: 2 },
    { name: 'a newer attempt than the running one', task: () => runningAttempt(3), attempt: 4 },
    { name: 'the same attempt again after it succeeded', task: () => succeededTask({ y: 1 }), attempt: 1 },
    { name: 'the same attempt again after it failed and is retrying', task: () => retryingTask(1, NOW), attempt: 1 },
    { name: 'the same attempt again after the task failed for good', task: () => ({ ...retryingTask(4, NOW), status: 'failed' as const }), attempt: 4 },
    { name: 'an attempt of a queued task', task: () => ({ ...retryingTask(2, NOW), status: 'queued' as const }), attempt: 2 },
    { name: 'attempt 0', task: () => runningAttempt(1), attempt: 0 },
  ], (c) => `${c.name} is rejected and changes nothing`, ({ task, attempt }) => {
    // Prepare
    const before = deepFreeze(task());

    // Act
    const results = [ok({ late: 1 }), fail('late')].map((outcome) => finishAttempt(before, attempt, outcome, DEFAULTS, NOW + 1, 0));

    // Assess
    for (const r of results) expect(isRejection(r)).toBe(true);
  });

  it('a running task whose attempt list is missing the running attempt is rejected', () => {
    // Prepare
    const broken = deepFreeze(taskRecord({ attemptCount: 2, attempts: endedAttempts(1) }));

    // Act / Assess
    expect(finishAttempt(broken, 2, ok(), DEFAULTS, NOW, 0)).toEqual({ rejected: true, reason: 'attempt 2 has no record' });
  });

  it('a second finish of the same attempt is rejected whichever outcome came first', () => {
    // Prepare
    const running = deepFreeze(runningAttempt(1));

    // Act
    const afterSuccess = accepted(finishAttempt(running, 1, ok(), DEFAULTS, NOW, 0));
    const afterFailure = accepted(finishAttempt(running, 1, fail(), DEFAULTS, NOW, 0));

    // Assess
    expect(isRejection(finishAttempt(afterSuccess, 1, fail(), DEFAULTS, NOW, 0))).toBe(true);
    expect(isRejection(finishAttempt(afterFailure, 1, ok(), DEFAULTS, NOW, 0))).toBe(true);
  });
});

describe('attempt history', () => {
  it('attempts are appended, never overwritten: earlier attempt records stay as they ended', () => {
    // Prepare
    let task = accepted(claimAttempt(undefined, taskMessage({ attempt: 1 }), NOW));
    task = deepFreeze(accepted(finishAttempt(task, 1, fail('first'), DEFAULTS, NOW + 1_000, 0)));
    const firstEnded = structuredClone(task.attempts[0]);

    // Act
    task = deepFreeze(accepted(claimAttempt(task, taskMessage({ attempt: 2, input: { edited: true } }), NOW + 11_000)));
    task = deepFreeze(accepted(finishAttempt(task, 2, fail('second'), DEFAULTS, NOW + 12_000, 0)));
    const secondEnded = structuredClone(task.attempts[1]);
    task = deepFreeze(accepted(claimAttempt(task, taskMessage({ attempt: 3, manual: false }), NOW + 40_000)));
    task = accepted(finishAttempt(task, 3, ok({ done: true }), DEFAULTS, NOW + 41_000, 0));

    // Assess
    expect(task.attempts).toHaveLength(3);
    expect(task.attempts[0]).toEqual(firstEnded);
    expect(task.attempts[1]).toEqual(secondEnded);
    expect(task.attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'succeeded']);
    expect(task.attempts[1]?.input).toEqual({ edited: true });
    expect(task.attempts[2]?.output).toEqual({ done: true });
  });
});

describe('expireLease', () => {
  eachCase([
    { name: 'long before the lease ends', offset: -300_000 },
    { name: 'one ms before the lease ends', offset: -1 },
    // the store's condition is strict (`leaseUntil < :now`); the core agrees, so no caller needs a +1 workaround
    { name: 'exactly at the lease end', offset: 0 },
  ], (c) => `is rejected ${c.name}`, ({ offset }) => {
    // Prepare
    const task = deepFreeze(runningAttempt(1));

    // Act / Assess
    expect(expireLease(task, DEFAULTS, task.leaseUntil! + offset, 0)).toEqual({ rejected: true, reason: 'lease has not expired' });
  });

  it.each([1, 3_600_000])('is accepted %i ms after the lease end (strictly after leaseUntil, like the store condition)', (offset) => {
    // Prepare
    const task = deepFreeze(runningAttempt(1));

    // Act / Assess
    expect(isRejection(expireLease(task, DEFAULTS, task.leaseUntil! + offset, 0))).toBe(false);
  });

  it('marks the running attempt abandoned (LEASE_EXPIRED, retryable) and schedules a retry from the policy', () => {
    // Prepare
    const task = deepFreeze(runningAttempt(2));
    const at = task.leaseUntil! + 1;

    // Act
    const after = accepted(expireLease(task, DEFAULTS, at, 0));

    // Assess
    expect(after).toMatchObject({ status: 'retrying', attemptCount: 2, dueAt: at + 20_000 });
    // "abandoned", as the attempt's status says: the provider may not have failed at all.
    expect(after.reason).toBe('attempt 2 abandoned: lease expired: the provider did not finish in time');
    expect(after.attempts[1]).toMatchObject({ status: 'abandoned', endedAt: new Date(at).toISOString(), error: { code: 'LEASE_EXPIRED', retryable: true } });
    expect(after.attempts[0]).toEqual(task.attempts[0]);
  });

  it('abandons a live lease only when told why, and records that cause as the attempt\'s error and the task\'s reason', () => {
    // Prepare
    const task = deepFreeze(runningAttempt(1));
    const cause = { message: 'the local stack restarted while this attempt ran', code: 'LOCAL_STACK_RESTARTED', retryable: true };

    // Act
    const after = accepted(expireLease(task, DEFAULTS, task.leaseUntil! - 60_000, 0, cause));

    // Assess
    expect(after.status).toBe('retrying');
    expect(after.reason).toBe('attempt 1 abandoned: the local stack restarted while this attempt ran');
    expect(after.attempts[0]).toMatchObject({ status: 'abandoned', error: cause });
  });

  it('an expired lease on the last attempt of the budget fails the task', () => {
    // Prepare
    const task = runningAttempt(4);

    // Act
    const after = accepted(expireLease(task, DEFAULTS, task.leaseUntil! + 1, 0));

    // Assess
    expect(after.status).toBe('failed');
    expect(after.attempts[3]?.status).toBe('abandoned');
  });

  eachCase([
    { name: 'a retrying task', task: () => retryingTask(1, NOW) },
    { name: 'a succeeded task', task: () => succeededTask({}) },
    { name: 'a queued task', task: () => ({ ...retryingTask(1, NOW), status: 'queued' as const }) },
    { name: 'a running task without a lease', task: () => taskRecord({ leaseUntil: undefined }) },
  ], (c) => `is rejected on ${c.name}`, ({ task }) => {
    // Act / Assess
    expect(isRejection(expireLease(deepFreeze(task()), DEFAULTS, NOW + 10 * 86_400_000, 0))).toBe(true);
  });
});

describe('isRejection', () => {
  eachCase([
    { value: { rejected: true, reason: 'x' }, expected: true },
    { value: taskRecord(), expected: false },
  ], (c) => `tells a rejection from a record (${c.expected})`, ({ value, expected }) => {
    // Act / Assess
    expect(isRejection(value)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Property test: random event streams (duplicates, reorderings, stale and bogus attempt numbers) never break the
// invariants of the task state machine. A seeded PRNG makes every failure reproducible: the message names the seed.
// ---------------------------------------------------------------------------------------------------------------

type TaskEvent =
  | { kind: 'claim'; attempt: number; manual: boolean }
  | { kind: 'finish'; attempt: number; outcome: AttemptOutcome }
  | { kind: 'expire'; lateBy: number };

function describeEvent(e: TaskEvent): string {
  if (e.kind === 'claim') return `claim#${e.attempt}`;
  if (e.kind === 'finish') return `finish#${e.attempt}:${e.outcome.ok ? 'ok' : e.outcome.error.retryable === false ? 'fatal' : 'fail'}`;
  return `expire(+${e.lateBy})`;
}

function apply(task: TaskRecord | undefined, e: TaskEvent, policy: RetryPolicy, now: number, random: number) {
  if (e.kind === 'claim') return claimAttempt(task, taskMessage({ attempt: e.attempt, manual: e.manual }), now);
  if (!task) return { rejected: true as const, reason: 'no task' };
  if (e.kind === 'finish') return finishAttempt(task, e.attempt, e.outcome, policy, now, random);
  return expireLease(task, policy, (task.leaseUntil ?? now) + e.lateBy, random);
}

/** Every invariant a step must keep; returns the broken ones. */
function violations(prev: TaskRecord | undefined, next: TaskRecord | undefined, rejected: boolean, policy: RetryPolicy): string[] {
  const out: string[] = [];
  if (rejected && next !== prev) out.push('a rejected event changed the task');
  if (!next) return out;
  if (prev && next.attemptCount < prev.attemptCount) out.push(`attemptCount decreased ${prev.attemptCount} → ${next.attemptCount}`);
  if (next.attempts.length !== next.attemptCount) out.push(`attempts.length ${next.attempts.length} ≠ attemptCount ${next.attemptCount}`);
  next.attempts.forEach((a, i) => a.attempt !== i + 1 && out.push(`attempts[${i}] is attempt ${a.attempt}`));
  if (prev && (prev.status === 'succeeded' || prev.status === 'failed') && next !== prev) out.push(`terminal ${prev.status} changed to ${next.status}`);
  if (prev) {
    // Attempts that had ended before this step never change again; the one that was running may only end.
    prev.attempts.forEach((a, i) => {
      if (a.status !== 'running' && JSON.stringify(next.attempts[i]) !== JSON.stringify(a)) out.push(`ended attempt ${i + 1} was rewritten`);
    });
  }
  const running = next.attempts.filter((a) => a.status === 'running');
  if (running.length > 1) out.push(`${running.length} attempts running`);
  if (running.length === 1 && (next.status !== 'running' || next.attempts[next.attempts.length - 1]?.status !== 'running')) {
    out.push(`attempt running while the task is ${next.status}`);
  }
  if (next.status === 'running' && running.length !== 1) out.push('task running without a running attempt');
  if (next.status === 'running' && (next.leaseUntil === undefined || next.dueAt !== undefined)) out.push('running without a lease, or with a due time');
  if (next.status === 'retrying' && next.dueAt === undefined) out.push('retrying without a due time');
  if (next.status !== 'running' && next.leaseUntil !== undefined) out.push(`${next.status} with a lease`);
  if (next.attemptCount - next.runStart > policy.count) out.push(`${next.attemptCount - next.runStart} retries in one run, budget ${policy.count}`);
  if (next.status === 'succeeded' && next.attempts[next.attempts.length - 1]?.status !== 'succeeded') out.push('succeeded but the last attempt did not');
  return out;
}

describe('property: random event streams keep the task invariants', () => {
  it('500 seeded sequences of claims, finishes and lease expiries, with duplicates and reorderings', () => {
    const failures: string[] = [];
    let acceptedCount = 0;
    let rejectedCount = 0;
    let terminal = 0;
    let threeOrMoreAttempts = 0;

    for (let seed = 1; seed <= 500 && failures.length === 0; seed++) {
      // Prepare
      const rnd = seededRandom(seed);
      const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
      const policy = resolveRetryPolicy({ count: int(0, 3), gapSeconds: int(0, 20), backoff: rnd() < 0.5 ? 'linear' : 'exponential' });
      const randomOutcome = (): AttemptOutcome => {
        const r = rnd();
        if (r < 0.25) return ok({ seed, r: Math.round(r * 1000) });
        if (r < 0.33) return { ok: false, error: { message: 'fatal', retryable: false } };
        if (r < 0.45) return fail('slow down', { retryAfterMs: int(0, 60_000) });
        return fail();
      };
      /** The events a provider fleet would send next: what is due, duplicated and out of order in the bag. */
      const inFlight: TaskEvent[] = [];
      const history: string[] = [];
      let task: TaskRecord | undefined;
      let now = NOW;

      for (let step = 0; step < 40; step++) {
        // A well-formed next event joins the in-flight bag; bogus events with random attempt numbers are mixed in.
        const n = task?.attemptCount ?? 0;
        const r = rnd();
        if (r < 0.45) inFlight.push(task?.status === 'running' ? { kind: 'finish', attempt: n, outcome: randomOutcome() } : { kind: 'claim', attempt: n + 1, manual: rnd() < 0.1 });
        else if (r < 0.55) inFlight.push({ kind: 'claim', attempt: int(0, 6), manual: false });
        else if (r < 0.65) inFlight.push({ kind: 'finish', attempt: int(0, 6), outcome: randomOutcome() });
        else if (r < 0.72) inFlight.push({ kind: 'expire', lateBy: int(-1_000, 1_000) });
        if (inFlight.length === 0) continue;

        // Deliver a random in-flight event (reordering); keep it in the bag now and then (a duplicate delivery).
        const pick = int(0, inFlight.length - 1);
        const event = inFlight[pick]!;
        if (rnd() < 0.7) inFlight.splice(pick, 1);
        now += int(0, 120_000);

        // Act
        const prev = task;
        const result = apply(prev, event, policy, now, rnd());
        const rejected = isRejection(result);
        if (!rejected) {
          task = deepFreeze(result);
          acceptedCount++;
        } else rejectedCount++;
        history.push(`${describeEvent(event)}${rejected ? '✗' : `→${task!.status}`}`);

        // Assess (collected, so 20 000 steps stay fast; the first broken sequence is reported in full)
        const broken = violations(prev, task, rejected, policy);
        if (broken.length > 0) failures.push(`seed ${seed}, step ${step}: ${broken.join('; ')}\n  ${history.join(' ')}`);
      }
      if (task && (task.status === 'succeeded' || task.status === 'failed')) terminal++;
      if (task && task.attemptCount >= 3) threeOrMoreAttempts++;
    }

    expect(failures).toEqual([]);
    // The generator must actually exercise the machine, not only produce rejections.
    expect(acceptedCount).toBeGreaterThan(1_500);
    expect(rejectedCount).toBeGreaterThan(5_000);
    expect(terminal).toBeGreaterThan(400);
    expect(threeOrMoreAttempts).toBeGreaterThan(50);
  });
});
