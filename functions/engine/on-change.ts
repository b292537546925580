/**
 * The outbox consumer: what the engine does when a record of the jobs table changes. Called once per stream
 * record, possibly more than once for the same record, possibly late; every consequence is idempotent.
 * @module
 */
import type { JobRecord, TaskRecord } from '../core/model';
import { DEFAULT_EVENT_SELECTION, isPublished, jobEvent, taskEvent, type EventSelection } from '../core/lifecycle-events';
import { reactToJobChange, reactToTaskChange } from '../core/reactions';
import type { EngineDeps } from '../ports';
import { applyEffects } from './effects';
import { releaseTokens } from './tokens';
import { rootIdOf } from '../core/routing';

/** A decoded change of one item. */
export type ItemChange =
  | { type: 'job'; before?: JobRecord; after?: JobRecord }
  | { type: 'task'; before?: TaskRecord; after?: TaskRecord }
  | { type: 'other' };

/**
 * Reacts to one change, publishing the lifecycle events of `publish` (the flow's `events` prop; the stream
 * handler reads it from the environment).
 */
export async function onChange(deps: EngineDeps, change: ItemChange, publish: EventSelection = DEFAULT_EVENT_SELECTION): Promise<void> {
  if (change.type === 'job') {
    if (!change.after) return;
    await applyEffects(deps, reactToJobChange(change.before, change.after));
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
      if (root?.tokens?.length && (root.status === 'discarded' || root.status === 'succeeded')) await releaseTokens(deps, root);
      return;
    }
    const statusChanged = change.before?.status !== change.after.status || change.before?.attemptCount !== change.after.attemptCount;
    // A claim (→ running) has no consequence; skip the read of the job.
    if (!statusChanged || change.after.status === 'running') return;
    const event = taskEvent(change.before, change.after);
    if (event && isPublished(publish, event)) await deps.events.publish([event]);
    const job = await deps.store.getJob(change.after.jobId);
    if (!job) return;
    await applyEffects(deps, reactToTaskChange(job, change.before, change.after));
  }
}
