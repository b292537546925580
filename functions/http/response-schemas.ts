/**
 * Response schemas (zod): the zod twins of the view types the API answers with (`core/views.ts`, the engine's
 * worker, token, executor, count and list shapes, `sdk/types.ts`). The OpenAPI document is generated from them, and tests parse
 * real responses with them. They are strict (no unknown keys), so a field the API starts sending without a
 * schema fails those tests; and a compile-time check below fails `tsc` when a view type and its twin differ.
 * @module
 */
import * as z from 'zod';
import { HTTP_STATUS, type JobxErrorCode } from '../core/errors';
import type { AuditEntry, JobResult } from '../core/model';
import { JOB_STATUSES, TASK_STATUSES, type AttemptStatus, type JobStatus } from '../core/statuses';
import type { AttemptView, ChildView, JobView, TaskDetailView, TaskSummaryView } from '../core/views';
import type { ListItem } from '../engine/list-jobs';
import type { TokenReport } from '../engine/task-tokens';
import type { ClaimedTask } from '../engine/workers';
import type { JobCounts } from '../engine/job-counts';
import type { ClaimView, ExecutorDetail, ExecutorSummary, OfferView } from '../engine/executors';
import type { TokenHolderView, TokenPage, TokenSummary, TokenView, TokenWaiterView } from '../engine/token-views';
import type { HealthView } from '../sdk/types';
import { jsonValueSchema } from './json-limits';
import { jobStatusSchema } from './schemas';

/** A JSON object as the API answers it (no request limits: outputs and contexts are the API's own). */
export const jsonObjectSchema = z.record(z.string(), jsonValueSchema);
/** An ISO 8601 UTC time with milliseconds (the contract's format for every time). */
const time = z.iso.datetime({ precision: 3 });

/** A task's status. */
export const taskStatusSchema = z.enum(TASK_STATUSES);
/** An attempt's status (`abandoned`: its lease ran out or its job was discarded). */
export const attemptStatusSchema = z.enum(['running', 'succeeded', 'failed', 'abandoned'] satisfies AttemptStatus[]);

/** One run of a task (never overwritten). */
export const attemptViewSchema = z.strictObject({
  attempt: z.int().min(1).meta({ description: 'counts from 1' }),
  manual: z.boolean().meta({ description: 'true for a retry asked for through the API' }),
  status: attemptStatusSchema,
  input: jsonObjectSchema,
  env: jsonObjectSchema,
  context: jsonObjectSchema,
  output: jsonObjectSchema.optional(),
  error: z.strictObject({ message: z.string(), code: z.string().optional(), retryable: z.boolean().optional() }).optional(),
  startedAt: time,
  endedAt: time.optional().meta({ description: 'set once the attempt has ended' }),
});

const taskFields = {
  taskId: z.string().meta({ description: '`t1`, `t2`, … in pipeline order' }),
  name: z.string(),
  provider: z.string(),
  desc: z.string().optional(),
  status: taskStatusSchema,
  input: jsonObjectSchema,
  env: jsonObjectSchema,
  output: jsonObjectSchema.optional(),
  reason: z.string().optional(),
  retryAt: time.optional().meta({ description: 'a `retrying` task: when its next automatic attempt is due' }),
  startedAt: time.optional().meta({ description: 'when its first attempt started' }),
  endedAt: time.optional().meta({ description: 'when its last attempt ended, unless it runs or waits for a retry' }),
  preLock: z.string().optional(),
};

/** A task in a job (`attempts` is a count). */
export const taskSummaryViewSchema = z.strictObject({ ...taskFields, attempts: z.int().min(0).meta({ description: 'how many attempts it has had' }) });

/** One task with every attempt, oldest first. */
export const taskDetailViewSchema = z.strictObject({
  ...taskFields,
  attempts: z.array(attemptViewSchema).meta({ description: 'every attempt, oldest first' }),
  context: jsonObjectSchema.optional().meta({ description: 'what the tasks before it put in the pipeline (absent until it first runs)' }),
});

/** A child as listed under its parent. */
export const childViewSchema = z.strictObject({ jobId: z.string(), name: z.string(), status: jobStatusSchema });

/** One manual action on a job, as the API recorded it. */
export const auditEntrySchema = z.strictObject({
  action: z.enum(['skip', 'retry', 'pause', 'resume', 'discard']),
  by: z.string().meta({ description: 'the caller: an IAM principal ARN, `jwt:<subject>`, or `anonymous` without authorization' }),
  at: time,
  taskId: z.string().optional(),
  reason: z.string().optional(),
});

/** A job with its tasks (a pipeline) or its children (a parent). */
export const jobViewSchema = z.strictObject({
  jobId: z.string(),
  name: z.string(),
  owner: z.string(),
  desc: z.string().optional(),
  bizId: z.string().optional(),
  status: jobStatusSchema,
  reason: z.string().optional(),
  input: jsonObjectSchema,
  env: jsonObjectSchema,
  output: jsonObjectSchema.optional().meta({ description: "a parent's output maps each child's name to the child's output" }),
  pausable: z.boolean(),
  tokens: z.array(z.string()).optional(),
  preLock: z.string().optional(),
  parentId: z.string().optional(),
  rootId: z.string(),
  createdBy: z.string().optional().meta({ description: 'who submitted the job (the caller), when the API knew' }),
  actions: z.array(auditEntrySchema).optional().meta({ description: 'manual actions on this job, oldest first' }),
  createdAt: time,
  updatedAt: time,
  tasks: z.array(taskSummaryViewSchema).meta({ description: 'empty for a parent' }),
  children: z.array(childViewSchema).meta({ description: 'empty for a pipeline' }),
});

/** `GET /jobs/{jobId}/result`, 200: the finished job's outcome. */
export const resultViewSchema = z.strictObject({
  jobId: z.string(),
  status: jobStatusSchema,
  output: jsonValueSchema.optional(),
  reason: z.string().optional(),
});

/** What the result route answers: a result row without its end time (the route drops it) or run (the stores do). */
type ResultView = Omit<JobResult, 'endedAt' | 'run'>;

/** `GET /jobs/{jobId}/result`, 202: not finished yet. */
export const pendingResultViewSchema = z.strictObject({ jobId: z.string(), status: jobStatusSchema });

/** One job in a listing. */
export const jobListItemSchema = z.strictObject({ jobId: z.string(), name: z.string(), owner: z.string(), status: jobStatusSchema, bizId: z.string().optional(), createdAt: time });

/** One page of a listing, newest first; `cursor` is absent on the last page. */
export const jobListPageSchema = z.strictObject({
  items: z.array(jobListItemSchema),
  cursor: z.string().optional().meta({ description: 'absent on the last page; pass it back as `?cursor=` unchanged' }),
});

/** `GET /jobs/counts`: root jobs by status among the newest ones. */
const count = z.int().min(0);
export const jobCountsSchema = z.strictObject({
  // Every status spelled out (not a record keyed by status): clients get a field per status, none optional.
  counts: z
    .strictObject({ pending: count, running: count, paused: count, succeeded: count, failed: count, discarded: count } satisfies Record<JobStatus, z.ZodType>)
    .meta({ description: 'matching roots by status among the roots looked at' }),
  scanned: z.int().min(0).meta({ description: 'roots looked at (the newest, matching or not): at most `window`' }),
  complete: z.boolean().meta({ description: 'true when the window covered every root: the counts are then of all matching roots' }),
});

/** The root holding a token. */
export const tokenHolderSchema = z.strictObject({
  jobId: z.string(),
  since: time,
  name: z.string().optional().meta({ description: "the holder's job name (absent if its record is gone)" }),
  status: jobStatusSchema.optional(),
});

/** A root waiting for a token. */
export const tokenWaiterSchema = z.strictObject({
  jobId: z.string(),
  createdAt: time,
  name: z.string().optional().meta({ description: "the waiting job's name (absent if its record is gone)" }),
  status: jobStatusSchema.optional(),
});

/** `GET /tokens/{token}`: who holds the token, and who waits for it, in the order they will get it. */
export const tokenViewSchema = z.strictObject({
  token: z.string(),
  holder: tokenHolderSchema.optional().meta({ description: 'absent when the token is free (a holder that finished, except failed, is giving it back)' }),
  waiters: z.array(tokenWaiterSchema).meta({ description: 'the queue in order, first to start first (at most 1,000)' }),
});

/** A token in use, as `GET /tokens` lists it. */
export const tokenSummarySchema = z.strictObject({
  token: z.string(),
  holder: tokenHolderSchema.optional(),
  waiting: z.int().min(0).meta({ description: 'how many roots wait for it' }),
});

/** `GET /tokens`: one page of tokens in use, in name order. */
export const tokenPageSchema = z.strictObject({
  items: z.array(tokenSummarySchema),
  cursor: z.string().optional().meta({ description: 'absent on the last page; pass it back as `?cursor=` unchanged' }),
});

/** One claim from a worker inbox. */
export const executorClaimSchema = z.strictObject({
  jobId: z.string(),
  taskId: z.string(),
  attempt: z.int().min(1),
  workerId: z.string().meta({ description: 'the worker that claimed it (the id in its claim path)' }),
  at: time,
});

/** An attempt waiting in a worker inbox. */
export const executorOfferSchema = z.strictObject({
  jobId: z.string(),
  taskId: z.string(),
  attempt: z.int().min(1),
  visibleAt: time.meta({ description: 'claimable from then on (a retry waits in the inbox until its time)' }),
});

const executorFields = {
  target: z.string().meta({ description: "`exec:<id>` (an executor's inbox) or `prov:<name>` (an external provider's)" }),
  offersWaiting: z.int().min(0).meta({ description: 'offers waiting, claimable now or later' }),
  oldestOfferAt: time.optional().meta({ description: 'the earliest visible time of the waiting offers' }),
  recentClaims: z.array(executorClaimSchema).meta({ description: 'the newest claims of the last day, newest first (at most 20)' }),
};

/** A worker inbox, as `GET /executors` lists it. */
export const executorSummarySchema = z.strictObject(executorFields);

/** `GET /executors`: every known worker inbox, in name order. */
export const executorListSchema = z.array(executorSummarySchema).meta({ description: 'worker inboxes in name order (at most 200)' });

/** `GET /executors/{target}`: a worker inbox with its first waiting offers. */
export const executorDetailSchema = z.strictObject({
  ...executorFields,
  offers: z.array(executorOfferSchema).meta({ description: 'the first 50 waiting offers by visible time' }),
});

/** A task claimed by an external worker, with the task token that reports on its attempt. */
export const claimedTaskSchema = z.strictObject({
  taskToken: z.string().meta({ description: 'a bearer secret: send it in the `x-jobx-task-token` header of heartbeat, success and failure' }),
  jobId: z.string(),
  taskId: z.string(),
  taskName: z.string(),
  provider: z.string(),
  input: jsonObjectSchema,
  env: jsonObjectSchema,
  context: jsonObjectSchema,
  attempt: z.int().min(1),
  leaseSeconds: z.int().min(1).meta({ description: 'the attempt is abandoned unless it ends or heartbeats within this time' }),
  job: z.strictObject({ jobId: z.string(), name: z.string(), owner: z.string() }),
});

/** What heartbeat, success and failure answer. */
export const tokenReportSchema = z.strictObject({
  jobId: z.string(),
  taskId: z.string(),
  attempt: z.int().min(1),
  status: taskStatusSchema.meta({ description: "the task's status after the report (`retrying` after a failure that will be retried)" }),
  leaseSeconds: z.int().min(1).optional().meta({ description: 'heartbeat only: the renewed lease' }),
});

/** `GET /health`. */
export const healthViewSchema = z.strictObject({
  status: z.literal('ok'),
  local: z
    .strictObject({
      duplicateDelivery: z.boolean(),
      sweepSeconds: z.number(),
      data: z.string().nullable().meta({ description: 'the `--data` directory, or null when everything is in memory' }),
      endpoints: z.strictObject({ dynamodb: z.string(), sqs: z.string() }).meta({ description: 'where its DynamoDB Local and SQS server listen' }),
    })
    .optional()
    .meta({ description: 'only on the local stack: its switches' }),
});

/**
 * Every error code the API answers with, and its status. `METHOD_NOT_ALLOWED` is a code of the type that no
 * route produces (the router answers a wrong method with 404 ROUTE_NOT_FOUND), hence `null`.
 */
export const ERROR_STATUS: Readonly<Record<JobxErrorCode, number | null>> = { ...HTTP_STATUS, METHOD_NOT_ALLOWED: null };

/** The statuses the API's own error bodies come with. */
export type ErrorStatus = 400 | 403 | 404 | 409 | 413 | 500;

/** The codes of one status. */
export function codesOf(status: ErrorStatus): [JobxErrorCode, ...JobxErrorCode[]] {
  const codes = (Object.keys(ERROR_STATUS) as JobxErrorCode[]).filter((code) => ERROR_STATUS[code] === status);
  if (codes.length === 0) throw new Error(`no error code has status ${status}`);
  return codes as [JobxErrorCode, ...JobxErrorCode[]];
}

/** Facts some errors carry; other keys may appear. */
export const errorDetailsSchema = z.looseObject({
  issues: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional().meta({ description: 'VALIDATION_FAILED from a schema: the problems found (the first 50)' }),
  issueCount: z.number().optional().meta({ description: 'VALIDATION_FAILED: how many problems there were, when more than `issues` lists' }),
  status: z.string().optional().meta({ description: 'INVALID_STATE: the status the action found' }),
  jobId: z.string().optional(),
  taskId: z.string().optional(),
  limit: z.number().optional().meta({ description: 'the limit that was exceeded' }),
  bytes: z.number().optional().meta({ description: 'PAYLOAD_TOO_LARGE: the size that was refused' }),
});

/** The API's error body with the codes of one status. */
export const errorBodySchema = (status: ErrorStatus) =>
  z.strictObject({
    error: z.strictObject({ code: z.enum(codesOf(status)), message: z.string(), details: errorDetailsSchema.optional() }),
  });

/** What API Gateway answers by itself (authorization refused, throttled, integration failed): not the API's body. */
export const gatewayErrorSchema = z.strictObject({ message: z.string() });

// Compile-time twins: the zod output type and the view type have the same keys and accept each other's values.
// (Key equality catches an optional field added to one side only, which assignability alone would miss.)
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Twin<S extends z.ZodType, V> = Same<keyof z.output<S>, keyof V> extends true ? Same<z.output<S>, V> : false;
type Assert<T extends true> = T;
/** @internal Fails `tsc` when a view type and its zod twin drift apart. */
export type ResponseSchemaTwins = [
  Assert<Twin<typeof attemptViewSchema, AttemptView>>,
  Assert<Twin<typeof taskSummaryViewSchema, TaskSummaryView>>,
  Assert<Twin<typeof taskDetailViewSchema, TaskDetailView>>,
  Assert<Twin<typeof childViewSchema, ChildView>>,
  Assert<Twin<typeof auditEntrySchema, AuditEntry>>,
  Assert<Twin<typeof jobViewSchema, JobView>>,
  Assert<Twin<typeof resultViewSchema, ResultView>>,
  Assert<Twin<typeof jobListItemSchema, ListItem>>,
  Assert<Twin<typeof jobCountsSchema, JobCounts>>,
  Assert<Twin<typeof tokenHolderSchema, TokenHolderView>>,
  Assert<Twin<typeof tokenWaiterSchema, TokenWaiterView>>,
  Assert<Twin<typeof tokenViewSchema, TokenView>>,
  Assert<Twin<typeof tokenSummarySchema, TokenSummary>>,
  Assert<Twin<typeof tokenPageSchema, TokenPage>>,
  Assert<Twin<typeof executorClaimSchema, ClaimView>>,
  Assert<Twin<typeof executorOfferSchema, OfferView>>,
  Assert<Twin<typeof executorSummarySchema, ExecutorSummary>>,
  Assert<Twin<typeof executorDetailSchema, ExecutorDetail>>,
  Assert<Twin<typeof claimedTaskSchema, ClaimedTask>>,
  Assert<Twin<typeof tokenReportSchema, TokenReport>>,
  Assert<Twin<typeof healthViewSchema, HealthView>>,
];
