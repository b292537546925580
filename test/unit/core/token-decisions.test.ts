/**
 * Token decisions (invariant 6): a root takes a token only when nobody ahead of it can run and nobody holds it
 * (a holder that succeeded, or was discarded with no attempt left running, holds nothing); an orphan at the head
 * of a queue leaves it; a discarded root keeps its tokens while an attempt it started runs.
 */
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../functions/core/model';
import { canAcquire, decideRelease, decideToken } from '../../../functions/core/token-decisions';
import { NOW_ISO, pipelineJob } from '../../helpers/core-factories';

const me = pipelineJob({ jobId: 'ME', rootId: 'ME', status: 'pending', tokens: ['A'] });
const other = (o: Partial<JobRecord>) => pipelineJob({ jobId: 'H', rootId: 'H', createdAt: NOW_ISO, ...o });

describe('decideToken', () => {
  it('a free token with nobody ahead is free', () => {
    expect(decideToken({ token: 'A' })).toEqual({ kind: 'free' });
  });

  it('a pending root ahead in the queue makes the root wait, naming it and the holder', () => {
    expect(decideToken({ token: 'A', head: { waiter: { jobId: 'H', createdAt: NOW_ISO }, job: other({ status: 'pending' }) }, holder: { jobId: 'X', job: undefined, live: false } })).toEqual({
      kind: 'wait',
      reason: 'waiting for token A: H is ahead in the queue (held by X)',
    });
  });

  it('a head whose job is gone, finished, or another submission of its id is an orphan that leaves the queue', () => {
    const waiter = { jobId: 'H', createdAt: NOW_ISO };
    expect(decideToken({ token: 'A', head: { waiter, job: undefined } })).toEqual({ kind: 'removeOrphan', waiter });
    for (const status of ['succeeded', 'failed', 'discarded'] as const) expect(decideToken({ token: 'A', head: { waiter, job: other({ status }) } }).kind).toBe('removeOrphan');
    expect(decideToken({ token: 'A', head: { waiter, job: other({ status: 'pending', createdAt: '2026-01-02T00:00:00.000Z' }) } }).kind).toBe('removeOrphan');
  });

  it('a holder that succeeded, or was discarded with no live attempt, is stale; a running, failed or live discarded holder holds (I6)', () => {
    const holder = (status: 'succeeded' | 'discarded' | 'running' | 'failed', live = false) => ({ token: 'A', holder: { jobId: 'H', job: other({ status }), live } });
    expect(decideToken(holder('succeeded'))).toEqual({ kind: 'free', stale: 'H' });
    expect(decideToken(holder('discarded'))).toEqual({ kind: 'free', stale: 'H' });
    expect(decideToken(holder('discarded', true))).toEqual({ kind: 'wait', reason: 'waiting for token A held by H' });
    expect(decideToken(holder('running')).kind).toBe('wait');
    // A failed holder keeps its tokens: it may be retried by hand and must not be overtaken meanwhile.
    expect(decideToken(holder('failed')).kind).toBe('wait');
  });
});

describe('canAcquire and decideRelease', () => {
  it('only a pending root with tokens, not staging, tries to take them', () => {
    expect(canAcquire(me)).toBe(true);
    expect(canAcquire(undefined)).toBe(false);
    expect(canAcquire({ ...me, status: 'running' })).toBe(false);
    expect(canAcquire({ ...me, tokens: [] })).toBe(false);
    expect(canAcquire({ ...me, parentId: 'P' })).toBe(false);
    expect(canAcquire({ ...me, staging: { nonce: 'n', parts: 2 } })).toBe(false);
  });

  it('a discarded root keeps its tokens while an attempt it started runs (I6)', () => {
    expect(decideRelease({ ...me, status: 'discarded' }, true)).toBe(false);
    expect(decideRelease({ ...me, status: 'discarded' }, false)).toBe(true);
    expect(decideRelease({ ...me, status: 'succeeded' }, false)).toBe(true);
  });
});
