/**
 * Properties of the {@link JobFlow} construct and of its providers. Every optional property states its default;
 * the few values the construct forces are listed in the README ("Deploy to AWS").
 * @module
 */
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { LifecycleEventType } from '../functions/core/lifecycle-events';

export type { LifecycleEventType } from '../functions/core/lifecycle-events';

/** How callers of the HTTP API authenticate. */
export type JobFlowAuthMode = 'iam' | 'jwt';

/** JWT authorizer settings (only with `authMode: 'jwt'`). */
export interface JobFlowJwtProps {
  /** Issuer URL of the tokens, e.g. `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_XXXX`. */
  readonly issuer: string;
  /** Accepted audiences (`aud`, or `client_id` for Cognito access tokens); at least one. */
  readonly audience: readonly string[];
  /**
   * Scopes a token must carry on every route.
   * @default - no scope required
   */
  readonly scopes?: readonly string[];
  /**
   * Scopes per kind of route (the groups of `functions/http/route-access.ts`): `submit` (POST /jobs), `read`
   * (GET /jobs/{jobId}…, GET /tokens/…), `list` (GET /jobs), `control` (skip, retry, pause, resume, discard),
   * `worker` (claims and task tokens). A group given here gets routes of its own with these scopes; the others
   * keep `scopes`.
   * @default - every route requires `scopes`
   */
  readonly routeScopes?: Readonly<Partial<Record<'submit' | 'read' | 'list' | 'control' | 'worker', readonly string[]>>>;
}

/** Request throttling of the API stage. */
export interface JobFlowThrottleProps {
  /**
   * Steady-state requests per second.
   * @default 100
   */
  readonly rateLimit?: number;
  /**
   * Burst of requests above the steady rate.
   * @default 200
   */
  readonly burstLimit?: number;
}

/** Size of one of jobx's own functions (API, stream consumer, sweeper). */
export interface EngineFunctionProps {
  /**
   * Memory in MB.
   * @default 512 for the API, 256 for the stream consumer and the sweeper
   */
  readonly memorySize?: number;
  /**
   * Function timeout.
   * @default 29 seconds for the API (HTTP API integrations end at 30 s), 1 minute for the stream consumer,
   *   5 minutes for the sweeper
   */
  readonly timeout?: Duration;
}

/** The API: authorization, throttling, size. */
export interface JobFlowApiProps extends EngineFunctionProps {
  /**
   * How callers authenticate: `iam` (SigV4, `execute-api:Invoke`) or `jwt` (an OIDC/JWT issuer).
   * @default 'iam'
   */
  readonly authMode?: JobFlowAuthMode;
  /**
   * JWT issuer and audiences. Required with `authMode: 'jwt'`, refused with `'iam'`.
   * @default - none
   */
  readonly jwt?: JobFlowJwtProps;
  /**
   * Request throttling of the `$default` stage.
   * @default - 100 requests/s, bursts of 200
   */
  readonly throttle?: JobFlowThrottleProps;
  /**
   * Concurrent executions reserved for (and capping) the API function (the result long-polls have their own, see
   * `waitReservedConcurrency`). Sync waits (`POST /jobs?wait=N`, worker claims) hold an execution for up to
   * the wait: at 100 requests/s with `wait=25`, an unbounded API would take about 2,500, starving the stream
   * consumer, the sweeper and the providers of the same account. Callers beyond it get 429 and retry. Set
   * `0` to leave the function unreserved (an account whose concurrency quota is below 200 cannot reserve 100
   * and keep the 100 unreserved executions Lambda requires).
   * @default 100
   */
  readonly reservedConcurrency?: number;
  /**
   * Memory in MB of the wait function, which serves `GET /jobs/{jobId}/result` (the result long-poll) with the
   * API's own handler bundle and timeout. A long-poll spends nearly all its time waiting on small DynamoDB reads
   * (one GetItem every 50 to 400 ms); CPU is not its bottleneck, and Lambda bills the wait by memory × duration, so
   * the smallest size keeps the wait cheap (a quarter of the API's 512 MB per second waited).
   * @default 128
   */
  readonly waitMemorySize?: number;
  /**
   * Concurrent executions reserved for (and capping) the wait function. Each long-poll holds an execution for
   * up to its wait (25 s at most): at 100 requests/s of `?wait=25`, an unbounded wait function would take about
   * 2,500, starving the API, the engine and the providers of the same account. Callers beyond it get 429 and
   * retry. With the API's own reservation that makes 200 by default: an account needs a concurrency quota of
   * 300 or more to keep the 100 unreserved executions Lambda requires. Set `0` to leave it unreserved.
   * @default 100
   */
  readonly waitReservedConcurrency?: number;
  /**
   * Owner binding: a job's `owner` is its submitter (the IAM principal, or `jwt:<subject>`; a body naming
   * another owner gets 403), and only the owner, or a JWT caller with `controlScope`, may skip, retry, pause,
   * resume or discard it. With IAM authorization, callers granted `grantControl` are the ones with the scope.
   * @default false
   */
  readonly bindOwner?: boolean;
  /**
   * The JWT scope that may act on any job under owner binding.
   * @default 'jobx/control'
   */
  readonly controlScope?: string;
  /**
   * CORS for browsers calling the API from another origin (JWT mode; API Gateway answers the preflight).
   * @default - no CORS headers
   */
  readonly cors?: apigwv2.CorsPreflightOptions;
}

/** The DynamoDB stream consumer (the engine's outbox). */
export interface JobFlowStreamProps extends EngineFunctionProps {
  /**
   * Records per invocation.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Retries of a failing batch (bisected on each error) before its records go to the on-failure queue;
   * the sweeper repairs whatever those records would have done.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this go to the on-failure queue instead of being processed (60 s to 7 days).
   * @default Duration.hours(6)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Concurrent batches per shard (1 to 10); records of one item stay in order.
   * @default 2
   */
  readonly parallelizationFactor?: number;
}

/** The sweeper (repairs expired leases, lost dispatches and lost wake-ups). */
export interface JobFlowSweeperProps extends EngineFunctionProps {
  /**
   * How often the sweeper runs (at least one minute).
   * @default Duration.minutes(1)
   */
  readonly rate?: Duration;
  /**
   * A dispatch older than this without a claim is sent again (`JOBX_REQUEUE_AFTER_SECONDS`).
   * @default Duration.minutes(5)
   */
  readonly requeueAfter?: Duration;
}
// The sweeper never overlaps itself (reserved concurrency 1) and is not retried by Lambda's asynchronous retries
// (a failed sweep is repeated by the next scheduled one): neither is a prop, both are what makes a sweep safe.

/** Queue and event source mapping settings of one provider. */
export interface ProviderQueueOptions {
  /**
   * Deploy the provider as this executor: it serves only the tasks pinned to the executor (`preLock`) that use
   * the provider (route `provider@executor`); without it, the provider's unpinned tasks. A provider may be added
   * once per executor and once without.
   * @default - none (the provider's unpinned tasks)
   */
  readonly executor?: string;
  /**
   * The longest task timeout (`timeoutSeconds`) the provider runs. The function's timeout must leave 3 s more
   * (the wrapper stops an attempt that long before the invocation ends, to record it), and the API refuses a
   * task with a longer `timeoutSeconds` for this provider (400), instead of Lambda killing the batch mid-task.
   * @default - the function's timeout less 3 s, which must cover the default task timeout (300 s)
   */
  readonly maxTaskTimeout?: Duration;
  /**
   * Timeout of the provider function. Sets the function's timeout when jobx builds it, and the queue's visibility
   * timeout (6 × this) in every case. Required for an imported function whose timeout jobx cannot read.
   * @default the provider defaults (6 minutes), or the timeout of a `lambda.Function` passed in
   */
  readonly timeout?: Duration;
  /**
   * Messages per invocation (1 to 10).
   * @default the provider defaults (10)
   */
  readonly batchSize?: number;
  /**
   * Most concurrent invocations the queue's event source mapping starts (2 to 1000).
   * @default the provider defaults (10)
   */
  readonly maxConcurrency?: number;
  /**
   * Receives of one message before it moves to the provider's dead-letter queue.
   * @default the provider defaults (5)
   */
  readonly maxReceiveCount?: number;
}

/** A provider built by jobx from an entry file (a module that exports `handler` made with `defineProvider`). */
export interface ProviderFunctionProps extends ProviderQueueOptions {
  /** Path of the entry file (TypeScript or JavaScript), absolute or relative to the current directory. */
  readonly entry: string;
  /**
   * Name of the exported handler.
   * @default 'handler'
   */
  readonly handler?: string;
  /**
   * Memory in MB.
   * @default the provider defaults (512)
   */
  readonly memorySize?: number;
  /**
   * Reserved concurrency of the function; must be at least `maxConcurrency`.
   * @default - none (shares the account's unreserved concurrency)
   */
  readonly reservedConcurrency?: number;
  /**
   * More environment variables for the provider's own code (jobx's variables cannot be overridden).
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/** What `addProvider` accepts: an existing function, or the props of one for jobx to build. */
export type ProviderSource = lambda.IFunction | ProviderFunctionProps;

/** Defaults for every provider added with `addProvider`. */
export interface ProviderDefaults {
  /**
   * Memory in MB of providers jobx builds.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Function timeout (visibility timeout of the queue: 6 × this). Keep it above the tasks' `timeoutSeconds`
   * (default 300) so the wrapper can record a timeout before Lambda stops the function.
   * @default Duration.minutes(6)
   */
  readonly timeout?: Duration;
  /**
   * Messages per invocation.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * Most concurrent invocations per provider queue.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Receives before a message moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/** CloudWatch alarms. */
export interface JobFlowAlarmProps {
  /**
   * Create the alarms at all (the dashboard is always created).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Topic notified when an alarm fires and when it recovers.
   * @default - a topic of the flow's own (`jobFlow.alarmTopic`; subscribe to it)
   */
  readonly topic?: sns.ITopic;
  /**
   * Stream iterator age that raises the alarm (3 of 5 one-minute periods).
   * @default Duration.minutes(5)
   */
  readonly iteratorAge?: Duration;
  /**
   * Percentage of failed task attempts over 5 minutes that raises the alarm (3 periods in a row).
   * @default 10
   */
  readonly taskFailureRatePercent?: number;
  /**
   * API 5xx responses in 5 minutes that raise the alarm.
   * @default 5
   */
  readonly api5xxCount?: number;
}

/**
 * The operator console in a deployment: served by the flow at `/console` from the API's own origin (same HTTP
 * API, so no CORS and no second domain), signing people in against an OIDC issuer (authorization code flow with
 * PKCE) and calling the API with their access token. Needs `api.authMode: 'jwt'`.
 *
 * The app client must be a public client (no secret) allowed the authorization code grant, with the redirect
 * URI `https://<api>/console/` (`jobFlow.console.redirectUri`) and the scopes below; the API's JWT
 * authorizer must accept its access tokens (with Cognito, the client id is one of `api.jwt.audience`).
 */
export interface JobFlowConsoleProps {
  /** The OIDC app client id: a public client (no secret) with the authorization code grant and PKCE. */
  readonly clientId: string;
  /**
   * Scopes the console asks for. The API's authorizer wants one of a route's scopes on each call: the default
   * asks for every scope the routes the console calls require (list, read and control, each its
   * `api.jwt.routeScopes` entry or else `api.jwt.scopes`), so that one sign-in covers the whole console. Pass
   * fewer when the app client may not ask for them all (an issuer refuses a scope it does not allow the client);
   * under `api.bindOwner`, add `api.controlScope` for operators who act on other people's jobs.
   * @default ['openid', ...the scopes of the API's list, read and control routes]
   */
  readonly scopes?: readonly string[];
  /**
   * Issuer the console signs in against (its discovery document is `<issuer>/.well-known/openid-configuration`).
   * @default - the API's `api.jwt.issuer`
   */
  readonly issuer?: string;
}

/**
 * Which lifecycle events the flow publishes on its bus (`jobFlow.eventBus`, `source: jobx`). EventBridge bills
 * $1 per million events, so every type published costs: everything costs at least two events per job (started,
 * succeeded), about a third of a 3-task job's bill beside DynamoDB.
 */
export interface JobFlowEventsProps {
  /**
   * The event types to publish (`detail-type`), `'all'` for every one (child jobs' job events too, as before this
   * option existed), or `'none'`. Types: `jobx.job.started`, `jobx.job.resumed`, `jobx.job.paused`,
   * `jobx.job.succeeded`, `jobx.job.failed`, `jobx.job.discarded`, `jobx.task.retrying`, `jobx.task.failed`,
   * `jobx.task.skipped` (task successes are never published).
   *
   * The default is what operators subscribe to: a job finished (`jobx.job.succeeded`, `jobx.job.failed`,
   * `jobx.job.discarded`) and a task failed with no retry left (`jobx.task.failed`); with `childJobs` false,
   * the job events are those of root jobs only. A job that succeeds publishes one event; a failure publishes the
   * failed task's event and its root's.
   * @default ['jobx.job.succeeded', 'jobx.job.failed', 'jobx.job.discarded', 'jobx.task.failed']
   */
  readonly publish?: ReadonlyArray<LifecycleEventType> | 'all' | 'none';
  /**
   * Publish the job events (`jobx.job.*`) of child jobs too, not only those of root jobs (a parent of 1,000
   * children would publish 1,000 `jobx.job.succeeded` more). Task events are published at any depth.
   * @default false, except with `publish: 'all'`
   */
  readonly childJobs?: boolean;
}

/** Properties of {@link JobFlow}. */
export interface JobFlowProps {
  /**
   * Stage name (dev, prod, …): the stack name of `bin/app.ts` and part of resource descriptions.
   * @default 'dev'
   */
  readonly stageName?: string;
  /**
   * Prefix of the provider queues' names (at most 28 letters, digits, '-' or '_'). The handlers find a queue from
   * its route and this prefix, so every function's environment stays small however many providers there are.
   * @default `jobx-<8 hex digits of this construct's address and the stage>-`
   */
  readonly queueNamePrefix?: string;
  /**
   * What CloudFormation does with the tables and log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection on both tables.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * A customer-managed KMS key for everything of the flow that stores data: both tables (and the jobs stream),
   * every queue, every log group, the event bus and the alarm topic. jobx grants its functions and the
   * scheduler's role what they need on it, and (for a key of this app) adds the service principals of CloudWatch
   * Logs, EventBridge and CloudWatch alarms to its policy; an imported key's policy must allow them already.
   * @default - AWS-owned or AWS-managed keys (DynamoDB, SQS-managed SSE, CloudWatch Logs, EventBridge, SNS defaults)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * X-Ray active tracing on every function jobx builds (about $5 per million traces recorded beyond the free tier).
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Tags on every resource of the flow (CloudFormation propagates them where the resource supports tags).
   * @default - none
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Retention of every log group (functions and API access logs).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * API: authorization, throttling, size.
   * @default - IAM authorization, 100 requests/s with bursts of 200
   */
  readonly api?: JobFlowApiProps;
  /**
   * Stream consumer settings.
   * @default - see {@link JobFlowStreamProps}
   */
  readonly stream?: JobFlowStreamProps;
  /**
   * Sweeper settings.
   * @default - every minute
   */
  readonly sweeper?: JobFlowSweeperProps;
  /**
   * Defaults for providers added with `addProvider`.
   * @default - see {@link ProviderDefaults}
   */
  readonly providerDefaults?: ProviderDefaults;
  /**
   * Which lifecycle events are published on the event bus.
   * @default - root jobs finished (succeeded, failed, discarded) and tasks failed with no retry left; see {@link JobFlowEventsProps}
   */
  readonly events?: JobFlowEventsProps;
  /**
   * Alarm settings.
   * @default - alarms on, no actions
   */
  readonly alarms?: JobFlowAlarmProps;
  /**
   * Serve the operator console at `/console` of the API (JWT mode only: the console signs people in with the
   * JWT issuer's OIDC flow; a browser has no AWS credentials to sign IAM requests with).
   * @default - no console in the deployment (the local stack always serves one, without sign-in)
   */
  readonly console?: JobFlowConsoleProps;
}
