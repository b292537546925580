/**
 * Lazy activation of roots (issue 12, fewer writes): a root is created off the sweeper's active index, so a root
 * that finishes within seconds costs no index write when it is created and none when it finishes. The sweeper
 * finds the roots created since its watermark through the list index (by creation time), repairs those still
 * unfinished exactly as it repairs active roots, and puts on the active index those still unfinished once they
 * are older than {@link ACTIVATION_AGE_MS}. Its watermark then moves past every root it covered, so the recent
 * window holds the roots of the last few minutes: its size follows the submission rate, not every root ever made.
 *
 * A root is *covered* once it is terminal or on the active index. Covered stays covered: a root leaves the active
 * index only when it finishes, and a finished root that is reopened goes back on the index in the reopen's own
 * write. So the watermark may pass a covered root for good: the active walk, or nothing, is what it needs.
 *
 * Pure decisions only: which recent roots to repair and activate, where the walk starts and where the
 * watermark goes. The reads and the conditional writes are the engine's (`engine/reconcile.ts`).
 * @module
 */
import type { JobStatus } from './statuses';
import { isTerminalJob } from './statuses';

/**
 * Age after which a root still unfinished goes on the active index. Also the margin the watermark keeps behind
 * the present: a root reaches the list index some time after its `createdAt` (the API writes its descendants
 * first, within its timeout of 29 s, and the index follows the table within a second or so), and the watermark
 * never passes a time a root may still appear at.
 */
export const ACTIVATION_AGE_MS = 2 * 60_000;

/**
 * Where the first walk starts when there is no watermark yet (a deployment's first lazy sweep). Roots created
 * before a deployment's first lazy sweep were activated the old way (on the index from their creation), so a
 * short lookback covers the roots created lazily before that sweep (the sweeper runs every minute).
 */
export const FIRST_SWEEP_LOOKBACK_MS = 15 * 60_000;

/**
 * A root's place in creation order: `<createdAt>#<jobId>` (the list index's sort key). A watermark is such a
 * key, or a bare ISO time, which sorts before every root created at that millisecond.
 */
export function creationKey(root: { createdAt: string; jobId: string }): string {
  return `${root.createdAt}#${root.jobId}`;
}

/** What the sweeper reads of a root found by its creation time (eventually consistent). */
export interface RecentRoot {
  jobId: string;
  createdAt: string;
  /** Its {@link creationKey}. */
  key: string;
  /** Its status as read; undefined when the eventually consistent read did not find the item (yet). */
  status?: JobStatus;
  /** Whether it is on the active index (activated, reopened, or created before lazy activation). */
  active: boolean;
}

/** What the sweeper does with one recent root. */
export type RecentRootStep =
  /** Terminal, or on the active index (the active walk repairs it): covered, nothing to do here. */
  | { kind: 'covered' }
  /** Not found by the read yet: not covered, left for the next sweep (the watermark stops before it). */
  | { kind: 'unread' }
  /**
   * Unfinished and off the active index: repair it as an active root is repaired, and, with `activate`, put it
   * on the index (only if still unfinished). Covered once the activation was written or refused.
   */
  | { kind: 'repair'; activate: boolean };

/** Decides what a sweep does with a recent root, from what was read of it. */
export function decideRecentRoot(root: RecentRoot, now: number): RecentRootStep {
  if (root.status === undefined) return { kind: 'unread' };
  if (root.active || isTerminalJob(root.status)) return { kind: 'covered' };
  return { kind: 'repair', activate: Date.parse(root.createdAt) <= now - ACTIVATION_AGE_MS };
}

/** Where the walk of recent roots starts: at the watermark, or, with none yet, {@link FIRST_SWEEP_LOOKBACK_MS} ago. */
export function recentWindowStart(mark: string | undefined, now: number): string {
  return mark ?? new Date(now - FIRST_SWEEP_LOOKBACK_MS).toISOString();
}

/** One root a walk reached, in creation order, and whether it was covered when the walk left it. */
export interface WalkedRoot {
  key: string;
  covered: boolean;
}

/**
 * The watermark after a walk of recent roots, or undefined when it stays where it is.
 *
 * It moves past every root covered, up to the first one that is not (unfinished and too young, not read, not
 * reached before the deadline, or whose activation failed), and never closer to the present than
 * {@link ACTIVATION_AGE_MS} (a root may still appear in the list index with an earlier `createdAt`). A walk that
 * stopped before the end of the window (its deadline) cannot vouch for what lies after its last root: the mark
 * stays at that root (walked again next time). A walk that read no root leaves it where it is (an idle
 * deployment writes nothing). It never moves backward: the store writes it only if it is still `previous`, and
 * only forward of it.
 * @param previous the watermark the walk started from (undefined: none yet)
 * @param walked the roots the walk read, in creation order
 * @param opts `complete`: whether the walk read the window to its end
 */
export function nextSweepMark(previous: string | undefined, walked: readonly WalkedRoot[], opts: { now: number; complete: boolean }): string | undefined {
  const last = walked[walked.length - 1];
  // Nothing read, nothing to move past: an idle deployment's sweeps write nothing.
  if (!last) return undefined;
  const cap = new Date(opts.now - ACTIVATION_AGE_MS).toISOString();
  const firstUncovered = walked.find((r) => !r.covered)?.key;
  let candidate = firstUncovered ?? (opts.complete ? cap : last.key);
  if (candidate > cap) candidate = cap;
  return previous === undefined || candidate > previous ? candidate : undefined;
}
