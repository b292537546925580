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
 * Jobs read ahead for a batch of changes, each handed out once: the read a change's reaction is decided from must
 * come after that change was written (any read made once the batch arrived does), but a second change of the same
 * job may follow effects of the first, so it reads again.
 */
export class JobReadAhead {
  private readonly jobs = new Map<string, JobRecord>();

  constructor(jobs: readonly JobRecord[] = []) {
    for (const job of jobs) this.jobs.set(job.jobId, job);
  }

  /** The job read ahead, once; undefined after (or when it was not read ahead). */
  take(jobId: string): JobRecord | undefined {
    const job = this.jobs.get(jobId);
    this.jobs.delete(jobId);
    return job;
  }
}

/** The job whose record reacting to `change` reads (a task's end, retry, skip, failure), if any. */
export function jobReadFor(change: ItemChange): string | undefined {
  if (change.type !== 'task' || !change.after) return undefined;
  const { before, after } = change;
  if (after.status === 'discarded') return undefined;
  const statusChanged = before?.status !== after.status || before?.attemptCount !== after.attemptCount;
  return statusChanged && after.status !== 'running' ? after.jobId : undefined;
}

/**
 * Reads in one request (per 100) the jobs a batch of changes will react from, so a stream batch of many task ends
 * costs one read request instead of one per change.
 */
export async function readAhead(deps: EngineDeps, changes: readonly ItemChange[]): Promise<JobReadAhead> {
  const ids = [...new Set(changes.map(jobReadFor).filter((id): id is string => id !== undefined))];
  // One change reads one job: nothing to gain.
  if (ids.length < 2) return new JobReadAhead();
  return new JobReadAhead(await deps.store.getJobs(ids));
}

/**
 * Reacts to one change, publishing the lifecycle events of `publish` (the flow's `events` prop; the stream
 * handler reads it from the environment). `ahead` holds jobs read for the whole batch (see {@link readAhead}).
 */
export async function onChange(deps: EngineDeps, change: ItemChange, publish: EventSelection = DEFAULT_EVENT_SELECTION, ahead?: JobReadAhead): Promise<void> {
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
    const job = ahead?.take(change.after.jobId) ?? (await deps.store.getJob(change.after.jobId));
    if (!job) return;
    await applyEffects(deps, reactToTaskChange(job, change.before, change.after));
  }
}
