/**
 * Tokens: roots that hold the same token never run at the same time. A root takes all its tokens at once, only
 * when it heads every queue it waits in (so waiters start in submission order and two roots wanting the same
 * tokens in another order cannot deadlock); a release wakes the head of each queue through the stream, and the
 * sweeper repeats the attempt for every waiting root, so no wake-up is lost.
 * @module
 */
import { JobxError } from '../core/errors';
import type { JobRecord } from '../core/model';
import { isTerminalJob } from '../core/statuses';
import type { EngineDeps, TokenState } from '../ports';

/** Tries to start a pending root by taking its tokens. Returns true when it started. */
export async function acquireTokens(deps: EngineDeps, jobId: string): Promise<boolean> {
  const job = await deps.store.getJob(jobId);
  if (!job || job.status !== 'pending' || job.parentId !== undefined || !job.tokens?.length) return false;
  const stale: Record<string, string> = {};
  for (const token of job.tokens) {
    const state = await deps.store.tokenState(token, 1);
    const head = state.waiters[0];
    if (head && head.jobId !== jobId) {
      await deps.store.setWaitingReason(jobId, `waiting for token ${token}: ${head.jobId} is ahead in the queue${state.holder ? ` (held by ${state.holder.jobId})` : ''}`);
      return false;
    }
    if (state.holder && state.holder.jobId !== jobId) {
      // A holder that finished without releasing (its release was lost) no longer holds anything.
      const holder = await deps.store.getJob(state.holder.jobId);
      if (holder && (holder.status === 'succeeded' || holder.status === 'discarded')) stale[token] = holder.jobId;
      else {
        await deps.store.setWaitingReason(jobId, `waiting for token ${token} held by ${state.holder.jobId}`);
        return false;
      }
    }
  }
  return deps.store.acquireTokens(job, stale);
}

/** Gives a finished root's tokens back and wakes the next waiter of each. */
export async function releaseTokens(deps: EngineDeps, job: Pick<JobRecord, 'jobId' | 'tokens' | 'createdAt'>): Promise<void> {
  await deps.store.releaseTokens(job);
  const next = new Set<string>();
  for (const token of job.tokens ?? []) {
    const head = (await deps.store.tokenState(token, 1)).waiters[0];
    if (head) next.add(head.jobId);
  }
  for (const jobId of next) await acquireTokens(deps, jobId);
}

/** `GET /tokens/{token}`: holder and queue; 404 when nobody holds or waits for it. */
export async function tokenView(deps: EngineDeps, token: string): Promise<TokenState> {
  const state = await deps.store.tokenState(token, 1000);
  if (!state.holder && state.waiters.length === 0) throw new JobxError('NOT_FOUND', `token ${token} is neither held nor awaited`, { token });
  if (state.holder) {
    const holder = await deps.store.getJob(state.holder.jobId);
    // A holder whose release is still on its way (or was lost) shows as free.
    if (holder && isTerminalJob(holder.status) && holder.status !== 'failed') delete state.holder;
  }
  return state;
}
