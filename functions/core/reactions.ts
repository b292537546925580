/**
 * What follows from a state change. The stream consumer calls these with the old and new image of a record and
 * carries out the effects; every effect is itself idempotent (a conditional write or a message whose claim is
 * conditional), so a duplicate or replayed record changes nothing.
 * @module
 */
import { withCarriedJob } from './carried-job';
import { mergeEnv } from './env';
import type { JsonObject } from './json';
import {
  DEFAULT_TASK_TIMEOUT_SECONDS,
  nextContext,
  taskIdOf,
  taskOutput,
  type JobRecord,
  type TaskGuard,
  type TaskMessage,
  type TaskRecord,
} from './model';
import { isTaskDone, isTerminalJob, type JobStatus } from './statuses';
import { partsToExpand } from './staging';
import { taskRetryPolicy } from './submission';

/** A consequence to carry out. */
export type Effect =
  /** Send a task message to its provider's queue, not before `notBefore` (ms since epoch). */
  | { kind: 'dispatch'; message: TaskMessage; notBefore?: number }
  /**
   * Move a running job to a terminal status (conditional on it still running and, with `guard`, on the task the
   * decision was made from still being in the state it was read in: a failure retried or skipped by hand since
   * then no longer fails the job).
   */
  | { kind: 'finishJob'; jobId: string; status: 'succeeded' | 'failed'; output?: JsonObject; reason?: string; guard?: TaskGuard }
  /** A parent whose children may all have finished (after a resume): finish it if they have. */
  | { kind: 'settleParent'; parentId: string }
  /**
   * Start a parent's children: a pending child is moved to running (its change sends its first task); a child
   * born running gets its first task sent (or, itself a parent, its own children started) from here.
   */
  | { kind: 'startChildren'; parentId: string; childCount: number }
  /** A root that needs tokens tries to take all of them at once (it starts when it gets them). */
  | { kind: 'acquireTokens'; jobId: string }
  /** A root that succeeded or was discarded gives its tokens back and wakes the next waiter of each. */
  | { kind: 'releaseTokens'; jobId: string; tokens: string[]; createdAt: string }
  /** A child resumed before it ever started: start it if its parent runs (else the parent's start will). */
  | { kind: 'startChild'; parentId: string; childId: string }
  /** Children follow their parent: pause, resume or discard each child that can. */
  | { kind: 'cascade'; action: 'pause' | 'resume' | 'discard'; parentId: string; childCount: number }
  /** Look at a pipeline's tasks and take its next step (after a resume or for repair). */
  | { kind: 'advancePipeline'; jobId: string }
  /** A root finished: write its result row for its current run (never over a later run's row). */
  | { kind: 'publishResult'; jobId: string; status: JobStatus; run: number; output?: JsonObject; reason?: string; parent?: boolean }
  /** A staged root: create its descendants from the parts not expanded yet (each record only if absent). */
  | { kind: 'stageChildren'; jobId: string }
  /** A staged root whose every part is expanded: it starts, or waits for its tokens. */
  | { kind: 'finishStaging'; jobId: string }
  /** A child finished: record it in its parent's completion bucket. */
  | { kind: 'reportToParent'; parentId: string; childIndex: number; childId: string; failed: boolean };

/**
 * Builds the message for one attempt of a task.
 * Task input is the job's input overlaid with the task's own; env is the job's effective env overlaid with the task's.
 */
export function buildTaskMessage(
  job: JobRecord,
  taskIndex: number,
  attempt: number,
  context: JsonObject,
  manual: boolean,
  current?: Pick<TaskRecord, 'input' | 'env'>,
): TaskMessage {
  const spec = job.tasks?.[taskIndex];
  if (!spec) throw new Error(`job ${job.jobId} has no task ${taskIndex}`);
  const msg: TaskMessage = {
    v: 1,
    jobId: job.jobId,
    rootId: job.rootId,
    taskIndex,
    taskId: taskIdOf(taskIndex),
    attempt,
    manual,
    provider: spec.provider,
    job: { jobId: job.jobId, name: job.name, owner: job.owner },
    taskName: spec.name,
    input: current?.input ?? { ...job.input, ...(spec.input ?? {}) },
    env: current?.env ?? mergeEnv(job.env, spec.env),
    context,
    timeoutSeconds: spec.timeoutSeconds ?? DEFAULT_TASK_TIMEOUT_SECONDS,
    retry: taskRetryPolicy(job, taskIndex),
  };
  const preLock = spec.preLock ?? job.preLock;
  if (preLock !== undefined) msg.preLock = preLock;
  if (job.parentId !== undefined && job.pausable) msg.pauseParent = job.parentId;
  return withCarriedJob(msg, job);
}

/** The next step of a pipeline given its tasks (indexed by position; undefined = never ran). */
export type PipelineStep =
  | { kind: 'dispatch'; taskIndex: number; context: JsonObject; since?: string }
  | { kind: 'wait'; task: TaskRecord; context: JsonObject }
  | { kind: 'complete'; output: JsonObject }
  | { kind: 'fail'; reason: string; task: TaskRecord }
  | { kind: 'stopped' };

/**
 * Walks a pipeline and says what comes next. The context is accumulated from the start (a task skipped before
 * it was reached has no stored context of its own). `since` on a dispatch is when the previous task ended, so a
 * repair can tell a message that is merely in flight from one that was lost.
 */
export function nextPipelineStep(job: JobRecord, tasks: ReadonlyArray<TaskRecord | undefined>): PipelineStep {
  const specs = job.tasks ?? [];
  let context: JsonObject = {};
  let since: string | undefined = job.startedAt;
  for (let i = 0; i < specs.length; i++) {
    const task = tasks[i];
    if (!task) return since === undefined ? { kind: 'dispatch', taskIndex: i, context } : { kind: 'dispatch', taskIndex: i, context, since };
    if (isTaskDone(task.status)) {
      context = nextContext(context, taskOutput(task));
      since = task.updatedAt;
      continue;
    }
    if (task.status === 'failed') return { kind: 'fail', reason: failureReason(task), task };
    if (task.status === 'discarded') return { kind: 'stopped' };
    return { kind: 'wait', task, context };
  }
  return { kind: 'complete', output: context };
}

/** Why a job failed because of one of its tasks. */
export function failureReason(task: Pick<TaskRecord, 'name' | 'reason'>): string {
  return `task ${task.name} failed: ${task.reason ?? 'error'}`;
}

/** The guard of a decision taken from a task as read. */
export function guardOf(task: Pick<TaskRecord, 'jobId' | 'taskIndex' | 'status' | 'attemptCount'>): TaskGuard {
  return { jobId: task.jobId, taskIndex: task.taskIndex, status: task.status, attemptCount: task.attemptCount };
}

/** Whether the next attempt of a task starts a run asked for by hand (a manual retry), as opposed to an automatic one. */
export function nextAttemptIsManual(task: Pick<TaskRecord, 'attemptCount' | 'runStart'>): boolean {
  return task.attemptCount > 0 && task.runStart === task.attemptCount + 1;
}

/** Consequences of a task record changing from `before` to `after` (before undefined: the task was created). */
export function reactToTaskChange(job: JobRecord, before: TaskRecord | undefined, after: TaskRecord): Effect[] {
  const statusChanged = before?.status !== after.status || before?.attemptCount !== after.attemptCount;
  if (!statusChanged) return [];
  switch (after.status) {
    case 'succeeded': {
      if (job.status !== 'running') return [];
      // A later task skipped before it was reached: walk the pipeline instead of taking the next position.
      if (job.preSkipped) return [{ kind: 'advancePipeline', jobId: job.jobId }];
      const next = after.taskIndex + 1;
      const context = nextContext(after.context, taskOutput(after));
      if (next < (job.tasks?.length ?? 0)) {
        // The invocation that ran this attempt claims the next task itself (core/continuation.ts): no message.
        if (after.continued) return [];
        return [{ kind: 'dispatch', message: buildTaskMessage(job, next, 1, context, false) }];
      }
      // The invocation that ran the last task finishes the job itself (core/continuation.ts `decideFinish`).
      if (after.continued) return [];
      return [{ kind: 'finishJob', jobId: job.jobId, status: 'succeeded', output: context }];
    }
    case 'skipped':
      // Skips can happen anywhere in the pipeline (even ahead of it): the walk decides whether it moves on.
      return job.status === 'running' ? [{ kind: 'advancePipeline', jobId: job.jobId }] : [];
    case 'retrying': {
      if (job.status !== 'running') return [];
      const message = buildTaskMessage(job, after.taskIndex, after.attemptCount + 1, after.context, false, after);
      return after.dueAt === undefined ? [{ kind: 'dispatch', message }] : [{ kind: 'dispatch', message, notBefore: after.dueAt }];
    }
    case 'queued': {
      if (job.status !== 'running') return [];
      return [{ kind: 'dispatch', message: buildTaskMessage(job, after.taskIndex, after.attemptCount + 1, after.context, nextAttemptIsManual(after), after) }];
    }
    case 'failed': {
      if (job.status !== 'running') return [];
      return [{ kind: 'finishJob', jobId: job.jobId, status: 'failed', reason: failureReason(after), guard: guardOf(after) }];
    }
    default:
      return [];
  }
}

/** Consequences of a job record changing from `before` to `after` (before undefined: the job was created). */
export function reactToJobChange(before: JobRecord | undefined, after: JobRecord): Effect[] {
  const holdsTokens = after.parentId === undefined && (after.tokens?.length ?? 0) > 0;
  if (after.staging && after.status === 'pending') {
    // Descendants are being created: nothing else happens to this root until the last part is marked (a
    // discard meanwhile is handled below, as for any job).
    if (partsToExpand(after).length === 0) return [{ kind: 'finishStaging', jobId: after.jobId }];
    return before ? [] : [{ kind: 'stageChildren', jobId: after.jobId }];
  }
  // Staging ended with the root still pending: it now queues for its tokens like any tokened root.
  if (before?.staging && holdsTokens && after.status === 'pending') return [{ kind: 'acquireTokens', jobId: after.jobId }];
  if (before?.status === after.status) return [];
  const parent = after.kind === 'parent';
  if (holdsTokens && after.status === 'pending' && !before) return [{ kind: 'acquireTokens', jobId: after.jobId }];
  // A failed job keeps its tokens: it may be retried by hand and must not be overtaken meanwhile.
  const release: Effect[] =
    holdsTokens && (after.status === 'succeeded' || after.status === 'discarded') ? [{ kind: 'releaseTokens', jobId: after.jobId, tokens: after.tokens!, createdAt: after.createdAt }] : [];
  const childCount = after.childCount ?? 0;
  if (after.status === 'running') {
    // A child born running starts when its parent's start reaches it (`startChildren`), never from its own
    // creation: its parent may not exist yet (descendants are written before their root, the commit point).
    if (!before && after.parentId !== undefined) return [];
    if (parent) {
      // A resumed parent whose last children finished while it was paused finishes now.
      return before?.status === 'paused'
        ? [
            { kind: 'cascade', action: 'resume', parentId: after.jobId, childCount },
            { kind: 'settleParent', parentId: after.jobId },
          ]
        : [{ kind: 'startChildren', parentId: after.jobId, childCount }];
    }
    if (!before && (after.tasks?.length ?? 0) > 0) {
      // Its creator sent the first task (`core/first-task.ts`); the sweeper sends it if that send was lost.
      if (after.firstTaskSent) return [];
      return [{ kind: 'dispatch', message: buildTaskMessage(after, 0, 1, {}, false) }];
    }
    return [{ kind: 'advancePipeline', jobId: after.jobId }];
  }
  if (after.status === 'paused') return parent ? [{ kind: 'cascade', action: 'pause', parentId: after.jobId, childCount }] : [];
  if (after.status === 'pending' && before?.status === 'paused' && after.parentId !== undefined) return [{ kind: 'startChild', parentId: after.parentId, childId: after.jobId }];
  if (isTerminalJob(after.status)) {
    const effects: Effect[] = [];
    if (after.status === 'discarded' && parent) effects.push({ kind: 'cascade', action: 'discard', parentId: after.jobId, childCount });
    if (after.parentId !== undefined && after.childIndex !== undefined) {
      effects.push({ kind: 'reportToParent', parentId: after.parentId, childIndex: after.childIndex, childId: after.jobId, failed: after.status !== 'succeeded' });
      return effects;
    }
    const effect: Effect = { kind: 'publishResult', jobId: after.jobId, status: after.status, run: after.run ?? 0, ...(parent ? { parent: true } : {}) };
    if (after.output !== undefined) effect.output = after.output;
    if (after.reason !== undefined) effect.reason = after.reason;
    effects.push(effect, ...release);
    return effects;
  }
  return [];
}
