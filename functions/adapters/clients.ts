/**
 * AWS SDK clients, created once per process. Endpoints come from the SDK's own environment variables
 * (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SQS`, …), which is how the local stack points the same
 * handlers at DynamoDB Local and the local SQS server.
 * @module
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { usagePlugin } from './usage';

/**
 * Whether the clients count their requests (`./usage.ts`, read by the local stack and the bench). The Lambda
 * bundles define `process.env.JOBX_COUNT_REQUESTS` as `"off"` when they are built (`lib/bundling.ts`), so the
 * counting code is not even in them: on Lambda nobody reads the counts. Written out at each use, which is what
 * lets esbuild fold the condition and drop the module.
 */
let ddb: DynamoDBDocumentClient | undefined;
let sqs: SQSClient | undefined;
let scheduler: SchedulerClient | undefined;
let eventBridge: EventBridgeClient | undefined;

/** The DynamoDB document client (undefined attributes dropped, numbers as JS numbers). */
export function documentClient(): DynamoDBDocumentClient {
  if (!ddb) {
    const raw = new DynamoDBClient({ maxAttempts: 8 });
    if (process.env.JOBX_COUNT_REQUESTS !== 'off') raw.middlewareStack.use(usagePlugin('DynamoDB'));
    ddb = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
  }
  return ddb;
}

/** The SQS client. */
export function sqsClient(): SQSClient {
  if (!sqs) {
    sqs = new SQSClient({ maxAttempts: 8 });
    if (process.env.JOBX_COUNT_REQUESTS !== 'off') sqs.middlewareStack.use(usagePlugin('SQS'));
  }
  return sqs;
}

/** The EventBridge Scheduler client. */
export function schedulerClient(): SchedulerClient {
  if (!scheduler) {
    scheduler = new SchedulerClient({});
    if (process.env.JOBX_COUNT_REQUESTS !== 'off') scheduler.middlewareStack.use(usagePlugin('Scheduler'));
  }
  return scheduler;
}

/** The EventBridge client. */
export function eventBridgeClient(): EventBridgeClient {
  if (!eventBridge) {
    eventBridge = new EventBridgeClient({});
    if (process.env.JOBX_COUNT_REQUESTS !== 'off') eventBridge.middlewareStack.use(usagePlugin('EventBridge'));
  }
  return eventBridge;
}
