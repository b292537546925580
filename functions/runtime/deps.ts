/**
 * Wires the ports to AWS adapters from the environment, once per process (module scope in a Lambda). Each
 * function gets the ports it calls and no more, so its bundle carries only those AWS clients: the stream
 * everything ({@link engineDeps}), the sweeper no event bus ({@link sweeperDeps}), the API the stores and the
 * routes only ({@link apiDeps}), the result long-poll the stores only ({@link resultDeps}), a provider the jobs store ({@link providerDeps}).
 * @module
 */
import { documentClient, eventBridgeClient, schedulerClient, sqsClient } from '../adapters/clients';
import { EventBridgePublisher, NoopPublisher } from '../adapters/eventbridge/event-publisher';
import { DynamoJobStore } from '../adapters/dynamodb/job-store';
import { DynamoResultStore } from '../adapters/dynamodb/result-store';
import { EventBridgeRetryScheduler } from '../adapters/scheduler/eventbridge-scheduler';
import { TableRetryScheduler } from '../adapters/scheduler/table-scheduler';
import { SqsWorkQueue, type ProviderQueues, type ProviderRoutesOptions } from '../adapters/sqs/work-queue';
import type { EngineDeps, EventPublisher, RetryScheduler, TaskDeps, WorkQueue } from '../ports';
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

/** The routes, externally served providers and task limits of the deployment, from the environment. */
function routesOptions(): ProviderRoutesOptions {
  return {
    providers: providerQueues(),
    externalProviders: new Set((process.env[ENV.externalProviders] ?? '').split(',').map((p) => p.trim()).filter(Boolean)),
    maxTaskSeconds: parseRouteLimits(process.env[ENV.routes]),
  };
}

/** The jobs and result stores and the clock (every engine function's). */
function stores(): Pick<EngineDeps, 'store' | 'results' | 'clock'> {
  return {
    store: new DynamoJobStore({ client: documentClient(), tableName: requireEnv(ENV.jobsTable), resultsTableName: requireEnv(ENV.resultsTable) }),
    results: new DynamoResultStore({ client: documentClient(), tableName: requireEnv(ENV.resultsTable) }),
    clock: { now: () => Date.now(), random: () => Math.random() },
  };
}

/**
 * A port a function never calls, so that its bundle leaves the client behind it out. Calling it is a bug in the
 * wiring (the code changed, this file did not), reported as such rather than silently dropped.
 */
function notWired(fn: string, what: string): never {
  throw new Error(`jobx: the ${fn} function has no ${what} (functions/runtime/deps.ts wires it only where it is called)`);
}

/** Everything the engine can call: the stream's dependencies (the stream dispatches, schedules and publishes). */
export function engineDeps(): EngineDeps {
  if (!deps) {
    const routes = routesOptions();
    deps = {
      ...stores(),
      queue: new SqsWorkQueue({ client: sqsClient(), ...routes }),
      scheduler: scheduler(routes.providers),
      events: process.env[ENV.eventBus] ? new EventBridgePublisher({ client: eventBridgeClient(), busName: process.env[ENV.eventBus]! }) : new NoopPublisher(),
    };
  }
  return deps;
}

let sweepDeps: EngineDeps | undefined;

/**
 * The sweeper's dependencies: the stream's but the event bus. Its repairs dispatch and schedule as the stream does;
 * lifecycle events are published by the stream alone (`engine/on-change.ts`), so the sweeper carries no EventBridge client.
 */
export function sweeperDeps(): EngineDeps {
  if (!sweepDeps) {
    const routes = routesOptions();
    const events: EventPublisher = { publish: async () => notWired('sweeper', 'event bus (lifecycle events are the stream\'s)') };
    sweepDeps = { ...stores(), queue: new SqsWorkQueue({ client: sqsClient(), ...routes }), scheduler: scheduler(routes.providers), events };
  }
  return sweepDeps;
}

/**
 * The API's queue: its routes (it checks submissions against them) and the one send it makes, a new root
 * pipeline's first task (`core/first-task.ts`); everything else is sent by the stream and the sweeper.
 */
class ApiQueue extends SqsWorkQueue {
  override async sendMany(): Promise<void> {
    notWired('API', 'batch sends (a parent\'s children are started by the stream)');
  }

  override async waiting(): Promise<number> {
    return notWired('API', 'queue reads (only the sweeper reads a queue)');
  }
}

let httpDeps: EngineDeps | undefined;

/**
 * The API function's dependencies: the stores, the routes, and the queue for a new root pipeline's first task.
 * Controlling, reading and external workers' calls only write and read the tables; the stream reacts to the writes
 * (dispatch, schedules, events), so the API carries no Scheduler or EventBridge client.
 */
export function apiDeps(): EngineDeps {
  httpDeps ??= {
    ...stores(),
    queue: new ApiQueue({ client: sqsClient(), ...routesOptions() }),
    scheduler: { scheduleAt: async () => notWired('API', 'scheduler client (retries are scheduled by the stream and the sweeper)') },
    events: { publish: async () => notWired('API', 'event bus (lifecycle events are the stream\'s)') },
  };
  return httpDeps;
}

let waitDeps: EngineDeps | undefined;

/**
 * The wait function's dependencies (`GET /jobs/{jobId}/result`, `WAIT_ROUTES` in `http/route-access.ts`): the
 * stores alone. Reading a result needs no routes, queues, schedules or bus, so that function's environment holds
 * the table names only and its role reads the two tables.
 */
export function resultDeps(): EngineDeps {
  const none = (): never => notWired('wait', 'routes, queue, scheduler or event bus (it reads results only)');
  waitDeps ??= {
    ...stores(),
    queue: { send: async () => none(), sendMany: async () => none(), waiting: async () => none(), hasProvider: none, isExternal: none, maxTaskSeconds: none, declaredInboxes: none },
    scheduler: { scheduleAt: async () => none() },
    events: { publish: async () => none() },
  };
  return waitDeps;
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
