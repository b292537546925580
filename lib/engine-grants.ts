/**
 * Exactly what each of jobx's functions may do on which resource, checked against the handler code by
 * `test/infra/env-contract.test.ts`, and the helper that grants exact actions on exact resources.
 * @module
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { ACTIVE_INDEX, LIST_INDEX } from '../functions/adapters/dynamodb/keys';

/** Data-plane actions of one jobx function, by resource. */
export interface EngineGrants {
  /** Actions on the jobs table itself. */
  readonly jobsTable?: readonly string[];
  /** Actions on indexes of the jobs table, by index name. */
  readonly jobsIndexes?: Readonly<Record<string, readonly string[]>>;
  /** Actions on the result table. */
  readonly resultsTable?: readonly string[];
  /** Actions on every provider queue. */
  readonly providerQueues?: readonly string[];
  /** Actions on the retry schedules of the schedule group (with iam:PassRole of the scheduler's role). */
  readonly schedules?: readonly string[];
  /** Actions on the lifecycle event bus. */
  readonly events?: readonly string[];
}

/**
 * The data-plane IAM actions of each jobx function. The construct grants exactly these;
 * `test/infra/env-contract.test.ts` derives the same from the handler code (every AWS SDK command each handler
 * can reach, transaction items included) and fails when they differ in either direction.
 */
export const ENGINE_GRANTS = {
  api: {
    // Submit (conditional puts), read (Get, Query, BatchGet of listed roots), the control actions (transactions of
    // Put, Update and ConditionCheck items; reopening a job marks its result row as running again), and external workers (claim,
    // extend and end attempts; offers are deleted once taken).
    jobsTable: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    // The list index for GET /jobs and /jobs/counts; the active index's token entries for GET /tokens.
    jobsIndexes: { [LIST_INDEX]: ['dynamodb:Query'], [ACTIVE_INDEX]: ['dynamodb:Query'] },
    resultsTable: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    // A new root pipeline's first task, sent by the submit that created it (`functions/core/first-task.ts`).
    providerQueues: ['sqs:SendMessage'],
  },
  // The wait function (`GET /jobs/{jobId}/result`): reads a job (its record or its tree) and its result row, nothing else.
  wait: {
    jobsTable: ['dynamodb:GetItem', 'dynamodb:Query'],
    resultsTable: ['dynamodb:GetItem'],
  },
  stream: {
    // Reactions: transitions and child counts (Update), reads (a batch's jobs and finished children: BatchGet),
    // offers to external workers (Put), token hand-over (Delete of waiter items), and children following a
    // paused/resumed/discarded parent (the control transactions: ConditionCheck items; a reopened or discarded
    // job's result row is marked as running again).
    jobsTable: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    resultsTable: ['dynamodb:PutItem'],
    providerQueues: ['sqs:SendMessage'],
    schedules: ['scheduler:CreateSchedule'],
    events: ['events:PutEvents'],
  },
  sweeper: {
    // Repairs: the stream's writes (the same effects, children's control transactions included), expired leases,
    // and token hand-over (transactions of Update and Delete items). The walk of recent roots: the list index by
    // creation time, the roots' statuses (BatchGet), their activation and the watermark (Get, Update).
    jobsTable: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    jobsIndexes: { [ACTIVE_INDEX]: ['dynamodb:Query'], [LIST_INDEX]: ['dynamodb:Query'] },
    resultsTable: ['dynamodb:PutItem'],
    // A message it would send again is held back while its queue still has messages waiting (GetQueueAttributes).
    providerQueues: ['sqs:GetQueueAttributes', 'sqs:SendMessage'],
    schedules: ['scheduler:CreateSchedule'],
  },
  // The provider wrapper: read a task, claim its attempt (Put or Update), end it (Update).
  // Query, DeleteItem, ConditionCheckItem: a claim under a paused ancestor reads its job and hands the attempt back.
  provider: { jobsTable: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query'] },
} as const satisfies Record<string, EngineGrants>;

/** The role names of {@link ENGINE_GRANTS}. */
export type EngineRole = keyof typeof ENGINE_GRANTS;

/** Grants exact actions on exact resources (no `grantReadWriteData`-style action lists). */
export function grantActions(grantee: iam.IGrantable, actions: readonly string[], resourceArns: string[]): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns });
}
