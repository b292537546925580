/**
 * The engine's console views on the in-memory world: counts by status within a window, the token views (names
 * and statuses of holder and waiters, a holder that is giving its token back shown as free, cursors), and the
 * worker inboxes (declared and seen ones, a claim by a worker recorded, 404 for an inbox that names nothing).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine, type MemoryEngine } from '../../../functions/adapters/memory';
import { JobxError } from '../../../functions/core/errors';
import type { JobRecord } from '../../../functions/core/model';
import type { JobStatus } from '../../../functions/core/statuses';
import { countJobs } from '../../../functions/engine/job-counts';
import { executorView, listExecutors } from '../../../functions/engine/executors';
import { listTokens, tokenAfterCursor, tokenCursor, tokenView } from '../../../functions/engine/token-views';
import { claimForWorker } from '../../../functions/engine/workers';
import { NOW, isoAt, pipelineJob, taskMessage } from '../../helpers/core-factories';

const world = (): MemoryEngine => createMemoryEngine({ routes: ['demo', 'demo@edge-lambda'], externalProviders: ['ext'] });
const root = (jobId: string, ms: number, status: JobStatus, extra: Partial<JobRecord> = {}): JobRecord =>
  pipelineJob({ jobId, rootId: jobId, createdAt: isoAt(ms), updatedAt: isoAt(ms), status, name: `n-${jobId}`, ...extra });

describe('countJobs', () => {
  it('counts the matching roots by status among the newest `window`, every status present, and says whether that was all', async () => {
    const w = world();
    const statuses: JobStatus[] = ['succeeded', 'failed', 'succeeded', 'running', 'pending', 'paused', 'discarded'];
    // 250 roots: more than two store pages; the newest seven have the statuses above, owner `a` or `b`.
    for (let i = 0; i < 243; i++) await w.store.createJobs([root(`OLD${i}`, i, 'succeeded', { owner: 'old' })]);
    for (let i = 0; i < statuses.length; i++) await w.store.createJobs([root(`NEW${i}`, 10_000 + i, statuses[i]!, { owner: i % 2 ? 'b' : 'a' })]);

    expect(await countJobs(w.deps, { window: 7 })).toEqual({ counts: { pending: 1, running: 1, paused: 1, succeeded: 2, failed: 1, discarded: 1 }, scanned: 7, complete: false });
    expect(await countJobs(w.deps, { window: 7, owner: 'a' })).toEqual({ counts: { pending: 1, running: 0, paused: 0, succeeded: 2, failed: 0, discarded: 1 }, scanned: 7, complete: false });
    expect(await countJobs(w.deps, { window: 7, owner: 'b', name: 'n-NEW1' })).toMatchObject({ counts: { failed: 1, running: 0 }, scanned: 7 });
    const all = await countJobs(w.deps, { window: 2_000 });
    expect(all).toEqual({ counts: { pending: 1, running: 1, paused: 1, succeeded: 245, failed: 1, discarded: 1 }, scanned: 250, complete: true });
    // A window of exactly every root covers them all.
    expect((await countJobs(w.deps, { window: 250 })).complete).toBe(true);
    expect(await countJobs(createMemoryEngine({ routes: [] }).deps, { window: 500 })).toEqual({ counts: { pending: 0, running: 0, paused: 0, succeeded: 0, failed: 0, discarded: 0 }, scanned: 0, complete: true });
  });
});

describe('token views', () => {
  async function queue(w: MemoryEngine) {
    const holder = root('H1', 0, 'pending', { tokens: ['lock'] });
    await w.store.createJobs([holder]);
    await w.store.createJobs([root('W1', 1000, 'pending', { tokens: ['lock'] })]);
    await w.store.createJobs([root('W2', 2000, 'pending', { tokens: ['lock', 'other'] })]);
    await w.store.acquireTokens(holder, {});
    return holder;
  }

  it('GET /tokens/{token}: the holder and every waiter in order, each with its job name and status', async () => {
    const w = world();
    await queue(w);
    const view = await tokenView(w.deps, 'lock');
    expect(view).toEqual({
      token: 'lock',
      holder: { jobId: 'H1', since: isoAt(0), name: 'n-H1', status: 'running' },
      waiters: [
        { jobId: 'W1', createdAt: isoAt(1000), name: 'n-W1', status: 'pending' },
        { jobId: 'W2', createdAt: isoAt(2000), name: 'n-W2', status: 'pending' },
      ],
    });
    await expect(tokenView(w.deps, 'unused')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a holder that finished (not failed) is giving its token back: shown as free, in the list and the view', async () => {
    const w = world();
    await queue(w);
    await w.store.transitionJob('H1', ['running'], { status: 'succeeded', endedAt: isoAt(5000) });
    expect((await tokenView(w.deps, 'lock')).holder).toBeUndefined();
    expect((await listTokens(w.deps, { limit: 10 })).items).toEqual([
      { token: 'lock', waiting: 2 },
      { token: 'other', waiting: 1 },
    ]);
    // A failed holder keeps its token (it may be retried).
    const w2 = world();
    await queue(w2);
    await w2.store.transitionJob('H1', ['running'], { status: 'failed', endedAt: isoAt(5000) });
    expect((await tokenView(w2.deps, 'lock')).holder).toMatchObject({ jobId: 'H1', status: 'failed' });
  });

  it('GET /tokens pages in name order with a cursor the API alone writes', async () => {
    const w = world();
    await queue(w);
    const first = await listTokens(w.deps, { limit: 1 });
    expect(first).toEqual({ items: [{ token: 'lock', holder: { jobId: 'H1', since: isoAt(0), name: 'n-H1', status: 'running' }, waiting: 2 }], cursor: tokenCursor('lock') });
    expect(await listTokens(w.deps, { limit: 1, cursor: first.cursor! })).toEqual({ items: [{ token: 'other', waiting: 1 }] });
    expect(tokenAfterCursor(tokenCursor('a:b.c'))).toBe('a:b.c');
    for (const bad of ['', 'not base64!', Buffer.from('a b').toString('base64url'), `${tokenCursor('x')}=`]) {
      expect(() => tokenAfterCursor(bad), bad).toThrow(JobxError);
    }
  });
});

describe('executors', () => {
  it('lists declared inboxes and the ones offered a task; a claim by a worker shows as a recent claim', async () => {
    const w = world();
    w.clock.set(NOW);
    const message = taskMessage({ jobId: 'E1', preLock: 'edge-1', taskIndex: 1, taskId: 't2' });
    await w.store.offer('exec:edge-1', NOW, message);
    await w.store.offer('exec:edge-1', NOW + 60_000, taskMessage({ jobId: 'E2', preLock: 'edge-1' }));

    const before = await listExecutors(w.deps);
    expect(before.map((e) => e.target)).toEqual(['exec:edge-1', 'exec:edge-lambda', 'prov:ext']);
    expect(before[0]).toEqual({ target: 'exec:edge-1', offersWaiting: 2, oldestOfferAt: isoAt(0), recentClaims: [] });
    expect(before[2]).toEqual({ target: 'prov:ext', offersWaiting: 0, recentClaims: [] });

    const claimed = await claimForWorker(w.deps, 'edge-1', [], 0);
    expect(claimed).toMatchObject({ jobId: 'E1', taskId: 't2', attempt: 1 });
    const detail = await executorView(w.deps, 'exec:edge-1');
    expect(detail).toEqual({
      target: 'exec:edge-1',
      offersWaiting: 1,
      oldestOfferAt: isoAt(60_000),
      recentClaims: [{ jobId: 'E1', taskId: 't2', attempt: 1, workerId: 'edge-1', at: isoAt(0) }],
      offers: [{ jobId: 'E2', taskId: 't1', attempt: 1, visibleAt: isoAt(60_000) }],
    });
  });

  it('an inbox neither declared nor offered a task is 404; a declared one is there, empty', async () => {
    const w = world();
    await expect(executorView(w.deps, 'exec:ghost')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await executorView(w.deps, 'prov:ext')).toEqual({ target: 'prov:ext', offersWaiting: 0, recentClaims: [], offers: [] });
  });
});
