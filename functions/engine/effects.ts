/**
 * Carries out the core's effects through the ports. Every effect is idempotent, so the stream consumer and
 * the sweeper can both call this for the same change, any number of times.
 * @module
 */
import type { JobRecord, TaskMessage } from '../core/model';
import { buildTaskMessage, guardOf, nextAttemptIsManual, nextPipelineStep, type Effect } from '../core/reactions';
import { bucketCount, bucketOf, bucketSize, childJobId } from '../core/submission';
import { boundedParentOutput, isOmittedOutput, MAX_PARENT_OUTPUT_BYTES, MAX_PARENT_OUTPUT_ON_RECORD_BYTES } from '../core/views';
import { isTerminalJob } from '../core/statuses';
import type { EngineDeps } from '../ports';
import { mapLimit } from '../util/map-limit';
import { cascadeToChild } from './control';
import { finishStaging, stageChildren } from './staging';
import { acquireTokens, releaseTokens } from './tokens';
import { finishJob } from './finish-job';

// Where a message goes is decided by core/routing.ts and carried out in ./dispatch; the name stays for importers.
import { dispatch as dispatchMessage, dispatchMany } from './dispatch';

/** Sends a task message where core/routing.ts says: a queue, a one-time schedule or a worker inbox (see ./dispatch). */
export async function dispatch(deps: EngineDeps, message: TaskMessage, notBefore?: number): Promise<void> {
  return dispatchMessage(deps, message, notBefore);
}


/** Carries out one effect. */
export async function applyEffect(deps: EngineDeps, effect: Effect): Promise<void> {
  switch (effect.kind) {
    case 'dispatch':
      return dispatch(deps, effect.message, effect.notBefore);
    case 'finishJob':
      await finishJob(deps, effect);
      return;
    case 'settleParent':
      return settleParent(deps, effect.parentId);
    case 'startChildren':
      return startChildren(deps, effect.parentId, effect.childCount);
    case 'startChild': {
      const parent = await deps.store.getJob(effect.parentId);
      if (parent?.status === 'running') await startPendingChild(deps, effect.childId);
      return;
    }
    case 'advancePipeline':
      return advancePipeline(deps, effect.jobId);
    case 'publishResult': {
      // A parent's output was aggregated when it finished; one too large for its record is rebuilt once, here.
      let output = effect.output;
      if (effect.parent && (effect.status === 'succeeded' || effect.status === 'failed') && (output === undefined || isOmittedOutput(output))) {
        const tree = await deps.store.getJobTree(effect.jobId);
        if (tree) output = boundedParentOutput(tree.children, MAX_PARENT_OUTPUT_BYTES);
      }
      await deps.results.put({
        jobId: effect.jobId,
        status: effect.status,
        run: effect.run,
        ...(output !== undefined ? { output } : {}),
        ...(effect.reason !== undefined ? { reason: effect.reason } : {}),
        endedAt: new Date(deps.clock.now()).toISOString(),
      });
      return;
    }
    case 'reportToParent':
      return reportToParent(deps, effect.parentId, effect.childIndex);
    case 'stageChildren':
      return stageChildren(deps, effect.jobId);
    case 'finishStaging':
      await finishStaging(deps, effect.jobId);
      return;
    case 'acquireTokens':
      await acquireTokens(deps, effect.jobId);
      return;
    case 'releaseTokens':
      return releaseTokens(deps, effect);
    case 'cascade': {
      const ids = Array.from({ length: effect.childCount }, (_, i) => `${effect.parentId}.${i + 1}`);
      await mapLimit(ids, 16, (id) => cascadeToChild(deps, id, effect.action));
      return;
    }
  }
}

/** Children read per request when a parent starts them (BatchGetItem's limit). */
const START_PAGE = 100;

/**
 * Starts a parent's children, read a hundred at a time: a pending child is moved to running (the stream sends its
 * first task from that change); a child born running gets its first task sent here, or, itself a parent, its own
 * children started. Each send is claimed only if the task has no record yet, so a replay, a pause or a discard
 * that came first (its placeholder record) makes it a no-op.
 */
export async function startChildren(deps: EngineDeps, parentId: string, childCount: number): Promise<void> {
  for (let from = 1; from <= childCount; from += START_PAGE) {
    const ids = Array.from({ length: Math.min(START_PAGE, childCount - from + 1) }, (_, i) => childJobId(parentId, from + i));
    const children = await deps.store.getJobs(ids);
    // The first tasks of the page's running pipelines go out together (SQS takes ten messages a request).
    const first: TaskMessage[] = [];
    await mapLimit(children, 16, async (child) => {
      if (child.status === 'pending') await startPendingChild(deps, child.jobId);
      else if (child.status !== 'running') return;
      else if (child.kind === 'parent') await startChildren(deps, child.jobId, child.childCount ?? 0);
      else if ((child.tasks?.length ?? 0) > 0) first.push(buildTaskMessage(child, 0, 1, {}, false));
      else await advancePipeline(deps, child.jobId);
    });
    await dispatchMany(deps, first);
  }
}

/** Starts a child waiting for its parent: `pending` → `running` (its change sends its first task). */
export function startPendingChild(deps: EngineDeps, childId: string): Promise<boolean> {
  return deps.store.transitionJob(childId, ['pending'], { status: 'running', startedAt: new Date(deps.clock.now()).toISOString() });
}

/** Carries out effects in order. */
export async function applyEffects(deps: EngineDeps, effects: readonly Effect[]): Promise<void> {
  for (const effect of effects) await applyEffect(deps, effect);
}

/** Reads a pipeline and takes its next step (used on resume and by the sweeper). */
export async function advancePipeline(deps: EngineDeps, jobId: string): Promise<void> {
  const tree = await deps.store.getJobTree(jobId);
  if (!tree || tree.job.status !== 'running' || tree.job.kind !== 'pipeline') return;
  const step = nextPipelineStep(tree.job, tree.tasks);
  if (step.kind === 'dispatch') await dispatch(deps, buildTaskMessage(tree.job, step.taskIndex, 1, step.context, false));
  else if (step.kind === 'wait' && (step.task.status === 'retrying' || step.task.status === 'queued')) {
    // A retry or a manual run that came due while the job was paused was never sent: send it now (or when due).
    const task = step.task;
    const message = buildTaskMessage(tree.job, task.taskIndex, task.attemptCount + 1, task.context, nextAttemptIsManual(task), task);
    await dispatch(deps, message, task.status === 'retrying' ? task.dueAt : undefined);
  }
  else if (step.kind === 'complete') await applyEffect(deps, { kind: 'finishJob', jobId, status: 'succeeded', output: step.output });
  else if (step.kind === 'fail') await applyEffect(deps, { kind: 'finishJob', jobId, status: 'failed', reason: step.reason, guard: guardOf(step.task) });
}

/**
 * Counts a finished child on its parent: first in its bucket, then the bucket on the parent; the parent
 * finishes when its last bucket completes. Each step is idempotent and repeats the next one on replay, and each
 * is guarded by the state it was decided from: the bucket's version (moved by every reopen of one of its
 * children) is read before the child, so a child reopened by hand after it was read is never counted, and its
 * bucket is never counted on the parent, nor the parent finished, over a reopened child.
 */
export async function reportToParent(deps: EngineDeps, parentId: string, childIndex: number): Promise<void> {
  return reportChildren(deps, parentId, [childIndex]);
}

/**
 * {@link reportToParent} for several children of one parent (a stream batch's): the children of one bucket are
 * counted in one write, under the same guard (the bucket's version read before the children).
 */
export async function reportChildren(deps: EngineDeps, parentId: string, childIndexes: readonly number[]): Promise<void> {
  const parent = await deps.store.getJob(parentId);
  if (!parent || parent.childCount === undefined) return;
  const byBucket = new Map<number, number[]>();
  for (const i of new Set(childIndexes)) {
    const list = byBucket.get(bucketOf(i));
    if (list) list.push(i);
    else byBucket.set(bucketOf(i), [i]);
  }
  for (const [bucket, indexes] of byBucket) {
    if (await countInBucket(deps, parent, bucket, indexes)) return;
  }
}

/**
 * Counts finished children of one bucket; true when that finished the parent's counting (nothing left to do).
 * What the bucket already holds is not written again: a replay (a stream batch retried, or children the sweeper
 * counted first while the stream lagged) reads that its children are counted, and that the parent counted the
 * bucket at the same version, and carries on from there without a refused write.
 */
async function countInBucket(deps: EngineDeps, parent: JobRecord, bucket: number, indexes: readonly number[]): Promise<boolean> {
  const parentId = parent.jobId;
  const size = bucketSize(bucket, parent.childCount!);
  for (let tries = 0; tries < 3; tries++) {
    const state = await deps.store.bucketState(parentId, bucket);
    // A replayed record of a child that was reopened by hand since (skip/retry) must not count it again.
    const children = (await deps.store.getJobs(indexes.map((i) => childJobId(parentId, i)))).filter((c) => isTerminalJob(c.status));
    if (children.length === 0) return false;
    const uncounted = children.filter((c) => !state.done.has(c.childIndex!)).map((c) => ({ childIndex: c.childIndex!, failed: c.status !== 'succeeded' }));
    const counted =
      uncounted.length > 0
        ? await deps.store.countChildren(parentId, bucket, uncounted, size, state.reopens)
        : { bucketComplete: state.done.size >= size, bucketFailed: state.anyFailed, reopens: state.reopens };
    // Reopened between the reads and the count: read again (it is running now, or finished once more).
    if (!counted) continue;
    if (!counted.bucketComplete) return false;
    // Counted on the parent at the version this count was decided at: only the parent's totals are left to read.
    const totals =
      uncounted.length === 0 && state.onParent ? await deps.store.parentCounts(parentId) : await deps.store.countBucket(parentId, bucket, counted.bucketFailed, counted.reopens);
    // A child of the bucket was reopened since it completed: its own end completes the bucket again.
    if (!totals) return false;
    // A paused parent finishes when it is resumed (settleParent), not while it is paused.
    if (totals.doneBuckets < bucketCount(parent.childCount!) || totals.status !== 'running') return false;
    await finishParent(deps, parentId, totals.failedBuckets > 0);
    return true;
  }
  return false;
}

/** Finishes a running parent whose every bucket is complete (after a resume, or as a repair). */
export async function settleParent(deps: EngineDeps, parentId: string): Promise<void> {
  const parent = await deps.store.getJob(parentId);
  if (!parent || parent.status !== 'running' || parent.childCount === undefined) return;
  if ((parent.bucketsDone ?? 0) < bucketCount(parent.childCount)) return;
  await finishParent(deps, parentId, (parent.bucketsFailed ?? 0) > 0);
}

/**
 * Finishes a parent with its output aggregated once, from its children's records (each child's own output,
 * a nested parent's included), bounded by {@link MAX_PARENT_OUTPUT_BYTES}.
 */
async function finishParent(deps: EngineDeps, parentId: string, anyFailed: boolean): Promise<void> {
  const tree = await deps.store.getJobTree(parentId);
  if (!tree || tree.job.status !== 'running' || tree.job.childCount === undefined) return;
  // Guarded by every bucket still being counted: a child reopened since (its bucket uncounted) keeps it running.
  await deps.store.transitionJob(
    parentId,
    ['running'],
    {
      status: anyFailed ? 'failed' : 'succeeded',
      endedAt: new Date(deps.clock.now()).toISOString(),
      output: boundedParentOutput(tree.children, MAX_PARENT_OUTPUT_ON_RECORD_BYTES),
      ...(anyFailed ? { reason: 'one or more child jobs did not succeed' } : {}),
    },
    undefined,
    { bucketsDone: bucketCount(tree.job.childCount) },
  );
}
