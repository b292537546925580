/**
 * The outbox consumer: what the engine does when a record of the jobs table changes. Called once per stream
 * record, possibly more than once for the same record, possibly late; every consequence is idempotent.
 * @module
 */
import type { JobRecord, TaskRecord } from '../core/model';
import { DEFAULT_EVENT_SELECTION, isPublished, jobEvent, taskEvent, type EventSelection } from '../core/lifecycle-events';
import { reactToJobChange, reactToTaskChange, type Effect } from '../core/reactions';
import type { EngineDeps } from '../ports';
import { applyEffect, applyEffects } from './effects';
import { releaseTokens } from './tokens';
import { rootIdOf } from '../core/routing';

/** A decoded change of one item. */
export type ItemChange =
  | { type: 'job'; before?: JobRecord; after?: JobRecord }
  | { type: 'task'; before?: TaskRecord; after?: TaskRecord }
  | { type: 'other' };

/**
 * The job whose record reacting to `change` reads: a task's status or attempt moved to anything but `running` (a
 * claim has no consequence). The stream batch reads these ahead (`stream-batch.ts`).
 */
export function jobReadFor(change: ItemChange): string | undefined {
  if (change.type !== 'task' || !change.after) return undefined;
  const { before, after } = change;
  const statusChanged = before?.status !== after.status || before?.attemptCount !== after.attemptCount;
  return statusChanged && after.status !== 'running' ? after.jobId : undefined;
}

/**
 * Effects that write no job record: a message sent, a result row, a child counted after the batch. A read of a
 * job made after a batch's records were written stays such a read after a record whose effects are all of these.
 */
const KEEPS_JOB_READS: ReadonlySet<Effect['kind']> = new Set(['dispatch', 'publishResult', 'reportToParent']);

/** True when applying `effects` writes no job record (a read of the job before them is as good as one after). */
export function keepsJobReads(effects: readonly Effect[]): boolean {
  return effects.every((e) => KEEPS_JOB_READS.has(e.kind));
}

/** What a change is handled with when it comes in a batch (see `stream-batch.ts`). */
export interface BatchContext {
  /** The job read for the batch (ahead, or by a record before), once; undefined: read it now. */
  takeJob(jobId: string): JobRecord | undefined;
  /**
   * Hands a job read back after a record whose effects wrote no job: the next record of the same job reacts
   * from it instead of reading again (it was read after that record was written, as its own read would be).
   */
  keepJob(job: JobRecord): void;
  /** Drops every job read kept for the batch: a record's effects wrote jobs (itself, its children, a token's next holder). */
  forgetJobs(): void;
  /** Counts a finished child with the other children of the batch, once every record of it is handled. */
  deferReport(effect: Extract<Effect, { kind: 'reportToParent' }>): void;
}

/**
 * Reacts to one change, publishing the lifecycle events of `publish` (the flow's `events` prop; the stream
 * handler reads it from the environment). In a batch, `batch` holds the jobs read ahead for it and collects the
 * children to count (see `stream-batch.ts`).
 */
export async function onChange(deps: EngineDeps, change: ItemChange, publish: EventSelection = DEFAULT_EVENT_SELECTION, batch?: BatchContext): Promise<void> {
  if (change.type === 'job') {
    if (!change.after) return;
    const effects = reactToJobChange(change.before, change.after);
    if (!keepsJobReads(effects)) batch?.forgetJobs();
    for (const effect of effects) {
      if (batch && effect.kind === 'reportToParent') batch.deferReport(effect);
      else await applyEffect(deps, effect);
    }
    const event = jobEvent(change.before, change.after);
    if (event && isPublished(publish, event)) await deps.events.publish([event]);
    return;
  }
  if (change.type === 'task') {
    if (!change.after) return;
    const last = change.after.attempts[change.after.attemptCount - 1];
    const lastBefore = change.before?.attempts[change.after.attemptCount - 1];
    if (change.after.status === 'discarded' && lastBefore?.status === 'running' && last?.status !== 'running') {
      // The last attempt of a discarded job ended (late): its root may now give its tokens back.
      const root = await deps.store.getJob(rootIdOf(change.after.jobId));
      if (root?.tokens?.length && (root.status === 'discarded' || root.status === 'succeeded')) {
        batch?.forgetJobs();
        await releaseTokens(deps, root);
      }
      return;
    }
    // A claim (→ running) or a rewrite in place has no consequence; skip the read of the job.
    if (jobReadFor(change) === undefined) return;
    const event = taskEvent(change.before, change.after);
    if (event && isPublished(publish, event)) await deps.events.publish([event]);
    const job = batch?.takeJob(change.after.jobId) ?? (await deps.store.getJob(change.after.jobId));
    if (!job) return;
    const effects = reactToTaskChange(job, change.before, change.after);
    // A pipeline's ends in one batch (three continued ends of one invocation, say) react from one read.
    if (keepsJobReads(effects)) batch?.keepJob(job);
    else batch?.forgetJobs();
    await applyEffects(deps, effects);
  }
}
