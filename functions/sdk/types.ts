/**
 * Types of the jobx API as the SDK sees them. Specs and views are the server's own types (type-only imports: the
 * SDK carries no server code at run time); the rest are the shapes of the API contract.
 * @module
 */
import type { Env as CoreEnv, Json as CoreJson, JsonObject as CoreJsonObject } from '../core/json';
import type { JobSpec as CoreJobSpec, TaskSpec as CoreTaskSpec } from '../core/model';
import type { Backoff as CoreBackoff, RetryPolicyInput as CoreRetryPolicyInput } from '../core/retry-policy';
import type { AttemptStatus as CoreAttemptStatus, JobStatus as CoreJobStatus, TaskStatus as CoreTaskStatus } from '../core/statuses';
import type {
  AttemptView as CoreAttemptView,
  ChildView as CoreChildView,
  JobView as CoreJobView,
  TaskDetailView as CoreTaskDetailView,
  TaskSummaryView as CoreTaskSummaryView,
} from '../core/views';

/**
 * Any JSON value.
 * @example
 * ```ts
 * const v: Json = { a: [1, 'two', null] };
 * ```
 */
export type Json = CoreJson;
/**
 * A JSON object (inputs, outputs).
 * @example
 * ```ts
 * const input: JsonObject = { all_config: 'yes' };
 * ```
 */
export type JsonObject = CoreJsonObject;
/**
 * A task's environment: a flat JSON object, inherited down the job tree.
 * @example
 * ```ts
 * const env: Env = { env: 'test' };
 * ```
 */
export type Env = CoreEnv;

/**
 * A job as submitted (`POST /jobs`): a pipeline of `tasks` or a parent of `children`, never both.
 * @example
 * ```ts
 * const spec: JobSpec = { name: 'jober1', owner: 'sqc', env: { env: 'test' }, tasks: [{ name: 'task_1', provider: 'demo' }] };
 * ```
 */
export type JobSpec = CoreJobSpec;
/**
 * One task of a pipeline as submitted.
 * @example
 * ```ts
 * const task: TaskSpec = { name: 'task_3', provider: 'demo', input: { all_config: 'yes' }, retry: { count: 0 } };
 * ```
 */
export type TaskSpec = CoreTaskSpec;
/**
 * A retry policy as submitted (every field optional; the rest from the job or the defaults).
 * @example
 * ```ts
 * const retry: RetryPolicyInput = { count: 5, gapSeconds: 2, backoff: 'exponential' };
 * ```
 */
export type RetryPolicyInput = CoreRetryPolicyInput;
/**
 * Backoff between automatic retries.
 * @example
 * ```ts
 * const b: Backoff = 'linear'; // the k-th retry waits gap × k
 * ```
 */
export type Backoff = CoreBackoff;

/**
 * A job's status: `pending | running | paused | succeeded | failed | discarded`.
 * @example
 * ```ts
 * const done = (s: JobStatus) => s === 'succeeded' || s === 'failed' || s === 'discarded';
 * ```
 */
export type JobStatus = CoreJobStatus;
/**
 * A task's status: `pending | queued | running | retrying | succeeded | failed | skipped | discarded`.
 * @example
 * ```ts
 * const canSkip = (s: TaskStatus) => s === 'failed' || s === 'pending' || s === 'retrying';
 * ```
 */
export type TaskStatus = CoreTaskStatus;
/**
 * An attempt's status: `running | succeeded | failed | abandoned`.
 * @example
 * ```ts
 * const lost = (s: AttemptStatus) => s === 'abandoned';
 * ```
 */
export type AttemptStatus = CoreAttemptStatus;

/**
 * A job as `GET /jobs/{jobId}` (and every job-returning call) shows it: its tasks with attempt counts, its children.
 * @example
 * ```ts
 * const job: JobView = await jobx.get(jobId);
 * console.log(job.status, job.tasks.map((t) => `${t.taskId}:${t.status}`).join(' '));
 * ```
 */
export type JobView = CoreJobView;
/**
 * A task in a {@link JobView} (`attempts` is a count).
 * @example
 * ```ts
 * const failed: TaskSummaryView[] = (await jobx.get(jobId)).tasks.filter((t) => t.status === 'failed');
 * ```
 */
export type TaskSummaryView = CoreTaskSummaryView;
/**
 * One task with every attempt, oldest first (`GET /jobs/{jobId}/tasks/{taskId}`, `skip`, `retry`).
 * @example
 * ```ts
 * const t: TaskDetailView = await jobx.task(jobId, 't1');
 * const manual = t.attempts.filter((a) => a.manual);
 * ```
 */
export type TaskDetailView = CoreTaskDetailView;
/**
 * One run of a task, never overwritten.
 * @example
 * ```ts
 * const last: AttemptView | undefined = (await jobx.task(jobId, 't1')).attempts.at(-1);
 * console.log(last?.status, last?.error?.message);
 * ```
 */
export type AttemptView = CoreAttemptView;
/**
 * A child as listed under its parent.
 * @example
 * ```ts
 * const running: ChildView[] = (await jobx.get(parentId)).children.filter((c) => c.status === 'running');
 * ```
 */
export type ChildView = CoreChildView;

/**
 * AWS credentials for SigV4 signing (service `execute-api`).
 * @example
 * ```ts
 * const credentials: AwsCredentials = {
 *   accessKeyId: process.env.AWS_ACCESS_KEY_ID!,
 *   secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY!,
 *   sessionToken: process.env.AWS_SESSION_TOKEN,
 * };
 * ```
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  /** When temporary credentials expire (a provider is asked again after that). */
  expiration?: Date | undefined;
}

/**
 * Credentials, or a function that returns them (e.g. `fromNodeProviderChain()` of `@aws-sdk/credential-providers`);
 * a function is called for every request, so it should cache.
 * @example
 * ```ts
 * const provider: AwsCredentialsInput = async () => ({ accessKeyId: 'AKIA…', secretAccessKey: '…' });
 * ```
 */
export type AwsCredentialsInput = AwsCredentials | (() => Promise<AwsCredentials>);

/**
 * Options of a {@link JobxClient}.
 * @example
 * ```ts
 * const options: JobxClientOptions = {
 *   baseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
 *   credentials: { accessKeyId: 'AKIA…', secretAccessKey: '…' },
 * };
 * ```
 */
export interface JobxClientOptions {
  /**
   * The API's base URL (API Gateway's `$default` stage URL or the local stack).
   * @default process.env.JOBX_URL ?? 'http://127.0.0.1:3000'
   */
  baseUrl?: string;
  /**
   * AWS credentials: when given, every request is signed with SigV4 for service `execute-api`
   * (the API's default `iam` authorization).
   * @default - requests are not signed
   */
  credentials?: AwsCredentialsInput;
  /**
   * Region to sign for.
   * @default - the region in an `execute-api` host name, else `AWS_REGION`, else `us-east-1`
   */
  region?: string;
  /**
   * The fetch to use (tests, proxies, instrumentation).
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch;
  /**
   * Extra headers on every request, or a function returning them per request (e.g. a fresh
   * `authorization: Bearer …` for the API's `jwt` authorization).
   * @default - none
   */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /**
   * Time limit of one HTTP request in milliseconds, on top of the long-poll time the request asks the server for.
   * @default 30000
   */
  timeoutMs?: number;
}

/**
 * Options of {@link JobxClient.submit}.
 * @example
 * ```ts
 * const opts: SubmitOptions = { wait: 60 }; // wait up to a minute for the job to finish
 * ```
 */
export interface SubmitOptions {
  /**
   * Seconds to wait for the job to finish (any length: the SDK long-polls across requests of ≤ 25 s). The job is
   * returned as it is when the time is up, finished or not.
   * @default 0 - return as soon as the job is created
   */
  wait?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/**
 * Options of {@link JobxClient.result}.
 * @example
 * ```ts
 * const opts: ResultOptions = { wait: 120 };
 * ```
 */
export interface ResultOptions {
  /**
   * Seconds to wait for the job to finish (any length; long-polls across requests of ≤ 25 s).
   * @default 0 - answer at once
   */
  wait?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/**
 * The result of a job: `finished: true` with its final status and output, or `finished: false` with its current
 * status when it did not finish in time (the API's 202).
 * @example
 * ```ts
 * const r = await jobx.result(jobId, { wait: 60 });
 * if (r.finished && r.status === 'succeeded') console.log(r.output);
 * ```
 */
export type JobResultView =
  | { finished: true; jobId: string; status: JobStatus; output?: Json; reason?: string }
  | { finished: false; jobId: string; status: JobStatus };

/**
 * Body of `skip`: why, and the output the pipeline continues with.
 * @example
 * ```ts
 * const body: SkipOptions = { reason: 'fixed by hand', output: { url: 's3://bucket/key' } };
 * ```
 */
export interface SkipOptions {
  /** Shown as the task's `reason`. */
  reason?: string;
  /** The skipped task's output, merged into the next task's context. @default {} */
  output?: JsonObject;
}

/**
 * Body of `retry`: edited input and env for the new manual attempt.
 * @example
 * ```ts
 * const body: RetryOptions = { input: { fail: false } };
 * ```
 */
export interface RetryOptions {
  /** Input of the new attempt: merged over the task's input (or replacing it with `replace`). */
  input?: JsonObject;
  /** Env of the new attempt: merged over the task's env (or replacing it with `replace`). */
  env?: Env;
  /** Replace input/env instead of merging. @default false */
  replace?: boolean;
}

/**
 * Body of `discard`.
 * @example
 * ```ts
 * const body: DiscardOptions = { reason: 'customer cancelled' };
 * ```
 */
export interface DiscardOptions {
  /** Shown as the job's `reason`. */
  reason?: string;
}

/**
 * Filter of {@link JobxClient.list} (every field optional; combine as the API allows).
 * @example
 * ```ts
 * const filter: ListFilter = { owner: 'sqc', status: 'failed', limit: 50 };
 * ```
 */
export interface ListFilter {
  owner?: string;
  status?: JobStatus;
  name?: string;
  bizId?: string;
  /** Page size (the API's `limit`). @default - the API's default */
  limit?: number;
  /** Start after this cursor (from a previous page). */
  cursor?: string;
  /** Cancels the listing. */
  signal?: AbortSignal;
}

/**
 * One job in a listing.
 * @example
 * ```ts
 * const item: JobListItem = { jobId: '01J…', name: 'jober1', owner: 'sqc', status: 'failed', createdAt: '2026-11-25T10:55:42.123Z' };
 * ```
 */
export interface JobListItem {
  jobId: string;
  name: string;
  owner: string;
  status: JobStatus;
  bizId?: string;
  createdAt: string;
}

/**
 * One page of a listing; `cursor` is absent on the last page.
 * @example
 * ```ts
 * const page: JobListPage = await jobx.listPage({ status: 'failed' });
 * if (page.cursor) await jobx.listPage({ status: 'failed', cursor: page.cursor });
 * ```
 */
export interface JobListPage {
  items: JobListItem[];
  cursor?: string;
}

/**
 * `GET /health`.
 * @example
 * ```ts
 * const h: HealthView = await jobx.health(); // { status: 'ok', local: { … } } on the local stack
 * ```
 */
export interface HealthView {
  status: 'ok';
  /** Only on the local stack: its switches, and where its DynamoDB Local and SQS server listen. */
  local?: { duplicateDelivery: boolean; sweepSeconds: number; data: string | null; endpoints: { dynamodb: string; sqs: string } };
}
