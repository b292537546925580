/**
 * `JobFlow`: the whole jobx system as one CDK construct, secure by default.
 *
 * It names handler files by path only (NodejsFunction entries); from `functions/` it imports nothing but the
 * shared facts the handlers read: the environment variable names (`ENV`), the table definitions the local stack
 * also creates, and the index name.
 * @module
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Duration, Lazy, Names, RemovalPolicy, Stack, Tags, Token } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { Construct } from 'constructs';
import { JOBS_TTL_ATTRIBUTE } from '../functions/adapters/dynamodb/keys';
import { jobsTableDefinition, resultsTableDefinition } from '../functions/adapters/dynamodb/tables';
import { ENV } from '../functions/runtime/env-names';
import { DEFAULT_TASK_TIMEOUT_SECONDS } from '../functions/core/model';
import { INVOCATION_END_RESERVE_MS } from '../functions/core/attempt-limits';
import { eventSelection, formatEventSelection } from '../functions/core/lifecycle-events';
import { EXECUTOR_NAME_PATTERN, PROVIDER_NAME_PATTERN, assertQueuePrefix, formatRoutes, queueNameOf, queuePrefixFor, routeOfDeployment } from '../functions/core/topology';
import { METRIC } from '../functions/runtime/middy';
import type { EngineFunctionProps, JobFlowAuthMode, JobFlowProps, ProviderFunctionProps, ProviderQueueOptions, ProviderSource } from './job-flow-props';
import { acknowledgeJobFlow, acknowledgeProvider } from './nag-acknowledgements';
import { ApiGrants, type GrantedAccess } from './api-grants';
import { ROUTE_ACCESS, isWaitRoute } from '../functions/http/route-access';
import { JobFlowConsole } from './console';
import { WAIT_FUNCTION_ENV, serveWaitRoutes, waitMemorySize } from './wait-function';

export type * from './job-flow-props';
export { HANDLER_ENTRIES, LAMBDA_BUNDLING } from './bundling';
export { ENGINE_GRANTS, type EngineGrants, type EngineRole } from './engine-grants';
export { JobFlowConsole } from './console';
import { ENGINE_BUNDLING, HANDLER_ENTRIES, LAMBDA_RUNTIME, PACKAGE_ROOT, LAMBDA_BUNDLING, ownBundlingRoot, prebuiltHandler } from './bundling';
import { ENGINE_GRANTS, grantActions, type EngineGrants, type EngineRole } from './engine-grants';
import { keysOf, projectionOf, streamViewOf } from './cdk-tables';
import { check, integerIn, validateProps } from './validate-props';

/** TTL attribute of the result table (written by `DynamoResultStore.put`; a test checks that it still is). */
export const RESULT_TTL_ATTRIBUTE = 'expiresAt';

/** Powertools service name of every jobx function (`POWERTOOLS_SERVICE_NAME`; the logger uses the same). */
export const SERVICE_NAME = 'jobx';

/**
 * Namespace of jobx's Powertools metrics. The handlers fix it (`functions/runtime/middy.ts`), so it is the same
 * for every stage in an account; `test/infra/env-contract.test.ts` checks it against what the code emits.
 */
export const METRICS_NAMESPACE = 'jobx';

/**
 * Powertools metrics the task failure-rate alarm reads (dimension `service`): one data point per finished
 * attempt, emitted by the provider wrapper.
 */
export const TASK_METRICS = { failed: METRIC.attemptFailed, succeeded: METRIC.attemptSucceeded } as const;

/** A provider wired by {@link JobFlow.addProvider}. */
export interface JobFlowProvider {
  /** The provider's name (what jobs say in `tasks[].provider`). */
  readonly name: string;
  /** The executor this deployment serves (tasks pinned to it with `preLock`); undefined for unpinned tasks. */
  readonly executor?: string;
  /** The queue route: `name`, or `name@executor` (the key of {@link JobFlow.providers}). */
  readonly route: string;
  /** The provider's function. */
  readonly fn: lambda.IFunction;
  /** Its task queue. */
  readonly queue: sqs.Queue;
  /** Where messages go after `maxReceiveCount` receives. */
  readonly deadLetterQueue: sqs.Queue;
  /** The entry file, when jobx built the function. */
  readonly entry?: string;
  /** Alarm on the dead-letter queue's depth (undefined when alarms are off). */
  readonly dlqAlarm?: cloudwatch.Alarm;
}

const DEFAULTS = {
  stageName: 'dev',
  logRetention: logs.RetentionDays.ONE_MONTH,
  api: { memorySize: 512, timeout: Duration.seconds(29), rateLimit: 100, burstLimit: 200, reservedConcurrency: 100 },
  stream: { memorySize: 256, timeout: Duration.minutes(1), batchSize: 100, retryAttempts: 10, maxRecordAge: Duration.hours(6), parallelizationFactor: 2 },
  sweeper: { memorySize: 256, timeout: Duration.minutes(5), rate: Duration.minutes(1), requeueAfter: Duration.minutes(5) },
  provider: { memorySize: 512, timeout: Duration.minutes(6), batchSize: 10, maxConcurrency: 10, maxReceiveCount: 5 },
  alarms: { iteratorAge: Duration.minutes(5), taskFailureRatePercent: 10, api5xxCount: 5 },
} as const;

/** Provider names: what a job's `tasks[].provider` may say, and safe in construct ids. */
const PROVIDER_NAME = PROVIDER_NAME_PATTERN;

/** What a function does with the flow's key to read and write encrypted tables and send to encrypted queues. */
const KEY_USE_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'] as const;

/** Seconds the provider wrapper keeps back at the end of an invocation to record an attempt it stopped. */
const TASK_END_RESERVE_SECONDS = Math.ceil(INVOCATION_END_RESERVE_MS / 1000);

/** SQS caps a queue's visibility timeout at 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Engine variables a function does not read, as `functions/runtime/deps.ts` wires each one with the ports it
 * calls (and its bundle with those clients only): the API schedules and publishes nothing (the stream reacts to its
 * writes; it sends only a new root pipeline's first task, to a queue); the sweeper publishes nothing.
 */
const UNREAD_ENGINE_ENV: Readonly<Record<string, readonly string[]>> = {
  [HANDLER_ENTRIES.api]: [ENV.schedulerKind, ENV.schedulerGroup, ENV.schedulerRoleArn, ENV.schedulerDlqArn, ENV.eventBus],
  [HANDLER_ENTRIES.sweeper]: [ENV.eventBus],
};

function isFunction(source: ProviderSource): source is lambda.IFunction {
  return typeof (source as lambda.IFunction).functionArn === 'string';
}

/**
 * The jobx system: jobs and result tables, the stream consumer, the sweeper, the retry scheduler, the lifecycle
 * event bus, the HTTP API, one queue per provider, alarms and a dashboard.
 *
 * @example
 * const flow = new JobFlow(stack, 'Jobs', { stageName: 'prod' });
 * flow.addProvider('resize', { entry: 'functions/providers/resize.ts', timeout: Duration.minutes(2) });
 * flow.grantSubmit(someRole);
 */
export class JobFlow extends Construct {
  /** The jobs table (single table, streamed). */
  public readonly table: dynamodb.Table;
  /** The result table (one row per finished root job, expires after 30 days). */
  public readonly resultsTable: dynamodb.Table;
  /** The HTTP API. */
  public readonly api: apigwv2.HttpApi;
  /** The API's `$default` stage (access logs, throttling). */
  public readonly apiStage: apigwv2.HttpStage;
  /** Base URL of the API (`https://<id>.execute-api.<region>.amazonaws.com/`). */
  public readonly apiUrl: string;
  /** The bus lifecycle events go to (`source: jobx`, `detail-type: jobx.job.succeeded`, `jobx.task.failed`, …). */
  public readonly eventBus: events.EventBus;
  /** The EventBridge Scheduler group of long retry delays. */
  public readonly scheduleGroup: scheduler.ScheduleGroup;
  /** The role EventBridge Scheduler assumes to send a due task to its provider's queue. */
  public readonly schedulerRole: iam.Role;
  /** The API function: every route but the wait function's. */
  public readonly apiFunction: lambda.Function;
  /**
   * The wait function: `GET /jobs/{jobId}/result` (the result long-poll) on a route of its own, with the API's
   * handler bundle at a small memory size (`api.waitMemorySize`), reading the two tables only.
   */
  public readonly waitFunction: lambda.Function;
  /** The stream consumer. */
  public readonly streamFunction: lambda.Function;
  /** The sweeper. */
  public readonly sweeperFunction: lambda.Function;
  /** Stream batches that still fail after every retry (their records are repaired by the sweeper). */
  public readonly streamFailureQueue: sqs.Queue;
  /**
   * Where every alarm notifies (when it fires and when it recovers): `alarms.topic`, or a topic of the flow's own
   * (subscribe to it). Undefined when alarms are disabled.
   */
  public readonly alarmTopic?: sns.ITopic;
  /** Retries EventBridge Scheduler could not deliver to their provider queue (alarmed). */
  public readonly scheduleDeadLetterQueue: sqs.Queue;
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The stage name. */
  public readonly stageName: string;
  /** How API callers authenticate. */
  public readonly authMode: JobFlowAuthMode;
  /** Namespace of the Powertools metrics. */
  public readonly metricsNamespace: string = METRICS_NAMESPACE;
  /** The operator console at `/console` of the API (`console` prop); undefined without it. */
  public readonly console?: JobFlowConsole;

  private readonly props: JobFlowProps;
  private readonly alarmList: cloudwatch.Alarm[] = [];
  /** Alarms of provider queues that live in other stacks (see `providerHome`). */
  private readonly foreignAlarms: cloudwatch.Alarm[] = [];
  /** Route → the longest task timeout its function can run (in `JOBX_ROUTES`, checked by the API at submit). */
  private readonly maxTaskSeconds = new Map<string, number>();
  /** The API access policies, created on the first grant. */
  private apiGrants?: ApiGrants;
  private readonly providerMap = new Map<string, JobFlowProvider>();
  private readonly extraEnvironmentBytes: number[] = [];
  private readonly externalProviderNames = new Set<string>();
  private readonly engineFunctions: lambda.Function[] = [];
  private readonly removalPolicy: RemovalPolicy;
  private readonly logRetention: logs.RetentionDays;
  /** Prefix of every provider queue's name (see `core/topology.ts`). */
  public readonly queueNamePrefix: string;

  constructor(scope: Construct, id: string, props: JobFlowProps = {}) {
    super(scope, id);
    this.props = props;
    validateProps(props);
    this.stageName = props.stageName ?? DEFAULTS.stageName;
    this.authMode = props.api?.authMode ?? 'iam';
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.logRetention = props.logRetention ?? DEFAULTS.logRetention;
    const deletionProtection = props.deletionProtection ?? true;
    this.queueNamePrefix = props.queueNamePrefix ?? queuePrefixFor(`${this.node.addr}/${this.stageName}`);
    for (const [key, value] of Object.entries(props.tags ?? {})) Tags.of(this).add(key, value);
    try {
      assertQueuePrefix(this.queueNamePrefix);
    } catch (err) {
      check(false, (err as Error).message);
    }
    // Alarms notify someone by default: the topic given, or one of the flow's own (subscribe to it).
    if (props.alarms?.enabled !== false) {
      this.alarmTopic = props.alarms?.topic ?? new sns.Topic(this, 'AlarmTopic', { displayName: `jobx ${this.stageName} alarms`, enforceSSL: true, ...(props.encryptionKey ? { masterKey: props.encryptionKey } : {}) });
    }

    // Tables: keys, index and stream come from the same definitions the local stack creates.
    this.table = this.tableFrom('JobsTable', jobsTableDefinition('jobs'), deletionProtection, JOBS_TTL_ATTRIBUTE);
    this.resultsTable = this.tableFrom('ResultsTable', resultsTableDefinition('results'), deletionProtection, RESULT_TTL_ATTRIBUTE);

    this.eventBus = new events.EventBus(this, 'EventBus', { description: `jobx ${this.stageName}: job and task lifecycle events`, ...(props.encryptionKey ? { kmsKey: props.encryptionKey } : {}) });

    // Long retry delays: one-time schedules that send the task message to its provider's queue.
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'RetrySchedules', {
      // Transient timers only: the sweeper re-sends a due retry whose schedule is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const account = Stack.of(this).account;
    // Only schedules of this flow's group may use the role (confused deputy: the account alone is not enough).
    const groupSchedules = Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.scheduleGroup.scheduleGroupName}/*` });
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: `jobx ${this.stageName}: EventBridge Scheduler sends due retries to provider queues`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account }, ArnLike: { 'aws:SourceArn': groupSchedules } },
      }),
    });
    // A retry the scheduler could not deliver lands here (alarmed); the sweeper re-sends the retry meanwhile.
    this.scheduleDeadLetterQueue = new sqs.Queue(this, 'ScheduleFailures', {
      ...this.queueEncryption(),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    grantActions(this.schedulerRole, ['sqs:SendMessage'], [this.scheduleDeadLetterQueue.queueArn]);

    this.streamFailureQueue = new sqs.Queue(this, 'StreamFailures', {
      ...this.queueEncryption(),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    // Functions.
    const apiSize = this.sizeOf(props.api, DEFAULTS.api);
    // The API emits no metrics of its own (API Gateway's are its metrics): it gets no metric dimensions.
    this.apiFunction = this.engineFunction('ApiFunction', HANDLER_ENTRIES.api, apiSize, 'HTTP API (payload v2, $default route)', false);
    // The result long-polls: the same bundle at its own memory size and the API's timeout (lib/wait-function.ts).
    const waitSize = { memorySize: waitMemorySize(props), timeout: apiSize.timeout };
    this.waitFunction = this.engineFunction('WaitFunction', HANDLER_ENTRIES.wait, waitSize, 'HTTP API result long-polls (GET /jobs/{jobId}/result) and the OpenAPI description', false, WAIT_FUNCTION_ENV);
    const streamSize = this.sizeOf(props.stream, DEFAULTS.stream);
    this.streamFunction = this.engineFunction('StreamFunction', HANDLER_ENTRIES.stream, streamSize, 'jobs table stream consumer');
    // Which lifecycle events the stream consumer publishes (validated above; the lean default when unset).
    this.streamFunction.addEnvironment(ENV.publishEvents, formatEventSelection(eventSelection(props.events?.publish, props.events?.childJobs)));
    const sweeperSize = this.sizeOf(props.sweeper, DEFAULTS.sweeper);
    this.sweeperFunction = this.engineFunction('SweeperFunction', HANDLER_ENTRIES.sweeper, sweeperSize, 'sweeper (expired leases, lost dispatches)');
    this.sweeperFunction.addEnvironment(ENV.requeueAfterSeconds, String((props.sweeper?.requeueAfter ?? DEFAULTS.sweeper.requeueAfter).toSeconds()));
    // One sweep at a time (a slow sweep is never joined by the next one), and a failed sweep is not retried by
    // Lambda's asynchronous retries: the next scheduled run repeats it.
    (this.sweeperFunction.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;
    this.sweeperFunction.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    // Sync waits hold an execution each: the API gets a bounded share of the account's concurrency.
    // Identity: owner binding and the scope that may act on any job (read by the API only).
    this.apiFunction.addEnvironment(ENV.bindOwner, props.api?.bindOwner ? 'true' : 'false');
    this.apiFunction.addEnvironment(ENV.controlScope, props.api?.controlScope ?? 'jobx/control');
    const apiReserved = props.api?.reservedConcurrency ?? DEFAULTS.api.reservedConcurrency;
    if (apiReserved > 0) (this.apiFunction.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = apiReserved;

    this.grantEngine(this.apiFunction, 'api');
    this.grantEngine(this.waitFunction, 'wait');
    this.grantEngine(this.streamFunction, 'stream');
    this.grantEngine(this.sweeperFunction, 'sweeper');
    // Whoever dispatches may send to the provider queues (by their name prefix: one statement for any number of
    // providers, where one ARN per queue would outgrow a role's 10 KB of inline policy): the stream consumer, the
    // sweeper, the API (a new root pipeline's first task), and the scheduler's role.
    for (const fn of [this.apiFunction, this.streamFunction, this.sweeperFunction]) {
      const grants: EngineGrants = ENGINE_GRANTS[fn === this.apiFunction ? 'api' : fn === this.streamFunction ? 'stream' : 'sweeper'];
      if (grants.providerQueues) grantActions(fn, grants.providerQueues, [this.providerQueueArnPattern()]);
    }
    grantActions(this.schedulerRole, ['sqs:SendMessage'], [this.providerQueueArnPattern()]);
    if (props.encryptionKey) this.grantKeyUse(props.encryptionKey);

    // The outbox: every committed change of the jobs table, in order per item.
    const stream = props.stream ?? {};
    this.streamFunction.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: stream.batchSize ?? DEFAULTS.stream.batchSize,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: stream.retryAttempts ?? DEFAULTS.stream.retryAttempts,
        maxRecordAge: stream.maxRecordAge ?? DEFAULTS.stream.maxRecordAge,
        parallelizationFactor: stream.parallelizationFactor ?? DEFAULTS.stream.parallelizationFactor,
        onFailure: new SqsDlq(this.streamFailureQueue),
      }),
    );

    const sweepRule = new events.Rule(this, 'SweepSchedule', {
      description: `jobx ${this.stageName}: run the sweeper`,
      schedule: events.Schedule.rate(props.sweeper?.rate ?? DEFAULTS.sweeper.rate),
    });
    sweepRule.addTarget(new targets.LambdaFunction(this.sweeperFunction, { retryAttempts: 0 }));

    // The API: one Lambda behind the $default route (it routes inside), IAM (SigV4) or JWT on every request; the
    // result long-polls go to the wait function, on routes of their own.
    const authorizer =
      this.authMode === 'jwt'
        ? new HttpJwtAuthorizer('JwtAuthorizer', props.api!.jwt!.issuer, { jwtAudience: [...props.api!.jwt!.audience] })
        : new HttpIamAuthorizer();
    const integration = new HttpLambdaIntegration('ApiIntegration', this.apiFunction, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 });
    this.api = new apigwv2.HttpApi(this, 'HttpApi', {
      description: `jobx ${this.stageName} API`,
      createDefaultStage: false,
      defaultIntegration: integration,
      defaultAuthorizer: authorizer,
      ...(this.authMode === 'jwt' && props.api?.jwt?.scopes ? { defaultAuthorizationScopes: [...props.api.jwt.scopes] } : {}),
      ...(props.api?.cors ? { corsPreflight: props.api.cors } : {}),
    });
    // JWT scopes per kind of route: each group given scopes gets routes of its own (the rest stay on $default).
    for (const [access, scopes] of Object.entries(props.api?.jwt?.routeScopes ?? {})) {
      for (const route of ROUTE_ACCESS.filter((r) => r.access === access && !isWaitRoute(r.method, r.path))) {
        this.api.addRoutes({ path: route.path, methods: [route.method === 'GET' ? apigwv2.HttpMethod.GET : apigwv2.HttpMethod.POST], integration, authorizer, authorizationScopes: [...(scopes ?? [])] });
      }
    }
    serveWaitRoutes(this.waitFunction, { props, api: this.api, authorizer });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: this.logRetention, removalPolicy: this.removalPolicy, ...this.logEncryption() });
    this.apiStage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.api?.throttle?.rateLimit ?? DEFAULTS.api.rateLimit,
        burstLimit: props.api?.throttle?.burstLimit ?? DEFAULTS.api.burstLimit,
      },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLogs), format: accessLogFormat() },
    });
    this.apiUrl = this.apiStage.url;
    if (props.console) this.console = new JobFlowConsole(this, 'Console', { props, api: this.api, apiUrl: this.apiUrl, stageName: this.stageName, logRetention: this.logRetention, removalPolicy: this.removalPolicy });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.node.addValidation({ validate: () => this.validateEnvironmentSize() });
    this.addEngineAlarmsAndWidgets();
    acknowledgeJobFlow(this, { tracing: props.tracing === true, sweepRule, keyed: props.encryptionKey !== undefined });
  }

  /**
   * Every alarm created so far (one more per provider, in the provider's stack for a function of another stack);
   * add actions to them, or pass `alarms.topic`.
   */
  get alarms(): readonly cloudwatch.Alarm[] {
    return [...this.alarmList, ...this.foreignAlarms];
  }

  /** Every provider added so far, by name. */
  get providers(): ReadonlyMap<string, JobFlowProvider> {
    return this.providerMap;
  }

  /**
   * The environment a provider function reads (names from `ENV`): the tables and the metric settings, no routes
   * or scheduler, so it stays the same size however many providers the flow has. Set it on a provider function
   * jobx did not create and cannot change (an imported function); `addProvider` sets it on every
   * `lambda.Function` itself.
   */
  providerEnvironment(): Record<string, string> {
    return {
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: this.metricsNamespace,
      ...this.metricEnvironment(),
      [ENV.jobsTable]: this.table.tableName,
      [ENV.resultsTable]: this.resultsTable.tableName,
    };
  }

  /** The environment jobx's own functions read (the API, the stream consumer, the sweeper): routes, scheduler, bus. */
  engineEnvironment(): Record<string, string> {
    return {
      ...this.providerEnvironment(),
      [ENV.routes]: Lazy.string({ produce: () => formatRoutes([...this.providerMap.keys()], Object.fromEntries(this.maxTaskSeconds)) }),
      [ENV.queueUrlPrefix]: `https://sqs.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${Stack.of(this).account}/${this.queueNamePrefix}`,
      [ENV.queueArnPrefix]: Stack.of(this).formatArn({ service: 'sqs', resource: this.queueNamePrefix, arnFormat: ArnFormat.NO_RESOURCE_NAME }),
      [ENV.externalProviders]: Lazy.string({ produce: () => [...this.externalProviderNames].join(',') }),
      [ENV.schedulerKind]: 'eventbridge',
      [ENV.schedulerGroup]: this.scheduleGroup.scheduleGroupName,
      [ENV.schedulerRoleArn]: this.schedulerRole.roleArn,
      [ENV.schedulerDlqArn]: this.scheduleDeadLetterQueue.queueArn,
      [ENV.eventBus]: this.eventBus.eventBusName,
    };
  }

  /**
   * Wires a provider: its own queue (SSE, TLS only, dead-letter queue) and event source mapping (partial batch
   * responses, bounded concurrency), the grants the provider wrapper needs, and its entry in `JOBX_PROVIDERS`.
   * @param name - the name jobs use in `tasks[].provider`
   * @param source - an existing function, or `{ entry, … }` for jobx to build one (nodejs22.x, arm64, ESM)
   * @param options - queue settings when `source` is an existing function
   * @example
   * flow.addProvider('resize', { entry: 'functions/providers/resize.ts', memorySize: 1024, maxConcurrency: 20 });
   */
  addProvider(name: string, source: ProviderSource, options: ProviderQueueOptions = {}): JobFlowProvider {
    check(PROVIDER_NAME.test(name), `provider name "${name}" must be 1-64 letters, digits, '-' or '_' (starting with a letter or digit)`);
    const built = !isFunction(source);
    const executor = (built ? source : options).executor;
    check(executor === undefined || EXECUTOR_NAME_PATTERN.test(executor), `provider "${name}": executor "${executor}" must be 1-128 letters, digits, '_', '.', ':' or '-' (what preLock accepts)`);
    const route = routeOfDeployment({ provider: name, ...(executor !== undefined ? { executor } : {}) });
    check(!this.providerMap.has(route) && (executor !== undefined || !this.externalProviderNames.has(name)), `provider "${route}" is already added`);
    // Construct ids of an unpinned provider stay `<name>Provider…`; an executor's deployment is `<name>@<executor>Provider…`.
    const id = route;
    const defaults = { ...DEFAULTS.provider, ...this.props.providerDefaults };
    if (!built && 'entry' in options) check(false, `provider "${name}": pass either a function or { entry }, not both`);
    const queueOptions: ProviderQueueOptions = built ? source : options;
    const batchSize = queueOptions.batchSize ?? defaults.batchSize;
    const maxConcurrency = queueOptions.maxConcurrency ?? defaults.maxConcurrency;
    const maxReceiveCount = queueOptions.maxReceiveCount ?? defaults.maxReceiveCount;
    check(integerIn(batchSize, 1, 10), `provider "${name}": batchSize must be an integer from 1 to 10`);
    check(integerIn(maxConcurrency, 2, 1000), `provider "${name}": maxConcurrency must be an integer from 2 to 1000`);
    check(integerIn(maxReceiveCount, 1, 1000), `provider "${name}": maxReceiveCount must be an integer from 1 to 1000`);

    let fn: lambda.IFunction;
    let timeout: Duration | undefined;
    if (built) {
      const props: ProviderFunctionProps = source;
      timeout = props.timeout ?? defaults.timeout;
      check(timeout.toSeconds() <= 900, `provider "${name}": a Lambda timeout is at most 15 minutes`);
      if (props.reservedConcurrency !== undefined) {
        check(integerIn(props.reservedConcurrency, 1, 10_000), `provider "${name}": reservedConcurrency must be a positive integer`);
        check(props.reservedConcurrency >= maxConcurrency, `provider "${name}": reservedConcurrency (${props.reservedConcurrency}) below maxConcurrency (${maxConcurrency}) throttles the queue's own invocations`);
      }
      fn = this.providerFunction(id, props, timeout, props.memorySize ?? defaults.memorySize);
    } else {
      fn = source;
      timeout = options.timeout ?? (source instanceof lambda.Function ? (source.timeout ?? Duration.seconds(3)) : undefined);
      check(timeout !== undefined, `provider "${name}": pass options.timeout for an imported function (the queue's visibility timeout is 6 × it)`);
      if (options.timeout && source instanceof lambda.Function && source.timeout && source.timeout.toSeconds() !== options.timeout.toSeconds()) {
        check(false, `provider "${name}": options.timeout (${options.timeout.toSeconds()} s) differs from the function's timeout (${source.timeout.toSeconds()} s)`);
      }
      // An imported function without its role would get its queue but none of the grants it needs.
      check(
        source.role !== undefined,
        `provider "${name}": the function has no role jobx can grant to (imported by ARN). Import it with lambda.Function.fromFunctionAttributes(scope, id, { functionArn, role: iam.Role.fromRoleArn(…) }), or pass one that has a role`,
      );
      if (source instanceof lambda.Function) {
        for (const [key, value] of Object.entries(this.providerEnvironment())) source.addEnvironment(key, value);
      }
    }
    // Tasks must fit the function: Lambda would stop an invocation before the task's own timeout could record it.
    const maxTask = (built ? source : options).maxTaskTimeout;
    const fits = timeout!.toSeconds() - TASK_END_RESERVE_SECONDS;
    if (maxTask === undefined) {
      check(
        fits >= DEFAULT_TASK_TIMEOUT_SECONDS,
        `provider "${route}": its function's timeout (${timeout!.toSeconds()} s) is shorter than the default task timeout (${DEFAULT_TASK_TIMEOUT_SECONDS} s) plus the ${TASK_END_RESERVE_SECONDS} s the wrapper needs to record an attempt's end: raise the timeout to ${DEFAULT_TASK_TIMEOUT_SECONDS + TASK_END_RESERVE_SECONDS} s or more, or pass maxTaskTimeout (at most ${Math.max(0, fits)} s) and submit its tasks with timeoutSeconds within it`,
      );
    } else {
      check(maxTask.toSeconds() >= 1 && maxTask.toSeconds() <= fits, `provider "${route}": maxTaskTimeout (${maxTask.toSeconds()} s) must be from 1 s to the function's timeout less ${TASK_END_RESERVE_SECONDS} s (${fits} s)`);
    }
    this.maxTaskSeconds.set(route, maxTask?.toSeconds() ?? fits);
    const visibility = Math.min(MAX_VISIBILITY_SECONDS, Math.max(30, 6 * timeout!.toSeconds()));
    check(visibility >= 6 * timeout!.toSeconds(), `provider "${name}": 6 × timeout exceeds the 12-hour visibility limit of SQS`);

    const home = this.providerHome(fn);
    const deadLetterQueue = new sqs.Queue(home, `${id}ProviderDlq`, {
      ...this.queueEncryption(),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const queue = new sqs.Queue(home, `${id}ProviderQueue`, {
      // Named from the route, so the handlers find it from JOBX_ROUTES and the prefix (core/topology.ts).
      queueName: queueNameOf(this.queueNamePrefix, route),
      ...this.queueEncryption(),
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(visibility),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount },
    });
    const before = new Set(fn.node.children);
    fn.addEventSource(new SqsEventSource(queue, { batchSize, maxConcurrency, reportBatchItemFailures: true }));
    // The mapping jobx just added (a child of the function, wherever the function lives).
    const mapping = fn.node.children.find((c) => !before.has(c) && c.node.id.startsWith('SqsEventSource')) ?? fn;

    // The provider wrapper claims and ends attempts on the jobs table; nothing else.
    this.grantEngine(fn, 'provider');
    // The tables under the flow's key: claims and ends encrypt and decrypt (the queue's key comes with the mapping).
    this.props.encryptionKey?.grant(fn, ...KEY_USE_ACTIONS);
    // The senders may already send to it: they are granted every queue of the flow's name prefix.

    const provider: JobFlowProvider = {
      name,
      ...(executor !== undefined ? { executor } : {}),
      route,
      fn,
      queue,
      deadLetterQueue,
      ...(built ? { entry: path.resolve(source.entry) } : {}),
      ...this.providerAlarmsAndWidgets(id, fn, queue, deadLetterQueue, home),
    };
    this.providerMap.set(route, provider);
    acknowledgeProvider(provider, { builtByJobx: built, tracing: this.props.tracing === true, mapping });
    return provider;
  }

  /** Providers served by external workers, by name. */
  get externalProviders(): ReadonlySet<string> {
    return this.externalProviderNames;
  }

  /**
   * Declares a provider served by external workers: its tasks are claimed over the API (`/workers/…`) instead of
   * a Lambda queue, so it gets no queue and no function (`JOBX_EXTERNAL_PROVIDERS`).
   * @param name - the name jobs use in `tasks[].provider`
   */
  addExternalProvider(name: string): void {
    check(PROVIDER_NAME.test(name), `provider name "${name}" must be 1-64 letters, digits, '-' or '_' (starting with a letter or digit)`);
    check(!this.providerMap.has(name) && !this.externalProviderNames.has(name), `provider "${name}" is already added`);
    this.externalProviderNames.add(name);
  }

  /** Lets a principal submit jobs (`POST /jobs`, sync waits included) with SigV4. IAM authorization only. */
  grantSubmit(grantee: iam.IGrantable): iam.Grant {
    return this.grantAccess(grantee, 'submit');
  }

  /**
   * Lets a principal read jobs, tasks, results, tokens and worker inboxes by id (`GET /jobs/{jobId}…`,
   * `GET /jobs/counts`, `GET /tokens/{token}`, `GET /executors/{target}`).
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantAccess(grantee, 'read');
  }

  /** Lets a principal list jobs, tokens in use and worker inboxes (`GET /jobs`, `GET /tokens`, `GET /executors`). */
  grantList(grantee: iam.IGrantable): iam.Grant {
    return this.grantAccess(grantee, 'list');
  }

  /** Lets a principal skip, retry, pause, resume and discard (`POST /jobs/{jobId}/…`). */
  grantControl(grantee: iam.IGrantable): iam.Grant {
    return this.grantAccess(grantee, 'control');
  }

  /**
   * Lets a principal work as external worker `workerId`: claim that worker's tasks (`POST /workers/{workerId}/claim`)
   * and report them by task token (`POST /task-tokens/…`), nothing else.
   */
  grantWorker(grantee: iam.IGrantable, workerId: string): iam.Grant {
    check(EXECUTOR_NAME_PATTERN.test(workerId), `grantWorker: worker id "${workerId}" must be 1-128 letters, digits, '_', '.', ':' or '-'`);
    return this.grantAccess(grantee, 'worker', workerId);
  }

  private grantAccess(grantee: iam.IGrantable, access: GrantedAccess, workerId?: string): iam.Grant {
    const method = `grant${access[0]!.toUpperCase()}${access.slice(1)}`;
    check(this.authMode === 'iam', `${method} needs authMode "iam"; with "jwt" callers authenticate with a token`);
    this.apiGrants ??= new ApiGrants(this, 'ApiAccess', this.api, `jobx ${this.stageName}`);
    return this.apiGrants.grant(grantee, access, workerId);
  }

  /**
   * Lambda caps a function's environment at 4 KB and `JOBX_ROUTES` grows with every provider (its route and a
   * comma): refuse at synthesis what Lambda would refuse at deployment.
   */
  private validateEnvironmentSize(): string[] {
    const stack = Stack.of(this);
    const region = Token.isUnresolved(stack.region) ? 14 : stack.region.length;
    // Every other jobx variable (names, table names, role ARN, group, bus, queue prefixes, Powertools, NODE_OPTIONS).
    let bytes = 900 + 2 * region + Math.max(0, ...this.extraEnvironmentBytes);
    // Each route and a comma; a limit of its own (`=N`) only where it differs from the common one.
    const limits = [...this.maxTaskSeconds.values()];
    const common = limits.sort((a, b) => limits.filter((x) => x === b).length - limits.filter((x) => x === a).length)[0];
    for (const route of this.providerMap.keys()) bytes += route.length + 1 + (this.maxTaskSeconds.get(route) === common ? 0 : 6);
    return bytes <= 4096
      ? []
      : [`JOBX_ROUTES for ${this.providerMap.size} provider deployments needs about ${bytes} bytes of environment; Lambda allows 4 KB per function. Split the providers over several JobFlows.`];
  }

  /** ARN pattern of every provider queue of this flow (their names share {@link queueNamePrefix}). */
  providerQueueArnPattern(): string {
    return Stack.of(this).formatArn({ service: 'sqs', resource: `${this.queueNamePrefix}*`, arnFormat: ArnFormat.NO_RESOURCE_NAME });
  }

  private tableFrom(id: string, def: CreateTableCommandInput, deletionProtection: boolean, ttl?: string): dynamodb.Table {
    check(def.BillingMode === 'PAY_PER_REQUEST', `table ${def.TableName} must be on-demand`);
    const stream = streamViewOf(def);
    const table = new dynamodb.Table(this, id, {
      ...keysOf(def, def.KeySchema),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection,
      removalPolicy: this.removalPolicy,
      ...(stream ? { stream } : {}),
      ...(ttl ? { timeToLiveAttribute: ttl } : {}),
      ...(this.props.encryptionKey ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: this.props.encryptionKey } : {}),
    });
    for (const gsi of def.GlobalSecondaryIndexes ?? []) {
      table.addGlobalSecondaryIndex({
        indexName: gsi.IndexName!,
        ...keysOf(def, gsi.KeySchema),
        projectionType: projectionOf(gsi.Projection?.ProjectionType),
        ...(gsi.Projection?.NonKeyAttributes ? { nonKeyAttributes: gsi.Projection.NonKeyAttributes } : {}),
      });
    }
    return table;
  }

  private sizeOf(props: EngineFunctionProps | undefined, defaults: { memorySize: number; timeout: Duration }): { memorySize: number; timeout: Duration } {
    return { memorySize: props?.memorySize ?? defaults.memorySize, timeout: props?.timeout ?? defaults.timeout };
  }

  /** Role of one function: writes to its own log group, nothing else until granted. */
  private functionRole(id: string, logGroup: logs.LogGroup, description: string): iam.Role {
    const role = new iam.Role(this, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
    logGroup.grantWrite(role);
    return role;
  }

  private functionBase(id: string, description: string): Pick<nodejs.NodejsFunctionProps, 'runtime' | 'architecture' | 'logGroup' | 'role' | 'bundling' | 'description' | 'tracing'> {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: this.logRetention, removalPolicy: this.removalPolicy, ...this.logEncryption() });
    return {
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      ...(this.props.tracing ? { tracing: lambda.Tracing.ACTIVE } : {}),
      logGroup,
      role: this.functionRole(id, logGroup, `jobx ${this.stageName}: ${description}`),
      bundling: LAMBDA_BUNDLING,
      description: `jobx ${this.stageName}: ${description}`,
    };
  }

  /** The dimensions that scope every jobx metric to this flow and stage. */
  private metricEnvironment(): Record<string, string> {
    return { [ENV.metricStage]: this.stageName, [ENV.metricFlow]: this.node.path };
  }

  private runtimeEnvironment(emitsMetrics = true): Record<string, string> {
    const env: Record<string, string> = { ...this.engineEnvironment(), POWERTOOLS_LOG_LEVEL: 'INFO', NODE_OPTIONS: '--enable-source-maps' };
    if (!emitsMetrics) for (const key of Object.keys(this.metricEnvironment())) delete env[key];
    return env;
  }

  /** `reads`: the jobx variables the function reads when it serves fewer routes than its entry has (the wait function). */
  private engineFunction(id: string, entry: string, size: { memorySize: number; timeout: Duration }, description: string, emitsMetrics = true, reads?: readonly string[]): lambda.Function {
    const environment = this.runtimeEnvironment(emitsMetrics);
    for (const key of UNREAD_ENGINE_ENV[entry] ?? []) delete environment[key];
    for (const key of Object.keys(environment)) if (reads && key.startsWith('JOBX_') && !reads.includes(key)) delete environment[key];
    const common = { memorySize: size.memorySize, timeout: size.timeout, environment };
    const prebuilt = prebuiltHandler(entry);
    let fn: lambda.Function;
    if (prebuilt) {
      const { bundling: _bundling, ...base } = this.functionBase(id, description);
      fn = new lambda.Function(this, id, { ...base, runtime: LAMBDA_RUNTIME, ...common, code: lambda.Code.fromAsset(prebuilt), handler: 'index.handler' });
    } else {
      fn = new nodejs.NodejsFunction(this, id, { ...this.functionBase(id, description), bundling: ENGINE_BUNDLING, ...ownBundlingRoot(), ...common, entry: path.join(PACKAGE_ROOT, entry), handler: 'handler' });
    }
    this.engineFunctions.push(fn);
    return fn;
  }

  private providerFunction(name: string, props: ProviderFunctionProps, timeout: Duration, memorySize: number): nodejs.NodejsFunction {
    const entry = path.resolve(props.entry);
    check(existsSync(entry), `provider "${name}": entry ${entry} does not exist`);
    const own = entry.startsWith(PACKAGE_ROOT + path.sep) ? ownBundlingRoot() : {};
    const jobx = { ...this.providerEnvironment(), POWERTOOLS_LOG_LEVEL: 'INFO', NODE_OPTIONS: '--enable-source-maps' };
    const clash = Object.keys(props.environment ?? {}).filter((k) => k in jobx);
    this.extraEnvironmentBytes.push(Object.entries(props.environment ?? {}).reduce((n, [k, v]) => n + k.length + (Token.isUnresolved(v) ? 100 : v.length), 0));
    check(clash.length === 0, `provider "${name}": environment may not override ${clash.join(', ')}`);
    return new nodejs.NodejsFunction(this, `${name}Provider`, {
      ...this.functionBase(`${name}Provider`, `provider ${name}`),
      ...own,
      entry,
      handler: props.handler ?? 'handler',
      memorySize,
      timeout,
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      environment: { ...props.environment, ...jobx },
    });
  }

  /**
   * Grants what the provider wrapper needs (claim, extend and end attempts on the jobs table, nothing else) to a
   * principal jobx did not wire itself: a function imported without its role, or a worker's own role. A function
   * passed to {@link addProvider} is granted there.
   */
  grantProvider(grantee: iam.IGrantable): void {
    this.grantEngine(grantee, 'provider');
    this.props.encryptionKey?.grant(grantee, ...KEY_USE_ACTIONS);
  }

  private grantEngine(fn: iam.IGrantable, role: EngineRole): void {
    const grants: EngineGrants = ENGINE_GRANTS[role];
    if (grants.jobsTable) grantActions(fn, grants.jobsTable, [this.table.tableArn]);
    for (const [index, actions] of Object.entries(grants.jobsIndexes ?? {})) grantActions(fn, actions, [`${this.table.tableArn}/index/${index}`]);
    if (grants.resultsTable) grantActions(fn, grants.resultsTable, [this.resultsTable.tableArn]);
    if (grants.events) grantActions(fn, grants.events, [this.eventBus.eventBusArn]);
    if (grants.schedules) {
      grantActions(fn, grants.schedules, [this.scheduleArnPattern()]);
      // CreateSchedule names the scheduler's role as the target's role: pass it, to the scheduler only.
      fn.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [this.schedulerRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      );
    }
    // providerQueues: granted queue by queue in addProvider, to every role whose grants name them.
  }

  /** The ARN pattern of the retry schedules (for the acknowledgement of its wildcard). */
  scheduleArnPattern(): string {
    return Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.scheduleGroup.scheduleGroupName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  private alarm(id: string, props: cloudwatch.CreateAlarmOptions & { metric: cloudwatch.IMetric }, scope: Construct = this): cloudwatch.Alarm | undefined {
    if (this.props.alarms?.enabled === false) return undefined;
    const { metric, ...options } = props;
    const alarm = new cloudwatch.Alarm(scope, id, { metric, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...options });
    const topic = this.alarmTopic;
    if (topic) {
      alarm.addAlarmAction(new cwActions.SnsAction(topic));
      alarm.addOkAction(new cwActions.SnsAction(topic));
    }
    if (scope === this) this.alarmList.push(alarm);
    else this.foreignAlarms.push(alarm);
    return alarm;
  }

  private dlqDepthAlarm(id: string, queue: sqs.IQueue, what: string, scope: Construct = this): cloudwatch.Alarm | undefined {
    return this.alarm(
      id,
      {
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        alarmDescription: `jobx ${this.stageName}: ${what} has messages`,
      },
      scope,
    );
  }

  /**
   * Where a provider's queue, dead-letter queue, mapping and alarm live: beside jobx for a function of jobx's
   * stack; in the function's own stack otherwise. The flow's stack then never names them (the handlers find the
   * queue by its name, the senders are granted by name prefix), so providers spread over stacks add nothing to
   * jobx's stack (CloudFormation's 500 resources per stack) and make no dependency cycle.
   */
  /**
   * What the flow's key must allow: its functions read and write the tables and send to the queues (encrypt and
   * decrypt), the scheduler's role sends to the queues, and the services that write with it on the flow's
   * behalf (CloudWatch Logs, EventBridge, CloudWatch alarms to the topic) are named in the key's policy.
   */
  private grantKeyUse(key: kms.IKey): void {
    // Exact actions (no `GenerateDataKey*`): what DynamoDB and SQS ask of a caller of an encrypted table or queue.
    for (const fn of [this.apiFunction, this.streamFunction, this.sweeperFunction]) key.grant(fn, ...KEY_USE_ACTIONS);
    key.grant(this.schedulerRole, 'kms:GenerateDataKey', 'kms:Decrypt');
    const stack = Stack.of(this);
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) } },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        principals: [new iam.ServicePrincipal('events.amazonaws.com'), new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
  }

  /** How a queue of the flow is encrypted: with the flow's key, or SQS-managed SSE. */
  private queueEncryption(): Pick<sqs.QueueProps, 'encryption' | 'encryptionMasterKey'> {
    const key = this.props.encryptionKey;
    return key ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key } : { encryption: sqs.QueueEncryption.SQS_MANAGED };
  }

  /** The flow's key on a log group, when it has one. */
  private logEncryption(): Pick<logs.LogGroupProps, 'encryptionKey'> {
    return this.props.encryptionKey ? { encryptionKey: this.props.encryptionKey } : {};
  }

  private providerHome(fn: lambda.IFunction): Construct {
    const stack = Stack.of(fn);
    if (stack === Stack.of(this)) return this;
    const id = `Jobx${Names.uniqueId(this)}Providers`;
    return (stack.node.tryFindChild(id) as Construct | undefined) ?? new Construct(stack, id);
  }

  private taskMetric(name: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName: name,
      // Scoped to this flow and stage: another stage (or flow) of the account never trips these alarms.
      dimensionsMap: { service: SERVICE_NAME, stage: this.stageName, flow: this.node.path },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
    });
  }

  private addEngineAlarmsAndWidgets(): void {
    const alarms = { ...DEFAULTS.alarms, ...this.props.alarms };
    const iteratorAge = this.streamFunction.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) });
    const failed = this.taskMetric(TASK_METRICS.failed);
    const succeeded = this.taskMetric(TASK_METRICS.succeeded);
    const failureRate = new cloudwatch.MathExpression({
      expression: 'IF((FILL(failed, 0) + FILL(succeeded, 0)) > 0, 100 * FILL(failed, 0) / (FILL(failed, 0) + FILL(succeeded, 0)), 0)',
      usingMetrics: { failed, succeeded },
      label: 'task attempts failed (%)',
      period: Duration.minutes(5),
    });
    const api5xx = this.apiStage.metricServerError({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM });

    this.dlqDepthAlarm('StreamFailuresAlarm', this.streamFailureQueue, 'the stream on-failure queue');
    this.dlqDepthAlarm('ScheduleFailuresAlarm', this.scheduleDeadLetterQueue, 'the retry schedules dead-letter queue');
    this.alarm('StreamIteratorAgeAlarm', {
      metric: iteratorAge,
      threshold: alarms.iteratorAge.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      alarmDescription: `jobx ${this.stageName}: the stream consumer lags behind the jobs table`,
    });
    this.alarm('TaskFailureRateAlarm', {
      metric: failureRate,
      threshold: alarms.taskFailureRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      alarmDescription: `jobx ${this.stageName}: more than ${alarms.taskFailureRatePercent}% of task attempts fail`,
    });
    this.alarm('Api5xxAlarm', {
      metric: api5xx,
      threshold: alarms.api5xxCount,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      alarmDescription: `jobx ${this.stageName}: API 5xx responses`,
    });
    for (const fn of this.engineFunctions) {
      this.alarm(`${fn.node.id}ErrorsAlarm`, {
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        alarmDescription: `jobx ${this.stageName}: ${fn.node.id} errors`,
      });
    }

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: `# jobx ${this.stageName}`, width: 24, height: 1 }),
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        left: [this.apiStage.metricCount({ statistic: cloudwatch.Stats.SUM }), this.apiStage.metricClientError(), this.apiStage.metricServerError()],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'API latency (p50, p99)', left: [this.apiStage.metricLatency({ statistic: 'p50' }), this.apiStage.metricLatency({ statistic: 'p99' })], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Task attempts', left: [succeeded, failed], right: [failureRate], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Stream iterator age (ms)', left: [iteratorAge], width: 8 }),
      new cloudwatch.GraphWidget({
        title: 'jobx functions: errors',
        left: this.engineFunctions.map((fn) => fn.metricErrors({ label: fn.node.id, statistic: cloudwatch.Stats.SUM })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'jobx functions: duration p99',
        left: this.engineFunctions.map((fn) => fn.metricDuration({ label: fn.node.id, statistic: 'p99' })),
        width: 8,
      }),
    );
    // The widget reads the array at synthesis, so the providers' alarms added later are shown too (those of this
    // stack: an alarm of another stack named here would make this stack depend on that one).
    if (this.alarmList.length > 0) this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarmList, width: 24 }));
  }

  private providerAlarmsAndWidgets(name: string, fn: lambda.IFunction, queue: sqs.Queue, dlq: sqs.Queue, home: Construct): { dlqAlarm?: cloudwatch.Alarm } {
    const dlqAlarm = this.dlqDepthAlarm(`${name}ProviderDlqAlarm`, dlq, `the dead-letter queue of provider ${name}`, home);
    if (home !== this) {
      // Naming the queues or the function here would make jobx's stack depend on theirs, which depends on it.
      this.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: `**provider ${name}**: its queue and function are in stack ${Stack.of(fn).stackName}; see their metrics there.`, width: 24, height: 2 }));
      return dlqAlarm ? { dlqAlarm } : {};
    }
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `provider ${name}: queue`,
        left: [queue.metricApproximateNumberOfMessagesVisible({ label: 'waiting' }), dlq.metricApproximateNumberOfMessagesVisible({ label: 'dead letters' })],
        right: [queue.metricApproximateAgeOfOldestMessage({ label: 'oldest (s)' })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: `provider ${name}: invocations`,
        left: [fn.metricInvocations({ statistic: cloudwatch.Stats.SUM }), fn.metricErrors({ statistic: cloudwatch.Stats.SUM }), fn.metricThrottles({ statistic: cloudwatch.Stats.SUM })],
        right: [fn.metricDuration({ statistic: 'p99' })],
        width: 12,
      }),
    );
    return dlqAlarm ? { dlqAlarm } : {};
  }
}

/** Access log line: one JSON object per request, HTTP API variables only. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      caller: '$context.identity.caller',
      user: '$context.identity.user',
      userArn: '$context.identity.userArn',
      // JWT mode: who called (the token's subject); empty with IAM, where userArn says it.
      sub: '$context.authorizer.claims.sub',
      requestTime: '$context.requestTime',
      httpMethod: '$context.httpMethod',
      path: '$context.path',
      routeKey: '$context.routeKey',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integration.latency',
      integrationStatus: '$context.integration.status',
      integrationError: '$context.integrationErrorMessage',
      error: '$context.error.message',
    }),
  );
}