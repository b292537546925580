/**
 * Manual control decided from what was read: skip, retry, pause, resume and discard each take a job's tree (and,
 * to reopen a failed job, its ancestors as read) and return the writes to commit in one transaction, each with
 * the condition that makes it valid, or throw the typed error the API answers (409 INVALID_STATE, 400
 * NOT_PAUSABLE, 404 NOT_FOUND, 413 PAYLOAD_TOO_LARGE). Pure: the engine reads, calls these, and commits.
 * @module
 */
import { mergeEnv } from './env';
import { JobxError } from './errors';
import type { JsonObject } from './json';
import { resolveTaskIndex, type JobRecord, type TaskRecord } from './model';
import { nextPipelineStep } from './reactions';
import type { JobStatus } from './statuses';
import { taskSummaries } from './views';
import { MAX_TASK_RECORD_BYTES, jsonBytes, keptPayload, lastPayload, originalPayload } from './task-payload';
import type { JobTree, TxOp } from './writes';

function invalid(message: string, details: Record<string, unknown>): JobxError {
  return new JobxError('INVALID_STATE', message, details);
}

/** The task `taskId` names: its id (`t2`) or its name. */
function taskAt(tree: JobTree, taskId: string): { index: number; record: TaskRecord | undefined; status: string } {
  const index = tree.job.kind === 'pipeline' ? resolveTaskIndex(tree.job, taskId) : undefined;
  if (index === undefined) {
    throw new JobxError('NOT_FOUND', `task ${taskId} not found in job ${tree.job.jobId}`, { jobId: tree.job.jobId, taskId });
  }
  const status = taskSummaries(tree.job, tree.tasks)[index]!.status;
  return { index, record: tree.tasks[index], status };
}

/** Context a task at `index` gets: the outputs of the finished tasks before it. */
function contextAt(tree: JobTree, index: number): JsonObject {
  const before = { ...tree.job, tasks: tree.job.tasks!.slice(0, index) };
  const step = nextPipelineStep(before, tree.tasks.slice(0, index));
  return step.kind === 'complete' ? step.output : step.kind === 'dispatch' || step.kind === 'wait' ? step.context : {};
}

/** A task record for a task that never ran (held, skipped or discarded before its first attempt). */
function freshTask(tree: JobTree, index: number, status: TaskRecord['status'], now: string): TaskRecord {
  const job = tree.job;
  const spec = job.tasks![index]!;
  return {
    jobId: job.jobId,
    taskIndex: index,
    taskId: `t${index + 1}`,
    name: spec.name,
    provider: spec.provider,
    status,
    attemptCount: 0,
    runStart: 1,
    input: { ...job.input, ...(spec.input ?? {}) },
    env: mergeEnv(job.env, spec.env),
    context: contextAt(tree, index),
    attempts: [],
    updatedAt: now,
  };
}

function withoutTimers(task: TaskRecord): TaskRecord {
  const copy = { ...task };
  delete copy.dueAt;
  delete copy.leaseUntil;
  delete copy.reason;
  return copy;
}

/**
 * Writes that make a failed job run again: the job back to running (its result row removed), and up the tree
 * each ancestor that failed because of it, with the child forgotten in its parent's completion counts.
 * `ancestors` are the parents read up the tree: every failed one, and the first that is not.
 */
function reopenOps(job: JobRecord, ancestors: readonly JobRecord[]): TxOp[] {
  const ops: TxOp[] = [];
  let current = job;
  let uncount: number | undefined;
  for (;;) {
    const run = (current.run ?? 0) + 1;
    ops.push({ op: 'updateJob', jobId: current.jobId, from: ['failed'], patch: { status: 'running' }, reopen: true, run, ...(uncount !== undefined ? { uncountChildIndex: uncount } : {}) });
    if (current.parentId === undefined) {
      // The row now says "running again" for the new run: a late record of the failure cannot bring it back.
      ops.push({ op: 'resetResult', jobId: current.jobId, run });
      return ops;
    }
    ops.push({ op: 'uncountChild', parentId: current.parentId, childIndex: current.childIndex! });
    const parent = ancestors.find((a) => a.jobId === current.parentId);
    if (!parent) return ops;
    if (parent.status === 'failed') {
      uncount = current.childIndex!;
      current = parent;
      continue;
    }
    if (parent.status === 'running' || parent.status === 'paused' || parent.status === 'pending') {
      ops.push({ op: 'uncountBucket', parentId: parent.jobId, childIndex: current.childIndex!, in: [parent.status] });
      return ops;
    }
    throw invalid(`job ${job.jobId} cannot run again: its parent ${parent.jobId} is ${parent.status}`, { status: job.status, parentStatus: parent.status });
  }
}

/** Options of {@link decideSkip}. */
export interface SkipOptions {
  reason?: string;
  /** Output the pipeline continues with. @default {} */
  output?: JsonObject;
}

/** Decides a skip of a failed, pending, queued or retrying task; the pipeline moves on with `output`. */
export function decideSkip(t: JobTree, taskId: string, opts: SkipOptions, now: string, ancestors: readonly JobRecord[]): TxOp[] {
  const jobId = t.job.jobId;
  const { index, record, status } = taskAt(t, taskId);
  const job = t.job;
  if (!['failed', 'pending', 'queued', 'retrying'].includes(status) || job.status === 'succeeded' || job.status === 'discarded') {
    throw invalid(`task ${taskId} is ${status} in a ${job.status} job: only a failed, pending, queued or retrying task can be skipped`, { status, jobStatus: job.status });
  }
  const skipped: TaskRecord = { ...(record ? withoutTimers(record) : freshTask(t, index, 'skipped', now)), status: 'skipped', skipOutput: opts.output ?? {}, updatedAt: now };
  if (opts.reason !== undefined) skipped.reason = opts.reason;
  const ops: TxOp[] = [record ? { op: 'replaceTask', before: record, after: skipped } : { op: 'putTask', task: skipped }];
  if (status === 'failed' && job.status === 'failed') return [...ops, ...(reopenOps(job, ancestors))];
  const step = nextPipelineStep(job, t.tasks);
  const current = step.kind === 'dispatch' ? step.taskIndex : step.kind === 'wait' || step.kind === 'fail' ? step.task.taskIndex : index;
  const ahead = index > current;
  ops.push(ahead ? { op: 'updateJob', jobId, from: [job.status], patch: { status: job.status }, preSkipped: true } : { op: 'checkJob', jobId, in: [job.status] });
  return ops;
}

/** Options of {@link decideRetry}. */
export interface RetryOptions {
  input?: JsonObject;
  env?: JsonObject;
  /** Replace input/env instead of merging the edits over the old values. */
  replace?: boolean;
}

/**
 * Decides a retry of a failed task as a new manual attempt (with a fresh automatic retry budget). Edits change
 * only the task's current input/env (the next run's); every earlier attempt stays as it is.
 * @throws JobxError PAYLOAD_TOO_LARGE when an edit would make the task record, with the copy its next attempt
 *   keeps, exceed {@link MAX_TASK_RECORD_BYTES}
 */
export function decideRetry(t: JobTree, taskId: string, opts: RetryOptions, now: string, ancestors: readonly JobRecord[]): TxOp[] {
  const jobId = t.job.jobId;
  const { index, record, status } = taskAt(t, taskId);
  const job = t.job;
  if (!record || record.status !== 'failed' || job.status === 'succeeded' || job.status === 'discarded') {
    throw invalid(`task ${taskId} is ${status} in a ${job.status} job: only a failed task can be retried`, { status, jobStatus: job.status });
  }
  const input = opts.replace ? (opts.input ?? {}) : { ...record.input, ...(opts.input ?? {}) };
  const env = opts.replace ? (opts.env ?? {}) : { ...record.env, ...(opts.env ?? {}) };
  const queued: TaskRecord = { ...withoutTimers(record), status: 'queued', runStart: record.attemptCount + 1, input, env, updatedAt: now };
  if (JSON.stringify(input) !== JSON.stringify(record.input) || JSON.stringify(env) !== JSON.stringify(record.env)) {
    // The record as it will be once the next attempt keeps what differs from what the last attempt ran with.
    const original = originalPayload(job, index);
    const kept = keptPayload({ input, env }, original && lastPayload(original, record.attempts));
    const bytes = jsonBytes(queued) + jsonBytes(kept);
    if (bytes > MAX_TASK_RECORD_BYTES) {
      throw new JobxError(
        'PAYLOAD_TOO_LARGE',
        `task ${taskId} would be ${bytes} bytes with this input and env (kept by its next attempt too); the limit of a task record is ${MAX_TASK_RECORD_BYTES}`,
        { bytes, limit: MAX_TASK_RECORD_BYTES },
      );
    }
  }
  const ops: TxOp[] = [{ op: 'replaceTask', before: record, after: queued }];
  if (job.status === 'failed') return [...ops, ...(reopenOps(job, ancestors))];
  return [...ops, { op: 'checkJob', jobId, in: [job.status] }];
}

function assertPausable(job: JobRecord): void {
  if (!job.pausable) throw new JobxError('NOT_PAUSABLE', `job ${job.jobId} was submitted with pausable: false`, { jobId: job.jobId });
}

/** Decides a pause of a running (or not yet started) job: running attempts finish, what they would start is held. */
export function decidePause(t: JobTree, now: string): TxOp[] {
  const jobId = t.job.jobId;
  const job = t.job;
  assertPausable(job);
  if (job.status !== 'running' && job.status !== 'pending') throw invalid(`job ${jobId} is ${job.status}: only a running or pending job can be paused`, { status: job.status });
  // A root waiting for tokens is in their queues: paused there it would block every job behind it.
  if (job.status === 'pending' && job.parentId === undefined) throw invalid(`job ${jobId} is waiting for its tokens: discard it instead`, { status: job.status });
  const ops: TxOp[] = [{ op: 'updateJob', jobId, from: [job.status], patch: { status: 'paused' }, requirePausable: true }];
  if (job.kind !== 'pipeline' || job.status !== 'running') return ops;
  const step = nextPipelineStep(job, t.tasks);
  // Hold the next task so that a message already on its way cannot start it.
  if (step.kind === 'dispatch') ops.push({ op: 'putTask', task: freshTask(t, step.taskIndex, 'pending', now) });
  else if (step.kind === 'wait' && (step.task.status === 'retrying' || step.task.status === 'queued')) {
    // Its due time stays: resume sends it then, not at once.
    const held: TaskRecord = { ...step.task, status: 'pending', updatedAt: now };
    delete held.leaseUntil;
    ops.push({ op: 'replaceTask', before: step.task, after: held });
  } else if (step.kind === 'wait' && step.task.status === 'running') {
    // The attempt runs on; whatever it would start when it ends is held: its own retry (`held`), and the
    // next task (a record that no first-attempt message can claim). Both writes are guarded by the state
    // read here, so a task that ends meanwhile makes this plan fail and be made again.
    ops.push({ op: 'replaceTask', before: step.task, after: { ...step.task, held: true } });
    const next = step.task.taskIndex + 1;
    if (next < (job.tasks?.length ?? 0) && !t.tasks[next]) ops.push({ op: 'putTask', task: freshTask(t, next, 'pending', now) });
  }
  return ops;
}

/** Decides a resume of a paused job where it stopped. */
export function decideResume(t: JobTree, now: string): TxOp[] {
  const jobId = t.job.jobId;
  const job = t.job;
  assertPausable(job);
  if (job.status !== 'paused') throw invalid(`job ${jobId} is ${job.status}: only a paused job can be resumed`, { status: job.status });
  // A child paused before its parent started it (it has never started) goes back to waiting for that start: its
  // parent may still wait for its tokens (invariant 6). If the parent started meanwhile, the resume's change
  // starts it (`startChild`).
  if (job.parentId !== undefined && job.startedAt === undefined) return [{ op: 'updateJob', jobId, from: ['paused'], patch: { status: 'pending' } }];
  const ops: TxOp[] = [{ op: 'updateJob', jobId, from: ['paused'], patch: { status: 'running' } }];
  if (job.kind !== 'pipeline') return ops;
  return [...ops, ...releaseHolds(t, now)];
}

/**
 * Writes that undo what a pause held, from where the pipeline stands: a running attempt no longer holds its
 * retry (and the next task's placeholder goes, so the attempt's end dispatches it as usual); a held task is sent
 * again, as a retry at its due time, or as a run with the context the pipeline has now.
 */
export function releaseHolds(t: JobTree, now: string): TxOp[] {
  const step = nextPipelineStep(t.job, t.tasks);
  if (step.kind !== 'wait') return [];
  const task = step.task;
  if (task.status === 'running' && task.held) {
    const unheld: TaskRecord = { ...task };
    delete unheld.held;
    const ops: TxOp[] = [{ op: 'replaceTask', before: task, after: unheld }];
    const next = t.tasks[task.taskIndex + 1];
    if (next?.status === 'pending' && next.attemptCount === 0) ops.push({ op: 'deleteHeldTask', task: next });
    return ops;
  }
  if (task.status !== 'pending') return [];
  const released: TaskRecord = { ...task, status: task.dueAt !== undefined ? 'retrying' : 'queued', updatedAt: now };
  delete released.held;
  if (task.attemptCount === 0) released.context = step.context;
  return [{ op: 'replaceTask', before: task, after: released }];
}

/** Options of {@link decideDiscard}. */
export interface DiscardOptions {
  reason?: string;
}

const DISCARDABLE: readonly JobStatus[] = ['pending', 'running', 'paused', 'failed'];

/** Decides a discard: the job and its unfinished task (its children follow through the stream). */
export function decideDiscard(t: JobTree, opts: DiscardOptions, now: string): TxOp[] {
  const jobId = t.job.jobId;
  const job = t.job;
  if (!DISCARDABLE.includes(job.status)) throw invalid(`job ${jobId} is ${job.status}: it cannot be discarded`, { status: job.status });
  const isRoot = job.parentId === undefined;
  const run = (job.run ?? 0) + 1;
  const ops: TxOp[] = [
    {
      op: 'updateJob',
      jobId,
      from: [job.status],
      patch: { status: 'discarded', reason: opts.reason ?? 'discarded by hand', endedAt: now },
      // A root's row answers for the new run; a root holding tokens stays on the sweeper's index until it gives them back.
      ...(isRoot ? { run, ...(job.tokens?.length ? { keepActive: true } : {}) } : {}),
    },
  ];
  if (isRoot) ops.push({ op: 'resetResult', jobId, run });
  if (job.kind !== 'pipeline') return ops;
  const step = nextPipelineStep(job, t.tasks);
  if (step.kind === 'dispatch') ops.push({ op: 'putTask', task: freshTask(t, step.taskIndex, 'discarded', now) });
  else if (step.kind === 'wait') {
    // A running attempt runs on (its provider cannot be stopped): it stays `running` with its lease, and
    // still counts as its job's, tokens included, until it reports late or its lease runs out.
    const task = step.task;
    const discarded: TaskRecord = { ...task, status: 'discarded', updatedAt: now };
    delete discarded.dueAt;
    delete discarded.reason;
    delete discarded.held;
    if (task.status !== 'running') delete discarded.leaseUntil;
    ops.push({ op: 'replaceTask', before: task, after: discarded });
  }
  return ops;
}
