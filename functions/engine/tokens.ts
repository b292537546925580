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
  // A root still creating its descendants queues for its tokens only once they all exist.
  if (!job || job.status !== 'pending' || job.parentId !== undefined || !job.tokens?.length || job.staging) return false;
  const stale: Record<string, string> = {};
  for (const token of job.tokens) {
    let state = await deps.store.tokenState(token, 1);
    let head = state.waiters[0];
    // A queue never blocks on a job that cannot run: a head whose job finished, or that names no job, leaves it.
    // Only its waiter item goes (a head that is running has just taken the token: it is read again, not touched).
    for (let i = 0; head && head.jobId !== jobId && i < 10; i++) {
      const headJob = await deps.store.getJob(head.jobId);
      const orphan = !headJob || headJob.createdAt !== head.createdAt || isTerminalJob(headJob.status);
      if (headJob?.status === 'pending' && !orphan) break;
      if (orphan) await deps.store.removeWaiter(token, head);
      state = await deps.store.tokenState(token, 1);
      head = state.waiters[0];
    }
    if (head && head.jobId !== jobId) {
      await deps.store.setWaitingReason(jobId, `waiting for token ${token}: ${head.jobId} is ahead in the queue${state.holder ? ` (held by ${state.holder.jobId})` : ''}`);
      return false;
    }
    if (state.holder && state.holder.jobId !== jobId) {
      // A holder that finished without releasing (its release was lost) no longer holds anything.
      const holder = await deps.store.getJob(state.holder.jobId);
      // A discarded holder still holds while an attempt it started runs (invariant 6).
      if (holder && (holder.status === 'succeeded' || (holder.status === 'discarded' && !(await hasLiveAttempts(deps, holder.jobId))))) stale[token] = holder.jobId;
      else {
        await deps.store.setWaitingReason(jobId, `waiting for token ${token} held by ${state.holder.jobId}`);
        return false;
      }
    }
  }
  return deps.store.acquireTokens(job, stale);
}

/**
 * Gives a finished root's tokens back and wakes the next waiter of each. A discarded root keeps them while an
 * attempt it started still runs: that attempt's late report, or the sweeper once its lease ran out, releases them.
 */
export async function releaseTokens(deps: EngineDeps, job: Pick<JobRecord, 'jobId' | 'tokens' | 'createdAt'>): Promise<void> {
  const root = await deps.store.getJob(job.jobId);
  if (root?.status === 'discarded' && (await hasLiveAttempts(deps, job.jobId))) return;
  await deps.store.releaseTokens(job);
  // A discarded root stayed on the sweeper's index for this moment only.
  if (root?.status === 'discarded') await deps.store.deactivateRoot(job.jobId);
  const next = new Set<string>();
  for (const token of job.tokens ?? []) {
    const head = (await deps.store.tokenState(token, 1)).waiters[0];
    if (head) next.add(head.jobId);
  }
  for (const jobId of next) await acquireTokens(deps, jobId);
}

/**
 * Whether a job or any job under it still has an attempt whose provider may run (a running attempt within its
 * lease). An attempt of a discarded task whose lease ran out is ended on the way (abandoned, lease expired).
 */
export async function hasLiveAttempts(deps: EngineDeps, jobId: string): Promise<boolean> {
  const tree = await deps.store.getJobTree(jobId);
  if (!tree) return false;
  const now = deps.clock.now();
  for (const task of tree.tasks) {
    const attempt = task?.attempts[task.attemptCount - 1];
    if (!task || attempt?.status !== 'running') continue;
    if ((task.leaseUntil ?? 0) >= now) return true;
    if (task.status === 'discarded') {
      const error = { message: 'lease expired after the job was discarded', code: 'LEASE_EXPIRED', retryable: false };
      await deps.store.recordLateResult(task.jobId, task.taskIndex, task.attemptCount, { error }, new Date(now).toISOString());
    }
  }
  for (const child of tree.children) if (await hasLiveAttempts(deps, child.jobId)) return true;
  return false;
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
