/**
 * Names of the environment variables the handlers read. The CDK construct and the local stack set them from
 * this one list, so a renamed variable cannot drift between infrastructure and code.
 * @module
 */
export const ENV = {
  /** Jobs table name. */
  jobsTable: 'JOBX_JOBS_TABLE',
  /** Result table name. */
  resultsTable: 'JOBX_RESULTS_TABLE',
  /** Comma-separated queue routes (`provider`, `provider@executor`); see `core/topology.ts`. */
  routes: 'JOBX_ROUTES',
  /** Queue URL up to a route's part of the queue name (`https://sqs.<region>.amazonaws.com/<account>/<prefix>`). */
  queueUrlPrefix: 'JOBX_QUEUE_URL_PREFIX',
  /** Queue ARN up to a route's part of the queue name (`arn:aws:sqs:<region>:<account>:<prefix>`). */
  queueArnPrefix: 'JOBX_QUEUE_ARN_PREFIX',
  /** `eventbridge` (AWS) or `table` (local durable timers). */
  schedulerKind: 'JOBX_SCHEDULER',
  /** EventBridge Scheduler group for retry schedules. */
  schedulerGroup: 'JOBX_SCHEDULER_GROUP',
  /** Role EventBridge Scheduler assumes to send to provider queues. */
  schedulerRoleArn: 'JOBX_SCHEDULER_ROLE_ARN',
  /** The flow's stage (a metric dimension, so that two stages in one account never alarm on each other). */
  metricStage: 'JOBX_METRIC_STAGE',
  /** The flow's construct path (a metric dimension, so that two flows of one stage are told apart). */
  metricFlow: 'JOBX_METRIC_FLOW',
  /** Queue where EventBridge Scheduler puts a retry it could not deliver (AWS only; optional). */
  schedulerDlqArn: 'JOBX_SCHEDULER_DLQ_ARN',
  /** Table of local durable timers (local stack only). */
  timersTable: 'JOBX_TIMERS_TABLE',
  /** A dispatch older than this many seconds without a claim is sent again by the sweeper. */
  requeueAfterSeconds: 'JOBX_REQUEUE_AFTER_SECONDS',
  /** Comma-separated providers served by external workers (claimed over the API, no Lambda queue). */
  externalProviders: 'JOBX_EXTERNAL_PROVIDERS',
  /** Name of the EventBridge bus that receives job and task lifecycle events (unset: no events). */
  eventBus: 'JOBX_EVENT_BUS',
  /**
   * Lifecycle events the stream consumer publishes (`core/lifecycle-events.ts`): `all`, `none`, or a comma-separated
   * list of event types (with `child-jobs` for child jobs' job events too). Unset: the lean default.
   */
  publishEvents: 'JOBX_PUBLISH_EVENTS',
  /** `true`: a job's owner is its submitter, and only the owner (or the control scope) acts on it. */
  bindOwner: 'JOBX_BIND_OWNER',
  /** JWT scope that may act on any job under owner binding (default `jobx/control`). */
  controlScope: 'JOBX_CONTROL_SCOPE',
  /** OIDC issuer the deployed console signs in against (console function only). */
  consoleIssuer: 'JOBX_CONSOLE_ISSUER',
  /** The console's OIDC app client: a public client, no secret (console function only). */
  consoleClientId: 'JOBX_CONSOLE_CLIENT_ID',
  /** Space-separated scopes the console asks for (console function only). */
  consoleScopes: 'JOBX_CONSOLE_SCOPES',
  /** JSON facts the local stack adds to `GET /health`. */
  localInfo: 'JOBX_LOCAL_INFO',
} as const;

/** Reads a required variable, with a clear message when it is missing. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}
