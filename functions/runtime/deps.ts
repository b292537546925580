/**
 * Wires the ports to AWS adapters from the environment, once per process (module scope in a Lambda).
 * @module
 */
import { documentClient, eventBridgeClient, schedulerClient, sqsClient } from '../adapters/clients';
import { EventBridgePublisher, NoopPublisher } from '../adapters/eventbridge/event-publisher';
import { DynamoJobStore } from '../adapters/dynamodb/job-store';
import { DynamoResultStore } from '../adapters/dynamodb/result-store';
import { EventBridgeRetryScheduler } from '../adapters/scheduler/eventbridge-scheduler';
import { TableRetryScheduler } from '../adapters/scheduler/table-scheduler';
import { SqsWorkQueue, type ProviderQueues } from '../adapters/sqs/work-queue';
import type { EngineDeps, RetryScheduler, TaskDeps } from '../ports';
import { ENV, requireEnv } from './env-names';
import { parseRouteLimits, parseRoutes, queuesOf } from '../core/topology';

let deps: EngineDeps | undefined;

/** Provider queues from `JOBX_ROUTES` and the queue URL and ARN prefixes (`core/topology.ts`). */
export function providerQueues(): ProviderQueues {
  const routes = parseRoutes(process.env[ENV.routes]);
  if (routes.length === 0) return {};
  return queuesOf({ urlPrefix: requireEnv(ENV.queueUrlPrefix), arnPrefix: requireEnv(ENV.queueArnPrefix), routes });
}

function scheduler(providers: ProviderQueues): RetryScheduler {
  if (process.env[ENV.schedulerKind] === 'table') {
    return new TableRetryScheduler({ client: documentClient(), tableName: requireEnv(ENV.timersTable), hasRoute: (route) => Object.hasOwn(providers, route) });
  }
  return new EventBridgeRetryScheduler({
    client: schedulerClient(),
    groupName: requireEnv(ENV.schedulerGroup),
    roleArn: requireEnv(ENV.schedulerRoleArn),
    ...(process.env[ENV.schedulerDlqArn] ? { deadLetterArn: process.env[ENV.schedulerDlqArn] } : {}),
    providers,
  });
}

/** The engine's dependencies for this process. */
export function engineDeps(): EngineDeps {
  if (!deps) {
    const providers = providerQueues();
    deps = {
      store: new DynamoJobStore({ client: documentClient(), tableName: requireEnv(ENV.jobsTable), resultsTableName: requireEnv(ENV.resultsTable) }),
      results: new DynamoResultStore({ client: documentClient(), tableName: requireEnv(ENV.resultsTable) }),
      queue: new SqsWorkQueue({
        client: sqsClient(),
        providers,
        externalProviders: new Set((process.env[ENV.externalProviders] ?? '').split(',').map((p) => p.trim()).filter(Boolean)),
        maxTaskSeconds: parseRouteLimits(process.env[ENV.routes]),
      }),
      scheduler: scheduler(providers),
      events: process.env[ENV.eventBus] ? new EventBridgePublisher({ client: eventBridgeClient(), busName: process.env[ENV.eventBus]! }) : new NoopPublisher(),
      clock: { now: () => Date.now(), random: () => Math.random() },
    };
  }
  return deps;
}

let taskDeps: TaskDeps | undefined;

/**
 * What a provider function needs (claim, run, record): the jobs store and the clock. A provider's environment
 * holds only the table names (and metric settings), however many providers the flow has.
 */
export function providerDeps(): TaskDeps {
  taskDeps ??= {
    store: new DynamoJobStore({ client: documentClient(), tableName: requireEnv(ENV.jobsTable), resultsTableName: requireEnv(ENV.resultsTable) }),
    clock: { now: () => Date.now(), random: () => Math.random() },
  };
  return taskDeps;
}

/** Seconds after which the sweeper re-sends an unclaimed dispatch. @default 60 */
export function requeueAfterMs(): number {
  return Number(process.env[ENV.requeueAfterSeconds] ?? 60) * 1000;
}
