/**
 * The records jobx keeps: jobs, tasks and their attempts, plus the specs users submit.
 * Plain data only; the storage layout lives in the DynamoDB adapter.
 * @module
 */
import type { Staging } from './staging';
import type { Env, Json, JsonObject } from './json';
import type { RetryPolicy, RetryPolicyInput } from './retry-policy';
import type { AttemptStatus, JobStatus, TaskStatus } from './statuses';
import { taskIndexOf } from './routing';

/** One task of a pipeline as submitted. */
export interface TaskSpec {
  name: string;
  provider: string;
  desc?: string;
  input?: JsonObject;
  env?: Env;
  retry?: RetryPolicyInput;
  /** Lease of one attempt. @default 300 */
  timeoutSeconds?: number;
  preLock?: string;
}

/** A job as submitted: a pipeline of `tasks`, or a parent of `children` (never both). */
export interface JobSpec {
  name: string;
  owner: string;
  desc?: string;
  bizId?: string;
  input?: JsonObject;
  env?: Env;
  /** @default true */
  pausable?: boolean;
  retry?: RetryPolicyInput;
  tokens?: string[];
  preLock?: string;
  tasks?: TaskSpec[];
  children?: JobSpec[];
}

/** One manual action on a job, as the API recorded it: who, what, when and why. */
export interface AuditEntry {
  action: 'skip' | 'retry' | 'pause' | 'resume' | 'discard';
  /** The caller (an IAM principal ARN, `jwt:<subject>`, or `anonymous` without authorization). */
  by: string;
  at: string;
  taskId?: string;
  reason?: string;
}

/** Default lease of a task attempt in seconds. */
export const DEFAULT_TASK_TIMEOUT_SECONDS = 300;

/** Whether a job runs tasks in order or children concurrently. */
export type JobKind = 'pipeline' | 'parent';

/** A job as stored (its own item; tasks and children are items of their own). */
export interface JobRecord {
  jobId: string;
  rootId: string;
  parentId?: string;
  /** 1-based position under the parent. */
  childIndex?: number;
  depth: number;
  name: string;
  owner: string;
  /** Who submitted it (the API's caller: an IAM principal ARN, or `jwt:<subject>`); roots only. */
  createdBy?: string;
  desc?: string;
  bizId?: string;
  status: JobStatus;
  reason?: string;
  input: JsonObject;
  /** Effective env: the parent's env merged with this job's own. */
  env: Env;
  /** Effective job-level retry policy (inherited by children and tasks). */
  retry: RetryPolicyInput;
  pausable: boolean;
  tokens?: string[];
  preLock?: string;
  kind: JobKind;
  /** Pipeline jobs: the task specs, in order (tasks get items of their own once they first run). */
  tasks?: TaskSpec[];
  /** Parent jobs: number of children. */
  childCount?: number;
  output?: JsonObject;
  /** A task was skipped before the pipeline reached it: advancing must walk the pipeline. */
  preSkipped?: boolean;
  /**
   * A root pipeline whose creator (the API's submit) sends its first task itself: the stream sends nothing for its
   * creation (`core/first-task.ts`).
   */
  firstTaskSent?: boolean;
  /** Roots submitted with a bizId: a digest of the spec, so a resubmission with another spec is told apart. */
  specHash?: string;
  /**
   * How many times a person reopened or discarded this job after it finished (0 when absent). A result row
   * carries the run it describes, so a late record of an earlier run can never overwrite a newer answer.
   */
  run?: number;
  /**
   * A root whose descendants are still being created from the parts of a staged submission (see
   * `core/staging.ts`); it stays `pending` until every part is expanded.
   */
  staging?: Staging;
  /** Parents, as read: completion buckets counted so far, and those with a failed child (derived, never written). */
  bucketsDone?: number;
  bucketsFailed?: number;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  endedAt?: string;
}

/** The error of a failed attempt. */
export interface AttemptError {
  message: string;
  code?: string;
  retryable?: boolean;
}

/** One run of a task, never overwritten. `input`/`env` are kept only when they differ from the task's own. */
export interface AttemptRecord {
  attempt: number;
  manual: boolean;
  status: AttemptStatus;
  startedAt: string;
  endedAt?: string;
  output?: JsonObject;
  error?: AttemptError;
  input?: JsonObject;
  env?: Env;
  /** Nonce of this attempt's task token (never shown by the API). */
  tokenNonce?: string;
}

/** A task that has run at least once (before that, its status is derived from the job). */
export interface TaskRecord {
  jobId: string;
  taskIndex: number;
  taskId: string;
  name: string;
  provider: string;
  status: TaskStatus;
  /** Number of attempts so far. */
  attemptCount: number;
  /** Attempt number at which the current run began (manual retries start a new run and a new retry budget). */
  runStart: number;
  input: JsonObject;
  env: Env;
  context: JsonObject;
  /** Lease end (ms since epoch) while running. */
  leaseUntil?: number;
  /** When the next automatic retry is due (ms since epoch) while retrying. */
  dueAt?: number;
  reason?: string;
  /** Skipped tasks: the output the pipeline continues with. */
  skipOutput?: JsonObject;
  /**
   * Set by a pause while this task's attempt runs: when the attempt ends, a retry it would start is held
   * (`pending`, its due time kept) until resume, so no new attempt starts in a paused job.
   */
  held?: boolean;
  /**
   * Set by the end of a successful attempt whose invocation takes the pipeline's next step itself
   * (`core/continuation.ts`): it claims the next task (the stream sends no message for it; the sweeper does, if it
   * never gets a record), or, after the last task, finishes the job (the sweeper does, if it never does).
   */
  continued?: boolean;
  attempts: AttemptRecord[];
  updatedAt: string;
}

// Task ids live in routing.ts; re-exported here for the modules that import them from this one.
export { taskIdOf, taskIndexOf } from './routing';

/**
 * The 0-based position of the task a client names in a pipeline job: by id (`t1`, `t2`, …) or by name (unique
 * within a job), so the API takes what the CLI takes. An id that names a task wins over a task *named* like it.
 * @returns undefined when nothing in the job matches
 * @example
 * resolveTaskIndex({ tasks: [{ name: 'fetch', provider: 'demo' }, { name: 'store', provider: 'demo' }] }, 'store'); // 1
 */
export function resolveTaskIndex(job: Pick<JobRecord, 'tasks'>, ref: string): number | undefined {
  const tasks = job.tasks ?? [];
  const byId = taskIndexOf(ref);
  if (byId !== undefined && byId < tasks.length) return byId;
  const byName = tasks.findIndex((t) => t.name === ref);
  return byName >= 0 ? byName : undefined;
}

/** The output a finished task hands to the next one: the skip output, or the last attempt's output. */
export function taskOutput(task: TaskRecord): JsonObject | undefined {
  if (task.status === 'skipped') return task.skipOutput ?? {};
  if (task.status !== 'succeeded') return undefined;
  return task.attempts[task.attempts.length - 1]?.output ?? {};
}

/** Shallow merge of a context and an output: later keys win. */
export function nextContext(context: JsonObject, output: JsonObject | undefined): JsonObject {
  return { ...context, ...(output ?? {}) };
}

/** The message that asks a provider to run one attempt of a task. */
export interface TaskMessage {
  v: 1;
  jobId: string;
  rootId: string;
  taskIndex: number;
  taskId: string;
  attempt: number;
  manual: boolean;
  provider: string;
  job: { jobId: string; name: string; owner: string };
  taskName: string;
  input: JsonObject;
  env: Env;
  context: JsonObject;
  timeoutSeconds: number;
  retry: RetryPolicy;
  preLock?: string;
  /**
   * The parent whose pause reaches this task's job (set when the job is pausable and has a parent): a claim
   * checks it, and further up, right after it won (see `core/pause-holds.ts`).
   */
  pauseParent?: string;
  /**
   * The pipeline's job record as it was when the message was built, when it is small (`core/carried-job.ts`):
   * the invocation decides its continuation from it instead of reading the job.
   */
  carriedJob?: JobRecord;
}

/** Result of a job as kept in the result table. */
export interface JobResult {
  jobId: string;
  /** The job's run this row describes (see {@link JobRecord.run}); a `running` row marks a reopened job. */
  run?: number;
  status: JobStatus;
  output?: Json;
  reason?: string;
  endedAt?: string;
}

/**
 * The exact state of a task a decision was made from. A write that carries it applies only while the task is
 * still in that status after that many attempts (a stale or replayed record then changes nothing).
 */
export interface TaskGuard {
  jobId: string;
  taskIndex: number;
  status: TaskStatus;
  attemptCount: number;
}

