/**
 * Tokens: roots that hold the same token never run at the same time. A root takes all its tokens at once, only
 * when it heads every queue it waits in (so waiters start in submission order and two roots wanting the same
 * tokens in another order cannot deadlock); a release wakes the head of each queue through the stream, and the
 * sweeper repeats the attempt for every waiting root, so no wake-up is lost.
 * @module
 */
import type { JobRecord } from '../core/model';
import { canAcquire, decideRelease, decideToken, type TokenLook, type TokenStep } from '../core/token-decisions';
import type { EngineDeps } from '../ports';

/** Rounds of look → decide → commit before a root gives up for now (the next wake-up or sweep tries again). */
const MAX_ROUNDS = 10;

/** Reads what a root needs to know about one token: the head of its queue and its holder, when they are others. */
async function lookAt(deps: EngineDeps, jobId: string, token: string): Promise<TokenLook> {
  const state = await deps.store.tokenState(token, 1);
  const look: TokenLook = { token };
  const head = state.waiters[0];
  if (head && head.jobId !== jobId) look.head = { waiter: head, job: await deps.store.getJob(head.jobId) };
  if (state.holder && state.holder.jobId !== jobId) {
    const job = await deps.store.getJob(state.holder.jobId);
    // Whether a discarded holder still has an attempt running matters only for a discarded holder.
    const live = job?.status === 'discarded' ? await hasLiveAttempts(deps, job.jobId) : false;
    look.holder = { jobId: state.holder.jobId, job, live };
  }
  return look;
}

/**
 * Tries to start a pending root by taking its tokens: for each token, look, decide (`core/token-decisions.ts`)
 * and act; with every token free, one guarded transaction takes them all and starts the root.
 * @returns true when it started
 */
export async function acquireTokens(deps: EngineDeps, jobId: string): Promise<boolean> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const job = await deps.store.getJob(jobId);
    if (!canAcquire(job)) return false;
    const stale: Record<string, string> = {};
    let blocked: TokenStep | undefined;
    for (const token of job.tokens!) {
      const step = decideToken(await lookAt(deps, jobId, token));
      if (step.kind === 'free') {
        if (step.stale !== undefined) stale[token] = step.stale;
        continue;
      }
      blocked = step;
      if (step.kind === 'removeOrphan') await deps.store.removeWaiter(token, step.waiter);
      break;
    }
    if (!blocked) return deps.store.acquireTokens(job, stale);
    if (blocked.kind === 'wait') {
      await deps.store.setWaitingReason(jobId, blocked.reason);
      return false;
    }
    // An orphan left the queue: look again.
  }
  return false;
}

/**
 * Gives a finished root's tokens back and wakes the next waiter of each. A discarded root keeps them while an
 * attempt it started still runs: that attempt's late report, or the sweeper once its lease ran out, releases them.
 */
export async function releaseTokens(deps: EngineDeps, job: Pick<JobRecord, 'jobId' | 'tokens' | 'createdAt'>): Promise<void> {
  const root = await deps.store.getJob(job.jobId);
  if (!decideRelease(root, root?.status === 'discarded' && (await hasLiveAttempts(deps, job.jobId)))) return;
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
