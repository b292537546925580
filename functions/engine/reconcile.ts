/**
 * The sweeper's repair pass. Walks the roots created recently (since its watermark, through the list index) and
 * every root on the active index, and finds what the event flow did not finish: expired leases, retries and
 * dispatches whose message was lost, children that were never started or counted, and finished roots without a
 * result row. Each repair is the same idempotent step the stream would have taken.
 *
 * Roots are created off the active index (issue 12, fewer writes): most finish within seconds and never cost an
 * index write. The walk of recent roots repairs the unfinished ones and activates those older than the activation
 * age, then moves its watermark past them (`core/recent-roots.ts`); from then on the active walk finds them.
 *
 * Each job is repaired on its own (invariant 11): a root or child whose repair throws is counted and reported
 * through `onError`, and the sweep goes on with the others. Roots are repaired a few at a time, so one slow root
 * does not hold up the rest.
 * @module
 */
import { decideRecentRoot, nextSweepMark, recentWindowStart, type RecentRoot, type WalkedRoot } from '../core/recent-roots';
import { decideChildRepair, decidePipelineRepair, holdRedispatch } from '../core/sweep-decisions';
import { queueRouteOf } from '../core/routing';
import { isTerminalJob } from '../core/statuses';
import type { JobRecord, TaskMessage } from '../core/model';
import type { EngineDeps } from '../ports';
import { forEachLimit } from '../util/map-limit';
import { dispatch, routeOfDispatch } from './dispatch';
import { applyEffect, reportToParent, settleParent, startPendingChild } from './effects';
import { releaseHeld } from './pause-holds';
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
  /** Children of one parent repaired at the same time. @default 4 */
  childConcurrency?: number;
  /**
   * Running children of one parent whose tasks a sweep reads (the rest wait for a later sweep's window).
   * @default 500
   */
  childChecksPerParent?: number;
  /** Stop starting roots after this time (ms since epoch): the sweep ends within its function's timeout. */
  deadline?: number;
  /**
   * Called once for every job whose repair (or activation) threw, the sweep going on with the others; with
   * {@link RECENT_ROOTS_WALK} for the walk of recent roots itself (its reads, or its watermark's write).
   */
  onError?: (jobId: string, error: unknown) => void;
}

/** What {@link SweepOptions.onError} is called with when the walk of recent roots failed as a whole. */
export const RECENT_ROOTS_WALK = '(recent roots)';
/** Recent roots read at a time (BatchGetItem reads at most 100 keys). */
export const RECENT_ROOTS_PAGE = 100;

/** Roots repaired at the same time unless told otherwise. */
export const DEFAULT_SWEEP_CONCURRENCY = 8;
/** Children of one parent repaired at the same time unless told otherwise. */
export const DEFAULT_CHILD_CONCURRENCY = 4;
/** Running children of one parent looked into per sweep unless told otherwise. */
export const DEFAULT_CHILD_CHECKS_PER_PARENT = 500;

/** What one sweep did. */
export interface SweepReport {
  roots: number;
  leasesExpired: number;
  redispatched: number;
  repaired: number;
  /** Jobs (roots or children) whose repair threw; each was left for the next sweep. */
  failed: number;
  /** Running children not looked into this sweep (beyond `childChecksPerParent`), left for a later window. */
  deferred: number;
  /** Roots not started because the deadline came (left for the next sweep). */
  skippedRoots: number;
  /** Roots the walk of recent roots read (finished and active ones included: it reads them to know). */
  recentRoots: number;
  /** Recent roots put on the active index (unfinished past the activation age). */
  activated: number;
  /**
   * Messages not sent again because their queue still had messages waiting (they may be among them), within
   * `HOLD_WHILE_QUEUED_MS` (core/sweep-decisions.ts) of when they were due.
   */
  heldBack: number;
}

/**
 * Whether a sweep did or met something an operator should see in its log: a repair, a failure, work left for a
 * later sweep, or messages held back behind a queue backlog (a quiet sweep logs nothing).
 */
export function sweepWorthLogging(report: SweepReport): boolean {
  return report.leasesExpired + report.redispatched + report.repaired + report.failed + report.deferred + report.skippedRoots + report.heldBack > 0;
}

function olderThan(iso: string | undefined, now: number, ms: number): boolean {
  return iso === undefined || Date.parse(iso) <= now - ms;
}

function pastDeadline(opts: SweepOptions): boolean {
  return opts.deadline !== undefined && Date.now() >= opts.deadline;
}

/**
 * Sweeps the recent roots, then every active root, once (until the deadline), each on its own, a few at a time.
 * The recent roots go first: their walk is small (the roots of the last minutes) and moves the watermark, however
 * long the active walk takes.
 */
export async function sweep(deps: EngineDeps, opts: SweepOptions): Promise<SweepReport> {
  const report: SweepReport = { roots: 0, leasesExpired: 0, redispatched: 0, repaired: 0, failed: 0, deferred: 0, skippedRoots: 0, recentRoots: 0, activated: 0, heldBack: 0 };
  const run: SweepRun = { deps, opts, report, activatedNow: new Set(), queueWaiting: new Map() };
  await isolated(run, RECENT_ROOTS_WALK, () => sweepRecentRoots(run));
  await forEachLimit(deps.store.activeRoots(), opts.concurrency ?? DEFAULT_SWEEP_CONCURRENCY, async (rootId) => {
    if (run.activatedNow.has(rootId)) return;
    if (pastDeadline(opts)) {
      report.skippedRoots++;
      return;
    }
    report.roots++;
    await isolated(run, rootId, () => reconcileJob(run, rootId));
  });
  return report;
}

/** One sweep as it goes: what it was given, what it reports, and what it learnt that later repairs reuse. */
interface SweepRun {
  readonly deps: EngineDeps;
  readonly opts: SweepOptions;
  readonly report: SweepReport;
  /** Roots this sweep repaired and activated: the active walk may already see them, and leaves them be. */
  readonly activatedNow: Set<string>;
  /** Messages waiting in each route's queue, read at most once per sweep and only when a re-send is decided. */
  readonly queueWaiting: Map<string, Promise<number>>;
}

/**
 * The walk of recent roots: from the watermark, page by page, in creation order. Each root still unfinished and
 * off the active index is repaired, and activated once older than the activation age (a refused activation
 * means it finished, or was activated, meanwhile: covered either way). Then the watermark moves past the roots
 * covered, never past one that is not (too young, not read yet, not reached before the deadline, its activation
 * failed). Pages after the first are read only before the deadline.
 */
async function sweepRecentRoots(run: SweepRun): Promise<void> {
  const { deps, opts, report } = run;
  const now = deps.clock.now();
  const mark = await deps.store.sweepMark();
  const since = recentWindowStart(mark, now);
  const until = new Date(now).toISOString();
  const walked: WalkedRoot[] = [];
  let complete = false;
  for (let after: string | undefined; ; ) {
    const page = await deps.store.recentRoots({ since, ...(after !== undefined ? { after } : {}), until, limit: RECENT_ROOTS_PAGE });
    const outcomes = page.map((root): WalkedRoot => ({ key: root.key, covered: false }));
    report.recentRoots += page.length;
    await forEachLimit(page.keys(), opts.concurrency ?? DEFAULT_SWEEP_CONCURRENCY, async (i) => {
      outcomes[i]!.covered = await sweepRecentRoot(run, page[i]!, now);
    });
    walked.push(...outcomes);
    if (page.length < RECENT_ROOTS_PAGE) {
      complete = true;
      break;
    }
    if (pastDeadline(opts)) break;
    after = page[page.length - 1]!.key;
  }
  const next = nextSweepMark(mark, walked, { now, complete });
  // Conditional on the mark read: an overlapping sweep that moved it first wins, and this one's walk is redone later.
  if (next !== undefined) await deps.store.setSweepMark(mark, next);
}

/** One recent root: repaired and, when due, activated. @returns whether it is covered (terminal or active) */
async function sweepRecentRoot(run: SweepRun, root: RecentRoot, now: number): Promise<boolean> {
  const { deps, opts, report } = run;
  const step = decideRecentRoot(root, now);
  if (step.kind === 'covered') return true;
  if (step.kind === 'unread') return false;
  if (pastDeadline(opts)) {
    report.skippedRoots++;
    return false;
  }
  report.roots++;
  await isolated(run, root.jobId, () => reconcileJob(run, root.jobId));
  if (!step.activate) return false;
  // Activated even when its repair failed: from the active index, every later sweep tries again.
  let covered = false;
  await isolated(run, root.jobId, async () => {
    if (await deps.store.activateRoot(root.jobId)) {
      report.activated++;
      run.activatedNow.add(root.jobId);
    }
    covered = true;
  });
  return covered;
}

/** Runs one job's repair; a failure is counted and reported, never passed on to the jobs around it. */
async function isolated(run: SweepRun, jobId: string, repair: () => Promise<void>): Promise<void> {
  try {
    await repair();
  } catch (error) {
    run.report.failed++;
    run.opts.onError?.(jobId, error);
  }
}

/** Repairs one job and, for a parent, its unfinished children. `known`: the job's record, when already read. */
async function reconcileJob(run: SweepRun, jobId: string, known?: JobRecord): Promise<void> {
  const { deps, opts, report } = run;
  const job = known ?? (await deps.store.getJob(jobId));
  if (!job) return;
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
  if (job.kind === 'parent') return reconcileParent(run, job);
  const tree = await deps.store.getJobTree(jobId);
  if (!tree || tree.job.status !== 'running') return;
  const repair = decidePipelineRepair(tree.job, tree.tasks, { now, requeueAfterMs: opts.requeueAfterMs, random: () => deps.clock.random(), ...(opts.abandonRunning ? { abandonRunning: true } : {}) });
  switch (repair.kind) {
    case 'redispatch':
      if (await mayBeQueued(run, repair.message, repair.since, now)) {
        report.heldBack++;
        return;
      }
      await dispatch(deps, repair.message);
      report.redispatched++;
      return;
    case 'finish':
      await applyEffect(deps, repair.effect);
      report.repaired++;
      return;
    case 'release':
      await releaseHeld(deps, jobId);
      report.repaired++;
      return;
    case 'expireLease':
      if (await deps.store.endAttempt(repair.before, repair.after, { onlyIfLeaseExpiredAt: repair.leaseGuard })) report.leasesExpired++;
      return;
    case 'none':
      return;
  }
}

/**
 * Whether a message the sweeper would send again may still be waiting in its queue: it goes to a queue now, that
 * queue has messages waiting, and it was due less than `HOLD_WHILE_QUEUED_MS` ago. A queue that cannot be
 * read is taken as empty (the message is sent again, as without this check: a duplicate's claim is refused).
 */
async function mayBeQueued(run: SweepRun, message: TaskMessage, since: number, now: number): Promise<boolean> {
  const route = routeOfDispatch(run.deps, message);
  if (route.kind !== 'queue' || route.delaySeconds > 0) return false;
  if (!holdRedispatch(since, now, 1)) return false;
  const name = queueRouteOf(message);
  let waiting = run.queueWaiting.get(name);
  if (!waiting) run.queueWaiting.set(name, (waiting = run.deps.queue.waiting(name).catch(() => 0)));
  return holdRedispatch(since, now, await waiting);
}

/**
 * A running parent: only the children of its unfinished buckets are read, and of those the running ones are
 * looked into (their tasks read) at most {@link SweepOptions.childChecksPerParent} per sweep, in a window that
 * moves every minute, so a sweep's cost follows the work in flight and stays bounded for any width.
 */
async function reconcileParent(run: SweepRun, parent: JobRecord): Promise<void> {
  const { deps, opts, report } = run;
  const childCount = parent.childCount ?? 0;
  const { children, counted } = await deps.store.unfinishedChildren(parent.jobId, childCount);
  const running = children.filter((c) => c.status === 'running');
  const budget = opts.childChecksPerParent ?? DEFAULT_CHILD_CHECKS_PER_PARENT;
  const looked = running.length <= budget ? running : windowOf(running, budget, Math.floor(deps.clock.now() / 60_000));
  report.deferred += running.length - looked.length;
  const selected = [...children.filter((c) => c.status !== 'running'), ...looked];
  // Each child on its own: a failing child never stops its siblings.
  await forEachLimit(selected, opts.childConcurrency ?? DEFAULT_CHILD_CONCURRENCY, (child) =>
    isolated(run, child.jobId, () => reconcileChild(run, parent, child, counted)),
  );
  // Every child counted but the parent still running (its finish was lost, or came while it was paused).
  if (counted.size >= childCount) await settleParent(deps, parent.jobId);
}

/** `size` items of `items` starting at window `n` (wrapping), so successive windows cover every item in turn. */
function windowOf<T>(items: readonly T[], size: number, n: number): T[] {
  const start = (n * size) % items.length;
  return Array.from({ length: size }, (_, i) => items[(start + i) % items.length]!);
}

async function reconcileChild(run: SweepRun, parent: JobRecord, child: JobRecord, counted: Set<number>): Promise<void> {
  const { deps, opts, report } = run;
  const now = deps.clock.now();
  const repair = decideChildRepair(parent, child, counted, { now, requeueAfterMs: opts.requeueAfterMs });
  switch (repair.kind) {
    case 'start':
      if (await startPendingChild(deps, child.jobId)) report.repaired++;
      return;
    case 'report':
      await reportToParent(deps, parent.jobId, child.childIndex!);
      report.repaired++;
      return;
    case 'descend':
      return reconcileJob(run, child.jobId, child);
    case 'none':
      return;
  }
}
