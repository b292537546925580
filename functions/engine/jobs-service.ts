/**
 * Use cases behind the API: submit, read, wait for a result. Ports only; no HTTP here.
 * @module
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ulid } from 'ulid';
import { JobxError } from '../core/errors';
import type { JobRecord, JobResult, JobSpec } from '../core/model';
import { DEFAULT_TASK_TIMEOUT_SECONDS, resolveTaskIndex } from '../core/model';
import { queueRouteOf } from '../core/routing';
import { isTerminalJob } from '../core/statuses';
import { STAGE_ABOVE_DESCENDANTS, stageSubmission, type StageOptions } from '../core/staging';
import { planFirstTask } from '../core/first-task';
import { childJobId, normalizeSpec, parseChildJobId, planSubmission } from '../core/submission';
import { jobView, parentOutput, taskDetail, type JobView, type TaskDetailView } from '../core/views';
import type { EngineDeps } from '../ports';
import { succeededWithin } from '../util/settled-within';
import { dispatchNow } from './dispatch';

/**
 * Root id of a submission. With a bizId the id is derived from it, so concurrent submits of the same bizId
 * collide on one key and the conditional put lets exactly one create the job.
 */
export function rootIdFor(spec: JobSpec): string {
  if (spec.bizId === undefined) return ulid();
  return `B${createHash('sha256').update(spec.bizId).digest('hex').slice(0, 25).toUpperCase()}`;
}

function assertProviders(deps: EngineDeps, spec: JobSpec, path: string, inheritedPreLock?: string): void {
  const jobPreLock = spec.preLock ?? inheritedPreLock;
  spec.tasks?.forEach((task, i) => {
    const preLock = task.preLock ?? jobPreLock;
    // A task must fit the function that runs it: Lambda would stop it before its own timeout could record it.
    const route = queueRouteOf({ provider: task.provider, ...(preLock !== undefined ? { preLock } : {}) });
    const max = deps.queue.hasProvider(route) ? deps.queue.maxTaskSeconds(route) : undefined;
    const timeout = task.timeoutSeconds ?? DEFAULT_TASK_TIMEOUT_SECONDS;
    if (max !== undefined && timeout > max) {
      throw new JobxError('VALIDATION_FAILED', `${path}tasks.${i}.timeoutSeconds: ${timeout} s is longer than the ${max} s provider ${route}'s function can run a task for`, { provider: route, timeoutSeconds: timeout, max });
    }
    // A pinned task runs on its executor, which brings its own providers: any name is the executor's business.
    if (preLock !== undefined) return;
    if (!deps.queue.hasProvider(task.provider) && !deps.queue.isExternal(task.provider)) {
      throw new JobxError('UNKNOWN_PROVIDER', `${path}tasks.${i}.provider: no provider named ${task.provider}`, { provider: task.provider });
    }
  });
  spec.children?.forEach((child, i) => assertProviders(deps, child, `${path}children.${i}.`, jobPreLock));
}

function depthOf(spec: JobSpec): number {
  return 1 + Math.max(0, ...(spec.children ?? []).map(depthOf));
}

/**
 * A digest of a spec's normal form ({@link normalizeSpec}): key order, token order and empty fields do not change it,
 * any value that changes the jobs does.
 */
export function specDigest(spec: JobSpec): string {
  return createHash('sha256').update(JSON.stringify(normalizeSpec(spec))).digest('hex').slice(0, 32);
}

/** The digest roots stored before specs were normalized (keys sorted only), still honoured when it matches. */
function legacySpecDigest(spec: JobSpec): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canonical(spec))).digest('hex').slice(0, 32);
}

/**
 * How long a submit waits for its first task's send (`core/first-task.ts`) before it answers anyway and leaves the
 * task to the sweeper (ms): far below the API's 29 s, whatever the SQS client's retries would take.
 */
export const FIRST_SEND_BUDGET_MS = 3_000;

/** Limits a submission must respect. */
export interface SubmitLimits {
  maxDepth: number;
  /** Largest stored job record (bytes of JSON). */
  maxJobPayloadBytes: number;
  /** Submissions with more descendants than this are staged (`core/staging.ts`). @default STAGE_ABOVE_DESCENDANTS */
  stageAbove?: number;
  /** Size of a staged part. @default STAGE_PART_RECORDS records, STAGE_PART_BYTES bytes */
  stagePart?: StageOptions;
  /** How long the first task's send may take before the submit answers without it (ms). @default FIRST_SEND_BUDGET_MS */
  firstSendWithinMs?: number;
}

/** What a submission did: `created` is false when the bizId already named a job (nothing new is written). */
export interface SubmitOutcome {
  created: boolean;
  jobId: string;
  /**
   * When created: the records as written (descendants first, the root last; a staged root alone), from which the
   * answer is built without reading them back.
   */
  written?: readonly JobRecord[];
  /**
   * A root pipeline created running: whether its first task's message went out from the submit (false: the send
   * failed after the job was written; the sweeper sends it after its grace). Absent for other submissions.
   */
  firstTaskSent?: boolean;
}

/** Submits a job. `created` is false when the bizId already named a job (nothing new is written). */
export async function submitJob(deps: EngineDeps, spec: JobSpec, limits: SubmitLimits, createdBy?: string): Promise<SubmitOutcome> {
  if (depthOf(spec) - 1 > limits.maxDepth) throw new JobxError('VALIDATION_FAILED', `children nest deeper than ${limits.maxDepth} levels`);
  assertProviders(deps, spec, '');
  const records = planSubmission(spec, rootIdFor(spec), new Date(deps.clock.now()).toISOString());
  const specHash = spec.bizId === undefined ? undefined : specDigest(spec);
  if (specHash !== undefined) records[records.length - 1]!.specHash = specHash;
  if (createdBy !== undefined) records[records.length - 1]!.createdBy = createdBy;
  // A root pipeline that starts at once: written marked, its first task sent from here once the write is committed.
  const first = records.length === 1 ? planFirstTask(records[0]!) : undefined;
  if (first) records[0] = first.root;
  for (const record of records) {
    const bytes = Buffer.byteLength(JSON.stringify(record), 'utf8');
    if (bytes > limits.maxJobPayloadBytes) {
      throw new JobxError('PAYLOAD_TOO_LARGE', `job ${record.name} carries ${bytes} bytes of input, env and tasks; the limit is ${limits.maxJobPayloadBytes}`, {
        job: record.name,
        bytes,
        limit: limits.maxJobPayloadBytes,
      });
    }
  }
  // A large tree is accepted at once, its descendants created by the stream (within the API's time limit).
  const staged = records.length - 1 > (limits.stageAbove ?? STAGE_ABOVE_DESCENDANTS) ? stageSubmission(records, ulid(), limits.stagePart) : undefined;
  const { created, root } = staged
    ? await deps.store.createJobs([staged.root], { nonce: staged.root.staging!.nonce, parts: staged.parts })
    : await deps.store.createJobs(records);
  // The same bizId with another spec is a conflict, not the same job (roots from before specHash existed match any).
  if (!created && specHash !== undefined && root.specHash !== undefined && root.specHash !== specHash && root.specHash !== legacySpecDigest(spec)) {
    throw new JobxError('BIZ_ID_CONFLICT', `bizId ${spec.bizId} already names job ${root.jobId}, submitted with another spec`, { jobId: root.jobId });
  }
  if (!created) return { created, jobId: root.jobId };
  const outcome: SubmitOutcome = { created, jobId: root.jobId, written: staged ? [root] : records };
  if (first) {
    // The job exists whatever happens to the send: a lost send is the sweeper's to repair, not the caller's error,
    // and a send that hangs (its SDK retries included) may not hold the answer past the API's own time limit.
    outcome.firstTaskSent = await succeededWithin(dispatchNow(deps, first.message), limits.firstSendWithinMs ?? FIRST_SEND_BUDGET_MS);
  }
  return outcome;
}

/** The API view of a job; 404 when unknown. */
export async function getJobView(deps: EngineDeps, jobId: string): Promise<JobView> {
  const tree = await deps.store.getJobTree(jobId);
  if (!tree) throw new JobxError('NOT_FOUND', `job ${jobId} not found`, { jobId });
  return jobView(tree.job, tree.tasks, tree.children, tree.audit);
}

/**
 * The view a submit answers with. A staged root's children are created by the stream after the answer: the ones
 * not created yet are listed from the spec, `pending`, so the answer names every child as for any submission.
 */
export async function submittedJobView(deps: EngineDeps, jobId: string, spec: JobSpec, written?: readonly JobRecord[]): Promise<JobView> {
  const view = written ? writtenJobView(jobId, written) : await getJobView(deps, jobId);
  const specChildren = spec.children ?? [];
  if (view.children.length >= specChildren.length || view.parentId !== undefined) return view;
  const existing = new Map(view.children.map((c) => [c.jobId, c]));
  view.children = specChildren.map((child, i) => {
    const id = childJobId(jobId, i + 1);
    return existing.get(id) ?? { jobId: id, name: child.name, status: 'pending' };
  });
  return view;
}

/**
 * The view of a job just created, from its records as written: what a read right after the write returns (no task
 * has a record yet, the children are as created), without the read.
 */
function writtenJobView(jobId: string, written: readonly JobRecord[]): JobView {
  const root = written.find((r) => r.jobId === jobId);
  if (!root) throw new Error(`the written records do not hold job ${jobId}`);
  const children = written.filter((r) => r.parentId === jobId).sort((a, b) => (a.childIndex ?? 0) - (b.childIndex ?? 0));
  return jobView(root, [], children);
}

/** The full view of one task, named by its id (`t2`) or its name; 404 when the job or task is unknown. */
export async function getTaskView(deps: EngineDeps, jobId: string, taskId: string): Promise<TaskDetailView> {
  const tree = await deps.store.getJobTree(jobId);
  if (!tree) throw new JobxError('NOT_FOUND', `job ${jobId} not found`, { jobId });
  const index = resolveTaskIndex(tree.job, taskId);
  if (index === undefined) throw new JobxError('NOT_FOUND', `task ${taskId} not found in job ${jobId}`, { jobId, taskId });
  return taskDetail(tree.job, index, tree.tasks[index], tree.tasks);
}

/** A job's result if it has finished, else its current status. 404 when unknown. */
export async function readResult(deps: EngineDeps, jobId: string): Promise<JobResult & { finished: boolean }> {
  // Rows are kept for roots only: a child's answer is its record.
  const row = parseChildJobId(jobId) === undefined ? await deps.results.get(jobId) : undefined;
  if (row) return { ...row, finished: true };
  // No row: a child job, or a root whose result the stream has not published yet.
  const job = await deps.store.getJob(jobId);
  if (!job) throw new JobxError('NOT_FOUND', `job ${jobId} not found`, { jobId });
  return resultOfRecord(deps, job);
}

/**
 * The answer a job's own record gives: its status while unfinished; once finished, its output (a parent's
 * gathered from its children, the one case that reads more than the record) and reason.
 */
async function resultOfRecord(deps: EngineDeps, job: JobRecord): Promise<JobResult & { finished: boolean }> {
  const { jobId } = job;
  if (!isTerminalJob(job.status)) return { jobId, status: job.status, finished: false };
  let output = job.output;
  if (job.kind === 'parent' && job.status !== 'discarded') {
    const tree = await deps.store.getJobTree(jobId);
    if (!tree) throw new JobxError('NOT_FOUND', `job ${jobId} not found`, { jobId });
    output = parentOutput(tree.children);
  }
  return { jobId, status: job.status, finished: true, ...(output !== undefined ? { output } : {}), ...(job.reason !== undefined ? { reason: job.reason } : {}) };
}

/**
 * Long-polls the result for up to `waitSeconds`. After the first look it reads only the result row (roots) or the
 * job record (children), one small strongly consistent GetItem per poll, and answers from what the last poll read
 * (a finished root's row is its answer; a finished pipeline child's record is), so a wait that ends reads nothing
 * more, except a finished parent child's children.
 */
export async function waitForResult(deps: EngineDeps, jobId: string, waitSeconds: number): Promise<JobResult & { finished: boolean }> {
  const first = await readResult(deps, jobId);
  if (first.finished || waitSeconds <= 0) return first;
  const deadline = Date.now() + waitSeconds * 1000;
  const isRoot = parseChildJobId(jobId) === undefined;
  let pause = 50;
  while (Date.now() < deadline) {
    await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
    pause = Math.min(pause * 2, 400);
    if (isRoot) {
      const row = await deps.results.get(jobId);
      if (row) return { ...row, finished: true };
    } else {
      const job = await deps.store.getJob(jobId);
      if (!job) throw new JobxError('NOT_FOUND', `job ${jobId} not found`, { jobId });
      if (isTerminalJob(job.status)) return resultOfRecord(deps, job);
    }
  }
  // The wait is over: one last look, as at the start (a root whose row the stream has not written yet answers from its record).
  return readResult(deps, jobId);
}
