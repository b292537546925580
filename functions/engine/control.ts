/**
 * Manual control: skip, retry, pause, resume, discard. Each action reads the job (and, to reopen a failed job,
 * its ancestors), lets the core decide its writes with the conditions that make them valid
 * (`core/control-decisions.ts`), and commits them in one transaction; if the job moved in between, it reads
 * again and decides again, and answers 409 INVALID_STATE when the action no longer applies.
 * @module
 */
import {
  decideDiscard,
  decidePause,
  decideResume,
  decideRetry,
  decideSkip,
  type DiscardOptions,
  type RetryOptions,
  type SkipOptions,
} from '../core/control-decisions';
import { JobxError } from '../core/errors';
import { decideReleaseHeld } from '../core/pause-holds';
import { randomUUID } from 'node:crypto';
import { resolveTaskIndex, taskIdOf, type AuditEntry, type JobRecord } from '../core/model';
import { taskDetail, jobView, type JobView, type TaskDetailView } from '../core/views';
import type { EngineDeps, JobTree, TxOp } from '../ports';

export type { DiscardOptions, RetryOptions, SkipOptions } from '../core/control-decisions';

const MAX_TRIES = 4;

async function readTree(deps: EngineDeps, jobId: string): Promise<JobTree> {
  const tree = await deps.store.getJobTree(jobId);
  if (!tree) throw new JobxError('NOT_FOUND', `job ${jobId} not found`, { jobId });
  return tree;
}

/** The parents a reopen needs: up the tree while they failed, and the first that did not (none for a job that did not fail). */
async function readAncestors(deps: EngineDeps, job: JobRecord): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  if (job.status !== 'failed') return out;
  for (let id = job.parentId; id !== undefined; ) {
    const parent = await deps.store.getJob(id);
    if (!parent) break;
    out.push(parent);
    if (parent.status !== 'failed') break;
    id = parent.parentId;
  }
  return out;
}

/**
 * Reads, decides and commits; decides again when a condition failed because the job moved meanwhile.
 * @returns the tree after the commit (read again only when `reread`, for the API's answer)
 */
async function commit(deps: EngineDeps, jobId: string, decide: (tree: JobTree, ancestors: JobRecord[], now: string) => TxOp[], reread = true, audit?: AuditOf): Promise<JobTree> {
  for (let attempt = 1; ; attempt++) {
    const tree = await readTree(deps, jobId);
    const now = new Date(deps.clock.now()).toISOString();
    const ops = decide(tree, await readAncestors(deps, tree.job), now);
    if (ops.length === 0) return tree;
    // The record of who did it commits with the action itself, or not at all.
    if (audit) ops.push({ op: 'putAudit', jobId, entry: { ...audit(tree), at: now }, nonce: randomUUID() });
    const failed = await deps.store.transact(ops);
    if (failed < 0) return reread ? readTree(deps, jobId) : tree;
    if (attempt >= MAX_TRIES) throw new JobxError('CONFLICT', `job ${jobId} kept changing while the action was applied; try again`, { jobId });
  }
}

function detail(tree: JobTree, taskId: string): TaskDetailView {
  // The decision resolved the same id or name in the same job's tasks (they never change), so it names a task.
  const index = resolveTaskIndex(tree.job, taskId)!;
  return taskDetail(tree.job, index, tree.tasks[index], tree.tasks);
}

/** Who asked for a manual action (recorded on the job with it): the API's caller. */
export interface Actor {
  by: string;
}

type AuditOf = (tree: JobTree) => Omit<AuditEntry, 'at'>;

/** The record of an action by `actor` (none without one: cascades and internal calls record nothing). */
function auditOf(action: AuditEntry['action'], actor: Actor | undefined, extra: { taskId?: string; reason?: string | undefined } = {}): AuditOf | undefined {
  if (!actor) return undefined;
  return (tree) => {
    const entry: Omit<AuditEntry, 'at'> = { action, by: actor.by };
    // A task named by its name is recorded by its id (names can repeat across jobs; ids are what views show).
    if (extra.taskId !== undefined) entry.taskId = taskIdOf(resolveTaskIndex(tree.job, extra.taskId) ?? 0);
    if (extra.reason !== undefined) entry.reason = extra.reason;
    return entry;
  };
}

/** Skips a failed, pending, queued or retrying task (`taskId`: its id or its name); the pipeline moves on with `output`. */
export async function skipTask(deps: EngineDeps, jobId: string, taskId: string, opts: SkipOptions, actor?: Actor): Promise<TaskDetailView> {
  return detail(await commit(deps, jobId, (t, ancestors, now) => decideSkip(t, taskId, opts, now, ancestors), true, auditOf('skip', actor, { taskId, reason: opts.reason })), taskId);
}

/**
 * Runs a failed task (`taskId`: its id or its name) again as a new manual attempt (with a fresh automatic retry budget); edits change only the
 * next run's input/env.
 * @throws JobxError PAYLOAD_TOO_LARGE when an edit would not fit the task's record (nothing is written)
 */
export async function retryTask(deps: EngineDeps, jobId: string, taskId: string, opts: RetryOptions, actor?: Actor): Promise<TaskDetailView> {
  return detail(await commit(deps, jobId, (t, ancestors, now) => decideRetry(t, taskId, opts, now, ancestors), true, auditOf('retry', actor, { taskId })), taskId);
}

/** Pauses a running (or not yet started) job: running tasks finish, the next one is held until resume. */
export async function pauseJob(deps: EngineDeps, jobId: string, actor?: Actor): Promise<JobView> {
  const tree = await commit(deps, jobId, (t, _a, now) => decidePause(t, now), true, auditOf('pause', actor));
  return jobView(tree.job, tree.tasks, tree.children, tree.audit);
}

/** Resumes a paused job where it stopped. */
export async function resumeJob(deps: EngineDeps, jobId: string, actor?: Actor): Promise<JobView> {
  const tree = await commit(deps, jobId, (t, _a, now) => decideResume(t, now), true, auditOf('resume', actor));
  return jobView(tree.job, tree.tasks, tree.children, tree.audit);
}

/** Discards a job: it and its unfinished tasks (and, through the stream, its children) become discarded. */
export async function discardJob(deps: EngineDeps, jobId: string, opts: DiscardOptions, actor?: Actor): Promise<JobView> {
  const tree = await commit(deps, jobId, (t, _a, now) => decideDiscard(t, opts, now), true, auditOf('discard', actor, { reason: opts.reason }));
  return jobView(tree.job, tree.tasks, tree.children, tree.audit);
}

/**
 * Applies a parent's pause, resume or discard to one child, through the same decisions but without the API's
 * answer (no read after the commit); a child that cannot follow (finished, not pausable, gone) is left as it is.
 */
export async function cascadeToChild(deps: EngineDeps, childId: string, action: 'pause' | 'resume' | 'discard'): Promise<void> {
  const decide =
    action === 'pause'
      ? (t: JobTree, _a: JobRecord[], now: string) => decidePause(t, now)
      : action === 'resume'
        ? // A child that runs (resumed on its own, reopened by a retry, or not yet reached by the pause) may
          // hold a task handed back under this pause: release it.
          (t: JobTree, _a: JobRecord[], now: string) => (t.job.status === 'running' ? decideReleaseHeld(t, now) : decideResume(t, now))
        : (t: JobTree, _a: JobRecord[], now: string) => decideDiscard(t, { reason: 'parent discarded' }, now);
  try {
    await commit(deps, childId, decide, false);
  } catch (err) {
    if (err instanceof JobxError && (err.code === 'INVALID_STATE' || err.code === 'NOT_PAUSABLE' || err.code === 'NOT_FOUND')) return;
    throw err;
  }
}
