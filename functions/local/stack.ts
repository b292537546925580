/**
 * The local stack: DynamoDB Local, an SQS server, event source mappings, durable timers, the sweeper and the
 * HTTP gateway, all driving the same Lambda handlers that run on AWS. One stack per process (the handlers read
 * their configuration from the process environment, as on Lambda).
 * @module
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { TableRetryScheduler } from '../adapters/scheduler/table-scheduler';
import { countRequest, countSchedulerInvocations, markStandInTable } from '../adapters/usage';
import { ensureTable, jobsTableDefinition, resultsTableDefinition } from '../adapters/dynamodb/tables';
import type { ProviderQueues } from '../adapters/sqs/work-queue';
import type { ProviderDefinition } from '../providers/define-provider';
import { formatRoutes, queueNameOf, queueSuffixOf, queuesOf, type QueueTopology } from '../core/topology';
import { ENV } from '../runtime/env-names';
import { isWaitRoute } from '../http/route-access';
import { DEFAULT_EVENT_SELECTION, formatEventSelection, type EventSelection } from '../core/lifecycle-events';
import { localClientConfig } from './client-config';
import { startDynamoDbLocal, type DynamoDbLocalHandle } from './dynamodb-local';
import { startHttpGateway } from './http-gateway';
import { createLambdaContext } from './lambda-context';
import { startQueueMapping } from './queue-mapping';
import { startSqsServer } from './sqs-server';
import { createTableCheckpointStore, ensureCheckpointTable, startStreamMapping } from './stream-mapping';

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** HTTP port. @default 3000 (0 picks a free one) */
  port?: number;
  /** Keep DynamoDB Local's data here; null keeps everything in memory. */
  dataDir?: string | null;
  /** Deliver every stream record and SQS message twice (the copy after up to 1 s). */
  duplicateDelivery?: boolean;
  /** Sweeper period in seconds. @default 60 */
  sweepSeconds?: number;
  /** Providers to load. @default the examples (demo, flaky, delay) */
  providers?: readonly ProviderDefinition[];
  /**
   * Lifecycle events the stream publishes (nowhere, but counted as EventBridge would bill them).
   * @default the construct's lean default (`DEFAULT_EVENT_SELECTION`)
   */
  events?: EventSelection;
  /** Diagnostic lines. */
  log?: (line: string) => void;
}

/** Handler invocations counted by the local event source mappings. */
export interface InvocationCounts {
  stream: number;
  providers: number;
  /** Calls of the API function (every route but the wait function's). */
  api: number;
  /** Calls the wait function serves on AWS (`GET /jobs/{jobId}/result`, `WAIT_ROUTES`): same handler, billed apart. */
  wait: number;
  sweeper: number;
  /** Milliseconds spent inside jobx's own handlers (stream, sweeper), for the Lambda GB-second estimate. */
  engineMs: number;
  /** Billed milliseconds per function: each invocation's wall time rounded up to the next ms, as Lambda bills it. */
  billedMs: { stream: number; sweeper: number; api: number; wait: number; providers: number };
  /** API Gateway requests as billed: one per API call and 512 KB chunk of its request or response. */
  apiGatewayRequests: number;
}

/** A running local stack. */
export interface LocalStack {
  url: string;
  dataDir: string | null;
  invocations: InvocationCounts;
  /** Queues with an event source mapping (one per provider deployment): each polls, billed, when idle. */
  eventSourceQueues: number;
  /** True when no mapping has work in flight. */
  idle(): boolean;
  /** Runs the sweeper once now. */
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

/** Queue-name prefix of the local stack's provider queues. */
const LOCAL_QUEUE_PREFIX = 'jobx-';

/**
 * The compact form of the queues the local SQS server created (their URL and ARN prefixes), checked against every
 * queue: the handlers find each queue from it as they do on AWS.
 */
function topologyOfQueues(queues: ProviderQueues): QueueTopology {
  const routes = Object.keys(queues);
  const first = routes[0];
  if (first === undefined) return { urlPrefix: '', arnPrefix: '', routes };
  const suffix = queueSuffixOf(first);
  const topology = { urlPrefix: queues[first]!.queueUrl.slice(0, -suffix.length), arnPrefix: queues[first]!.queueArn.slice(0, -suffix.length), routes };
  const derived = queuesOf(topology);
  for (const route of routes) {
    if (derived[route]!.queueUrl !== queues[route]!.queueUrl || derived[route]!.queueArn !== queues[route]!.queueArn) {
      throw new Error(`the local SQS server named queue ${route} ${queues[route]!.queueUrl}, not as core/topology.ts derives it`);
    }
  }
  return topology;
}

const TABLES = { jobs: 'jobx-jobs', results: 'jobx-results', timers: 'jobx-local-timers', checkpoints: 'jobx-local-checkpoints' } as const;
const FUNCTION_TIMEOUT_MS = 900_000;
/** API Gateway meters HTTP API requests in 512 KB increments. */
const API_GATEWAY_CHUNK_BYTES = 512 * 1024;

/** Lambda bills each invocation's duration rounded up to the next millisecond. */
const billed = (ms: number) => Math.max(1, Math.ceil(ms));

/** The deployed function that serves a request: the wait function for `WAIT_ROUTES`, else the API function. */
const functionOf = (request: { method: string; path: string }): 'api' | 'wait' => (isWaitRoute(request.method, request.path) ? 'wait' : 'api');

/** Starts the local stack. */
export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const log = opts.log ?? (() => undefined);
  // Node 20 is the laptop's runtime here (Lambda runs nodejs22.x): the SDK's upgrade notice is known noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Before any handler module loads: Powertools reads these when its logger and metrics are created.
  process.env.POWERTOOLS_DEV = 'true';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const providers = opts.providers ?? (await import('../providers/examples/index')).exampleProviders;
  const sweepSeconds = opts.sweepSeconds ?? 60;
  const invocations: InvocationCounts = { stream: 0, providers: 0, api: 0, wait: 0, sweeper: 0, engineMs: 0, billedMs: { stream: 0, sweeper: 0, api: 0, wait: 0, providers: 0 }, apiGatewayRequests: 0 };
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log(`stop failed: ${(err as Error).message}`));
  };

  let db: DynamoDbLocalHandle | undefined;
  try {
    db = await startDynamoDbLocal({ dataDir: opts.dataDir ?? null });
    stops.push(() => db!.stop());
    const sqsServer = await startSqsServer();
    stops.push(() => sqsServer.stop());

    const ddbConfig = localClientConfig(db.endpoint);
    const sqsConfig = localClientConfig(sqsServer.endpoint);
    const rawDdb = new DynamoDBClient(ddbConfig);
    const doc = DynamoDBDocumentClient.from(rawDdb, { marshallOptions: { removeUndefinedValues: true } });
    // Not instrumented: the queue mappings report their requests as AWS would bill them (onBillableRequest).
    const sqs = new SQSClient(sqsConfig);

    const streamArn = await ensureTable(rawDdb, jobsTableDefinition(TABLES.jobs));
    await ensureTable(rawDdb, resultsTableDefinition(TABLES.results));
    await ensureTable(rawDdb, { TableName: TABLES.timers, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'name', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }] });
    await ensureCheckpointTable(rawDdb, TABLES.checkpoints);
    if (!streamArn) throw new Error('the jobs table has no stream');
    // The timers table stands in for EventBridge Scheduler: its requests are not DynamoDB's on AWS (usage counters).
    markStandInTable(TABLES.timers);

    // Provider deployments registered as executors (`JOBX_LOCAL_EXECUTORS=demo@edge-1`): the same handler on a queue of its own.
    const deployments: Array<{ key: string; provider: ProviderDefinition }> = providers.map((p) => ({ key: p.name, provider: p }));
    for (const entry of (process.env.JOBX_LOCAL_EXECUTORS ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
      const [name, executor] = entry.split('@');
      const provider = providers.find((p) => p.name === name);
      if (!provider || !executor) throw new Error(`JOBX_LOCAL_EXECUTORS: ${entry} is not provider@executor with a known provider`);
      deployments.push({ key: entry, provider });
    }
    // Queues named as the construct names them (core/topology.ts); the handlers derive each URL and ARN the same way.
    const queues: ProviderQueues = {};
    for (const { key } of deployments) {
      const queueName = queueNameOf(LOCAL_QUEUE_PREFIX, key);
      const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${queueName}-dlq` }));
      const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
      const q = await sqs.send(
        new CreateQueueCommand({
          QueueName: queueName,
          Attributes: { VisibilityTimeout: '60', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }) },
        }),
      );
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
      queues[key] = { queueUrl: q.QueueUrl!, queueArn: arn! };
    }
    const topology = topologyOfQueues(queues);

    // The handlers read only these, exactly as on Lambda; the SDK picks the endpoints up from AWS_ENDPOINT_URL_*.
    Object.assign(process.env, {
      AWS_REGION: ddbConfig.region,
      AWS_ACCESS_KEY_ID: ddbConfig.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ddbConfig.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_ENDPOINT_URL_SQS: sqsServer.endpoint,
      [ENV.jobsTable]: TABLES.jobs,
      [ENV.resultsTable]: TABLES.results,
      [ENV.routes]: formatRoutes(topology.routes),
      [ENV.queueUrlPrefix]: topology.urlPrefix,
      [ENV.queueArnPrefix]: topology.arnPrefix,
      [ENV.schedulerKind]: 'table',
      [ENV.timersTable]: TABLES.timers,
      [ENV.requeueAfterSeconds]: String(Math.max(sweepSeconds, 5)),
      [ENV.publishEvents]: formatEventSelection(opts.events ?? DEFAULT_EVENT_SELECTION),
      [ENV.localInfo]: JSON.stringify({ duplicateDelivery: opts.duplicateDelivery === true, sweepSeconds, data: opts.dataDir ?? null, endpoints: { dynamodb: db.endpoint, sqs: sqsServer.endpoint } }),
    });

    const [{ handler: streamHandler }, { handler: sweeperHandler }, { handler: apiHandler }, { handler: waitHandler }, { engineDeps }] = await Promise.all([
      import('../handlers/stream'),
      import('../handlers/sweeper'),
      import('../handlers/http-api'),
      import('../handlers/http-wait'),
      import('../runtime/deps'),
    ]);
    const runSweep = async (event: { requeueAfterSeconds?: number; abandonRunning?: boolean }) => {
      invocations.sweeper++;
      const t0 = performance.now();
      try {
        await sweeperHandler(event, createLambdaContext('jobx-sweeper', FUNCTION_TIMEOUT_MS));
      } finally {
        const ms = performance.now() - t0;
        invocations.engineMs += ms;
        invocations.billedMs.sweeper += billed(ms);
      }
    };

    // Everything that was running or queued died with the previous process (SQS keeps nothing): recover from the table first.
    await runSweep({ requeueAfterSeconds: 0, abandonRunning: true });

    const stream = startStreamMapping({
      streamsClient: new DynamoDBStreamsClient(ddbConfig),
      streamArn,
      functionName: 'jobx-stream',
      handler: async (event, context: Context) => {
        const t0 = performance.now();
        try {
          return await streamHandler(event, context);
        } finally {
          const ms = performance.now() - t0;
          invocations.engineMs += ms;
          invocations.billedMs.stream += billed(ms);
        }
      },
      batchSize: 100,
      maxRetries: 10,
      duplicateDelivery: opts.duplicateDelivery === true,
      checkpoints: createTableCheckpointStore(doc, TABLES.checkpoints),
      onInvoke: () => invocations.stream++,
      onFailure: (records, error) => log(`stream records skipped after retries (${records.length}): ${(error as Error)?.message}`),
      log,
    });
    stops.push(() => stream.stop());

    const mappings = deployments.map(({ key, provider }) =>
      startQueueMapping({
        sqsClient: sqs,
        queueUrl: queues[key]!.queueUrl,
        queueArn: queues[key]!.queueArn,
        functionName: `jobx-provider-${key}`,
        handler: async (event, context) => {
          const t0 = performance.now();
          try {
            return await provider.handler(event, context);
          } finally {
            invocations.billedMs.providers += billed(performance.now() - t0);
          }
        },
        batchSize: 10,
        maxConcurrency: 4,
        // Long polls as Lambda's pollers do: an idle queue costs 3 requests a minute per poller, not 60.
        waitTimeSeconds: 20,
        visibilityTimeoutSeconds: 60,
        timeoutMs: FUNCTION_TIMEOUT_MS,
        duplicateDelivery: opts.duplicateDelivery === true,
        onInvoke: () => invocations.providers++,
        // Lambda's pollers call SQS on AWS too (billed): count one request per long poll and per delete batch.
        // An empty long poll is billed too, but is a fixed cost per queue and month (counted apart).
        onBillableRequest: (op, detail) => countRequest('SQS', op, { empty: op === 'ReceiveMessage' && detail?.messages === 0 }),
        log,
      }),
    );
    for (const m of mappings) stops.push(() => m.stop());

    const timers = new TableRetryScheduler({ client: doc, tableName: TABLES.timers });
    let timerBusy = false;
    const timerLoop = setInterval(() => {
      if (timerBusy) return;
      timerBusy = true;
      timers
        .deliverDue(engineDeps().queue, Date.now())
        // Each timer that fires is one EventBridge Scheduler invocation on AWS.
        .then((delivered) => countSchedulerInvocations(delivered))
        .catch((err: unknown) => log(`timer delivery failed: ${(err as Error).message}`))
        .finally(() => (timerBusy = false));
    }, 500);
    stops.push(async () => clearInterval(timerLoop));

    let sweepBusy = false;
    const sweepLoop = setInterval(() => {
      if (sweepBusy) return;
      sweepBusy = true;
      runSweep({})
        .catch((err: unknown) => log(`sweep failed: ${(err as Error).message}`))
        .finally(() => (sweepBusy = false));
    }, sweepSeconds * 1000);
    stops.push(async () => clearInterval(sweepLoop));

    const gateway = await startHttpGateway(
      // As API Gateway does: the wait function's routes to its handler, the rest to the API function's.
      (event, context) => (functionOf({ method: event.requestContext.http.method, path: event.rawPath }) === 'wait' ? waitHandler : apiHandler)(event, context),
      opts.port ?? 3000,
      // Each call billed to the function that serves it on AWS: the wait function for the result long-polls.
      (request) => invocations[functionOf(request)]++,
      (call) => {
        invocations.billedMs[functionOf(call)] += billed(call.ms);
        invocations.apiGatewayRequests += Math.max(1, Math.ceil(Math.max(call.requestBytes, call.responseBytes) / API_GATEWAY_CHUNK_BYTES));
      },
    );
    stops.push(() => gateway.stop());

    let stopped: Promise<void> | undefined;
    return {
      url: gateway.url,
      dataDir: opts.dataDir ?? null,
      invocations,
      eventSourceQueues: deployments.length,
      idle: () => stream.idle() && mappings.every((m) => m.idle()) && !timerBusy,
      sweep: () => runSweep({}),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
