/**
 * Retry delivery routing: delays up to SQS's 900 s limit ride on DelaySeconds, longer ones go through the
 * scheduler, due ones are sent at once; a task pinned to an executor without a deployment waits in its inbox.
 */
import { describe, expect, it } from 'vitest';
import type { TaskMessage } from '../../../functions/core/model';
import { dispatch } from '../../../functions/engine/dispatch';
import { dispatch as effectsDispatch } from '../../../functions/engine/effects';
import type { EngineDeps } from '../../../functions/ports';

const NOW = Date.parse('2026-11-25T10:00:00.000Z');

function fakeDeps(routes: readonly string[] = ['demo']) {
  const sent: Array<{ message: TaskMessage; delaySeconds?: number }> = [];
  const scheduled: Array<{ name: string; at: number; message: TaskMessage }> = [];
  const offered: Array<{ target: string; visibleAt: number; message: TaskMessage }> = [];
  const deps = {
    store: {
      offer: async (target: string, visibleAt: number, message: TaskMessage) => {
        offered.push({ target, visibleAt, message });
      },
    },
    queue: {
      hasProvider: (route: string) => routes.includes(route),
      isExternal: () => false,
      send: async (message: TaskMessage, delaySeconds?: number) => {
        sent.push(delaySeconds === undefined ? { message } : { message, delaySeconds });
      },
    },
    scheduler: {
      scheduleAt: async (name: string, at: number, message: TaskMessage) => {
        scheduled.push({ name, at, message });
      },
    },
    clock: { now: () => NOW, random: () => 0.5 },
  } as unknown as EngineDeps;
  return { deps, sent, scheduled, offered };
}

const message = { jobId: '01ABC.2', taskIndex: 1, attempt: 3, provider: 'demo' } as TaskMessage;

describe('dispatch', () => {
  it('sends a message that is due now without a delay', async () => {
    const { deps, sent, scheduled } = fakeDeps();
    await dispatch(deps, message);
    await dispatch(deps, message, NOW - 5_000);
    expect(sent).toEqual([{ message }, { message }]);
    expect(scheduled).toEqual([]);
  });

  it.each([
    [1_000, 1],
    [10_500, 11],
    [900_000, 900],
  ])('a delay of %i ms rides on SQS DelaySeconds=%i (never early)', async (ms, seconds) => {
    const { deps, sent, scheduled } = fakeDeps();
    await dispatch(deps, message, NOW + ms);
    expect(sent).toEqual([{ message, delaySeconds: seconds }]);
    expect(scheduled).toEqual([]);
  });

  it('a delay over 900 s goes through a one-time schedule named per attempt (idempotent on replay)', async () => {
    const { deps, sent, scheduled } = fakeDeps();
    await dispatch(deps, message, NOW + 901_000);
    expect(sent).toEqual([]);
    expect(scheduled).toEqual([{ name: 'jobx-01ABC.2-1-3', at: NOW + 901_000, message }]);
  });

  it('a pinned task with a deployment: its long retry is scheduled for the same attempt (the scheduler routes it to provider@executor)', async () => {
    const { deps, sent, scheduled, offered } = fakeDeps(['demo', 'demo@edge']);
    const pinned = { ...message, preLock: 'edge' };
    await dispatch(deps, pinned, NOW + 3_600_000);
    expect(scheduled).toEqual([{ name: 'jobx-01ABC.2-1-3', at: NOW + 3_600_000, message: pinned }]);
    expect(sent).toEqual([]);
    expect(offered).toEqual([]);
  });

  it('a pinned task without a deployment: its long retry waits in the executor inbox until due, never on a queue', async () => {
    const { deps, sent, scheduled, offered } = fakeDeps(['demo']);
    const pinned = { ...message, preLock: 'offline' };
    await dispatch(deps, pinned, NOW + 3_600_000);
    await dispatch(deps, pinned, NOW + 60_000);
    expect(offered).toEqual([
      { target: 'exec:offline', visibleAt: NOW + 3_600_000, message: pinned },
      { target: 'exec:offline', visibleAt: NOW + 60_000, message: pinned },
    ]);
    expect(sent).toEqual([]);
    expect(scheduled).toEqual([]);
  });

  it('effects.ts still exports dispatch, routing the same way', async () => {
    const { deps, scheduled } = fakeDeps();
    await effectsDispatch(deps, message, NOW + 901_000);
    expect(scheduled).toEqual([{ name: 'jobx-01ABC.2-1-3', at: NOW + 901_000, message }]);
  });
});
