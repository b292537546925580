/**
 * The sweeper's repair pass. Walks every active root and finds what the event flow did not finish: expired
 * leases, retries and dispatches whose message was lost, children that were never started or counted, and
 * finished roots without a result row. Each repair is the same idempotent step the stream would have taken.
 *
 * Each job is repaired on its own (invariant 11): a root or child whose repair throws is counted and reported
 * through `onError`, and the sweep goes on with the others. Roots are repaired a few at a time, so one slow root
 * does not hold up the rest.
 * @module
 */
import { buildTaskMessage, guardOf, nextAttemptIsManual, nextPipelineStep } from '../core/reactions';
import { taskRetryPolicy } from '../core/submission';
import { expireLease, isRejection } from '../core/task-transitions';
import { isTerminalJob } from '../core/statuses';
import type { JobRecord } from '../core/model';
import type { EngineDeps } from '../ports';
import { forEachLimit } from '../util/map-limit';
import { dispatch } from './dispatch';
import { applyEffect, reportToParent, settleParent } from './effects';
import { finishStaging, stageChildren } from './staging';
import { acquireTokens, releaseTokens } from './tokens';

/** Options of a sweep. */
export interface SweepOptions {
  /**
   * A dispatch or retry older than this without a claim is considered lost and sent again (duplicates are
   * harmless: the claim is conditional). 0 re-sends everything in flight (the local stack after a restart).
   */
  requeueAfterMs: number;
  /**
   * Treat every running attempt as dead, whatever its lease says. Only the local stack passes this, at start:
   * its providers run in its own process, so a restart proves that every attempt it had running is gone.
   */
  abandonRunning?: boolean;
  /** Roots repaired at the same time. @default 8 */
  concurrency?: number;
  /** Called once for every job whose repair threw (the sweep goes on with the others). */
  onError?: (jobId: string, error: unknown) => void;
}

/** Roots repaired at the same time unless told otherwise. */
export const DEFAULT_SWEEP_CONCURRENCY = 8;

/** What one sweep did. */
export interface SweepReport {
  roots: number;
  leasesExpired: number;
  redispatched: number;
  repaired: number;
  /** Jobs (roots or children) whose repair threw; each was left for the next sweep. */
  failed: number;
}

function olderThan(iso: string | undefined, now: number, ms: number): boolean {
  return iso === undefined || Date.parse(iso) <= now - ms;
}

/** Sweeps every active root once, each on its own, a few at a time. */
export async function sweep(deps: EngineDeps, opts: SweepOptions): Promise<SweepReport> {
  const report: SweepReport = { roots: 0, leasesExpired: 0, redispatched: 0, repaired: 0, failed: 0 };
  await forEachLimit(deps.store.activeRoots(), opts.concurrency ?? DEFAULT_SWEEP_CONCURRENCY, async (rootId) => {
    report.roots++;
    await isolated(rootId, opts, report, () => reconcileJob(deps, rootId, opts, report));
  });
  return report;
}

/** Runs one job's repair; a failure is counted and reported, never passed on to the jobs around it. */
async function isolated(jobId: string, opts: SweepOptions, report: SweepReport, repair: () => Promise<void>): Promise<void> {
  try {
    await repair();
  } catch (error) {
    report.failed++;
    opts.onError?.(jobId, error);
  }
}

/** Repairs one job and, for a parent, its running children. */
export async function reconcileJob(deps: EngineDeps, jobId: string, opts: SweepOptions, report: SweepReport): Promise<void> {
  const tree = await deps.store.getJobTree(jobId);
  if (!tree) return;
  const { job } = tree;
  const now = deps.clock.now();
  if (isTerminalJob(job.status)) {
    if (job.parentId === undefined) {
      await applyEffect(deps, { kind: 'publishResult', jobId, status: job.status, run: job.run ?? 0, ...(job.kind === 'parent' ? { parent: true } : {}), ...(job.output ? { output: job.output } : {}), ...(job.reason ? { reason: job.reason } : {}) });
      // A discarded root stays on the index while an attempt it started runs on; give its tokens back once none does.
      if (job.status === 'discarded' && job.tokens?.length) await releaseTokens(deps, job);
      else await deps.store.deactivateRoot(jobId);
      report.repaired++;
    }
    return;
  }
  if (job.status === 'pending' && job.staging) {
    // A staged root whose expansion stalled (a lost or failed stream record): expand what is left, then end it.
    if (olderThan(job.updatedAt, now, opts.requeueAfterMs)) {
      await stageChildren(deps, jobId);
      if (await finishStaging(deps, jobId)) report.repaired++;
    }
    return;
  }
  if (job.status === 'pending' && job.parentId === undefined && job.tokens?.length) {
    // A waiting root: repeat its attempt to take its tokens (repairs a wake-up lost between release and wake).
    if (await acquireTokens(deps, jobId)) report.repaired++;
    return;
  }
  if (job.status !== 'running') return;
  if (job.kind === 'parent') {
    // One child at a time (the roots already run side by side), each on its own: a failing child never stops its siblings.
    for (const child of tree.children) await isolated(child.jobId, opts, report, () => reconcileChild(deps, job, child, tree.countedChildren, opts, report));
    // Every child counted but the parent still running (its finish was lost, or came while it was paused).
    if (tree.countedChildren.size >= (job.childCount ?? 0)) await settleParent(deps, jobId);
    return;
  }
  const step = nextPipelineStep(job, tree.tasks);
  switch (step.kind) {
    case 'dispatch':
      if (olderThan(step.since, now, opts.requeueAfterMs)) {
        await dispatch(deps, buildTaskMessage(job, step.taskIndex, 1, step.context, false));
        report.redispatched++;
      }
      return;
    case 'complete':
      await applyEffect(deps, { kind: 'finishJob', jobId, status: 'succeeded', output: step.output });
      report.repaired++;
      return;
    case 'fail':
      await applyEffect(deps, { kind: 'finishJob', jobId, status: 'failed', reason: step.reason, guard: guardOf(step.task) });
      report.repaired++;
      return;
    case 'stopped':
      return;
    case 'wait': {
      const task = step.task;
      if (task.status === 'running' && task.leaseUntil !== undefined && (task.leaseUntil < now || opts.abandonRunning)) {
        const expired = expireLease(task, taskRetryPolicy(job, task.taskIndex), now, deps.clock.random(), opts.abandonRunning);
        // The condition still pins the lease we saw: a new claim since then keeps its attempt.
        const guard = Math.max(now, task.leaseUntil + 1);
        if (!isRejection(expired) && (await deps.store.endAttempt(task, expired, { onlyIfLeaseExpiredAt: guard }))) report.leasesExpired++;
      } else if (task.status === 'retrying' && (task.dueAt ?? 0) <= now - opts.requeueAfterMs) {
        await dispatch(deps, buildTaskMessage(job, task.taskIndex, task.attemptCount + 1, task.context, false, task));
        report.redispatched++;
      } else if (task.status === 'queued' && olderThan(task.updatedAt, now, opts.requeueAfterMs)) {
        // Queued is a manual retry, or an automatic attempt held by a pause and resumed: the stored run start tells them apart.
        await dispatch(deps, buildTaskMessage(job, task.taskIndex, task.attemptCount + 1, task.context, nextAttemptIsManual(task), task));
        report.redispatched++;
      }
      return;
    }
  }
}

async function reconcileChild(deps: EngineDeps, parent: JobRecord, child: JobRecord, counted: Set<number>, opts: SweepOptions, report: SweepReport): Promise<void> {
  const now = deps.clock.now();
  if (child.status === 'pending' && olderThan(parent.startedAt ?? parent.updatedAt, now, opts.requeueAfterMs)) {
    if (await deps.store.transitionJob(child.jobId, ['pending'], { status: 'running', startedAt: new Date(now).toISOString() })) report.repaired++;
    return;
  }
  if (isTerminalJob(child.status)) {
    if (!counted.has(child.childIndex!) && olderThan(child.updatedAt, now, opts.requeueAfterMs)) {
      await reportToParent(deps, parent.jobId, child.childIndex!, child.status !== 'succeeded');
      report.repaired++;
    }
    return;
  }
  if (child.status === 'running') await reconcileJob(deps, child.jobId, opts, report);
}
