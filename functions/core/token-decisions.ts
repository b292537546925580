/**
 * Token decisions, pure: from what was read of a root and of one of its tokens (its holder and the head of its
 * queue), what the root does about that token. The engine reads, calls these, and commits; the commit of a take
 * is one transaction guarded by what was read (each token free or held by the stale holder named, the root at
 * the head of each queue and still pending), so a decision made from a stale read never lands.
 * @module
 */
import type { JobRecord } from './model';
import { isTerminalJob } from './statuses';

/** A waiter of a token's queue as stored. */
export interface Waiter {
  jobId: string;
  createdAt: string;
}

/** What was read of one token, from the point of view of the root that wants it. */
export interface TokenLook {
  token: string;
  /** The head of the queue, when it is another root, and its job as read (undefined: no such job). */
  head?: { waiter: Waiter; job: JobRecord | undefined };
  /** The holder, when it is another root: its job as read, and whether an attempt it started still runs. */
  holder?: { jobId: string; job: JobRecord | undefined; live: boolean };
}

/** What a root does about one of its tokens. */
export type TokenStep =
  /** Nothing stands in the way; `stale` names a holder that finished without giving the token back. */
  | { kind: 'free'; stale?: string }
  /** The head of the queue can never run (its job is gone, finished, or is another submission): it leaves the queue. */
  | { kind: 'removeOrphan'; waiter: Waiter }
  /** The root waits, for the reason given. */
  | { kind: 'wait'; reason: string };

/** Whether a root can try to take its tokens at all (a pending root, with tokens, whose descendants all exist). */
export function canAcquire(job: JobRecord | undefined): job is JobRecord {
  return job !== undefined && job.status === 'pending' && job.parentId === undefined && (job.tokens?.length ?? 0) > 0 && !job.staging;
}

/**
 * Decides what a pending root does about one token. A queue never blocks on a job that cannot run: a head whose
 * job finished, or that names no job (or another submission of its id), is an orphan. A holder that succeeded, or
 * was discarded and has no attempt running any more, holds nothing (invariant 6: a discarded holder still holds
 * while an attempt it started runs).
 */
export function decideToken(look: TokenLook): TokenStep {
  const { head, holder, token } = look;
  if (head) {
    const orphan = !head.job || head.job.createdAt !== head.waiter.createdAt || isTerminalJob(head.job.status);
    if (orphan) return { kind: 'removeOrphan', waiter: head.waiter };
    return { kind: 'wait', reason: `waiting for token ${token}: ${head.waiter.jobId} is ahead in the queue${holder ? ` (held by ${holder.jobId})` : ''}` };
  }
  if (holder) {
    const gone = holder.job && (holder.job.status === 'succeeded' || (holder.job.status === 'discarded' && !holder.live));
    if (gone) return { kind: 'free', stale: holder.jobId };
    return { kind: 'wait', reason: `waiting for token ${token} held by ${holder.jobId}` };
  }
  return { kind: 'free' };
}

/**
 * Whether a finished root gives its tokens back now: a discarded root keeps them while an attempt it started
 * still runs (that attempt's late report, or the sweeper once its lease ran out, releases them).
 */
export function decideRelease(root: JobRecord | undefined, liveAttempts: boolean): boolean {
  return !(root?.status === 'discarded' && liveAttempts);
}
