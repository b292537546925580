/**
 * Read model: the API's shapes of jobs, tasks and attempts, derived from stored records.
 * A task that never ran has no record; its status is derived from its job and its predecessor.
 * @module
 */
import { mergeEnv } from './env';
import type { Env, JsonObject } from './json';
import { taskIdOf, taskOutput, type AuditEntry, type JobRecord, type TaskRecord } from './model';
import { isTaskDone, type AttemptStatus, type JobStatus, type TaskStatus } from './statuses';
import { attemptPayloads, originalPayload } from './task-payload';

/** An attempt as the API shows it. */
export interface AttemptView {
  attempt: number;
  manual: boolean;
  status: AttemptStatus;
  input: JsonObject;
  env: Env;
  context: JsonObject;
  output?: JsonObject;
  error?: { message: string; code?: string; retryable?: boolean };
  startedAt: string;
  endedAt?: string;
}

/** A task as `GET /jobs/{jobId}` shows it (`attempts` is a count). */
export interface TaskSummaryView {
  taskId: string;
  name: string;
  provider: string;
  desc?: string;
  status: TaskStatus;
  attempts: number;
  input: JsonObject;
  env: Env;
  output?: JsonObject;
  reason?: string;
  /** A `retrying` task: when its next automatic attempt is due (ISO 8601), so a client can say how long it waits. */
  retryAt?: string;
  preLock?: string;
  /** When its first attempt started (ISO 8601): with `endedAt`, how long the task took, attempts and waits included. */
  startedAt?: string;
  /** When its last attempt ended, while the task is not running or waiting for a retry. */
  endedAt?: string;
}

/** A task as `GET /jobs/{jobId}/tasks/{taskId}` shows it (`attempts` is the full list). */
export interface TaskDetailView extends Omit<TaskSummaryView, 'attempts'> {
  attempts: AttemptView[];
  context?: JsonObject;
}

/** A child as listed under its parent. */
export interface ChildView {
  jobId: string;
  name: string;
  status: JobStatus;
}

/** A job as `GET /jobs/{jobId}` shows it. */
export interface JobView {
  jobId: string;
  name: string;
  owner: string;
  desc?: string;
  bizId?: string;
  status: JobStatus;
  reason?: string;
  input: JsonObject;
  env: Env;
  output?: JsonObject;
  pausable: boolean;
  tokens?: string[];
  preLock?: string;
  parentId?: string;
  rootId: string;
  /** Who submitted the job (the API's caller), when the API knew. */
  createdBy?: string;
  /** Manual actions on this job, oldest first: who, what, when and why. */
  actions?: AuditEntry[];
  createdAt: string;
  updatedAt: string;
  tasks: TaskSummaryView[];
  children: ChildView[];
}

function derivedStatus(job: JobRecord, previous: TaskRecord | undefined, index: number, previousDone: boolean): TaskStatus {
  if (job.status === 'discarded') return 'discarded';
  const predecessorDone = index === 0 || (previous !== undefined && previousDone);
  if (predecessorDone && job.status === 'running') return 'queued';
  return 'pending';
}

function summary(job: JobRecord, index: number, record: TaskRecord | undefined, status: TaskStatus): TaskSummaryView {
  const spec = job.tasks![index]!;
  const view: TaskSummaryView = {
    taskId: taskIdOf(index),
    name: spec.name,
    provider: spec.provider,
    status,
    attempts: record?.attemptCount ?? 0,
    input: record?.input ?? { ...job.input, ...(spec.input ?? {}) },
    env: record?.env ?? mergeEnv(job.env, spec.env),
  };
  if (spec.desc !== undefined) view.desc = spec.desc;
  const output = record ? taskOutput(record) : undefined;
  if (output !== undefined) view.output = output;
  if (record?.reason !== undefined) view.reason = record.reason;
  if (record?.status === 'retrying' && record.dueAt !== undefined) view.retryAt = new Date(record.dueAt).toISOString();
  const preLock = spec.preLock ?? job.preLock;
  if (preLock !== undefined) view.preLock = preLock;
  const first = record?.attempts[0];
  if (first) view.startedAt = first.startedAt;
  const last = record?.attempts[record.attempts.length - 1];
  if (last?.endedAt !== undefined && record!.status !== 'running' && record!.status !== 'retrying') view.endedAt = last.endedAt;
  return view;
}

/** Task summaries of a pipeline, with derived statuses for tasks that never ran. */
export function taskSummaries(job: JobRecord, tasks: ReadonlyArray<TaskRecord | undefined>): TaskSummaryView[] {
  const out: TaskSummaryView[] = [];
  let previous: TaskRecord | undefined;
  for (let i = 0; i < (job.tasks?.length ?? 0); i++) {
    const record = tasks[i];
    const status = record ? record.status : derivedStatus(job, previous, i, previous !== undefined && isTaskDone(previous.status));
    out.push(summary(job, i, record, status));
    previous = record;
  }
  return out;
}

/**
 * Full view of one task, attempts resolved: an attempt without its own input/env ran with what the attempt
 * before it ran with, the first with the task's original payload from the spec (see `task-payload.ts`); never
 * with the task record's current input/env, which are the next run's.
 */
export function taskDetail(job: JobRecord, index: number, record: TaskRecord | undefined, all: ReadonlyArray<TaskRecord | undefined>): TaskDetailView {
  const base = taskSummaries(job, all)[index]!;
  const ran = attemptPayloads(originalPayload(job, index) ?? { input: base.input, env: base.env }, record?.attempts ?? []);
  const attempts: AttemptView[] = (record?.attempts ?? []).map((a, i) => {
    const view: AttemptView = {
      attempt: a.attempt,
      manual: a.manual,
      status: a.status,
      input: ran[i]!.input,
      env: ran[i]!.env,
      context: record!.context,
      startedAt: a.startedAt,
    };
    if (a.output !== undefined) view.output = a.output;
    if (a.error !== undefined) view.error = a.error;
    if (a.endedAt !== undefined) view.endedAt = a.endedAt;
    return view;
  });
  const detail: TaskDetailView = { ...base, attempts };
  if (record) detail.context = record.context;
  return detail;
}

/** A parent's output: child name → child output (available once the parent has finished). */
export function parentOutput(children: readonly JobRecord[]): JsonObject {
  const out: JsonObject = {};
  for (const child of children) out[child.name] = child.output ?? null;
  return out;
}

/**
 * Largest parent output kept on the parent's own record (bytes of JSON): the record stays small (every later
 * write of it is billed by its size), and a grandparent's output includes it. Larger: a marker (see below).
 */
export const MAX_PARENT_OUTPUT_ON_RECORD_BYTES = 16 * 1024;
/** Largest parent output kept in a root's result row (bytes of JSON). Larger: a marker; read the children. */
export const MAX_PARENT_OUTPUT_BYTES = 200 * 1024;

/** What stands for a parent output over its budget: how many children and how large it would have been. */
export interface OmittedOutput extends JsonObject {
  outputOmitted: true;
  children: number;
  bytes: number;
}

/** A parent's output within `budget` bytes: {@link parentOutput}, or an {@link OmittedOutput} marker. */
export function boundedParentOutput(children: readonly JobRecord[], budget: number): JsonObject {
  const full = parentOutput(children);
  const bytes = Buffer.byteLength(JSON.stringify(full), 'utf8');
  if (bytes <= budget) return full;
  const marker: OmittedOutput = { outputOmitted: true, children: children.length, bytes };
  return marker;
}

/** Whether an output is the marker of an output over its budget. */
export function isOmittedOutput(output: unknown): output is OmittedOutput {
  return typeof output === 'object' && output !== null && (output as Record<string, unknown>).outputOmitted === true;
}

/** The API view of a job with its tasks or children. */
export function jobView(job: JobRecord, tasks: ReadonlyArray<TaskRecord | undefined>, children: readonly JobRecord[], audit?: readonly AuditEntry[]): JobView {
  const view: JobView = {
    jobId: job.jobId,
    name: job.name,
    owner: job.owner,
    status: job.status,
    input: job.input,
    env: job.env,
    pausable: job.pausable,
    rootId: job.rootId,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    tasks: job.kind === 'pipeline' ? taskSummaries(job, tasks) : [],
    children: children.map((c) => ({ jobId: c.jobId, name: c.name, status: c.status })),
  };
  if (job.desc !== undefined) view.desc = job.desc;
  if (job.bizId !== undefined) view.bizId = job.bizId;
  if (job.reason !== undefined) view.reason = job.reason;
  // A parent stores its aggregated output when it finishes, if small; the view has every child to rebuild it.
  if (job.kind === 'parent' && (job.status === 'succeeded' || job.status === 'failed') && (job.output === undefined || isOmittedOutput(job.output))) view.output = parentOutput(children);
  else if (job.output !== undefined) view.output = job.output;
  if (job.tokens !== undefined) view.tokens = job.tokens;
  if (job.preLock !== undefined) view.preLock = job.preLock;
  if (job.parentId !== undefined) view.parentId = job.parentId;
  if (job.createdBy !== undefined) view.createdBy = job.createdBy;
  if (audit?.length) view.actions = audit.map((a) => ({ ...a }));
  return view;
}
