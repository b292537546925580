/**
 * Drives the real API Lambda handler (functions/handlers/http-api.ts) in-process, with payload-v2 events built by
 * the local gateway's own `toApiEvent`, and the DynamoDB document client replaced by aws-sdk-client-mock:
 * either refusing every call (a request that fails validation must never reach the store) or backed by a tiny
 * in-memory table (enough for submit and reads to answer), which records every item written. The SQS client is
 * mocked too: a new root pipeline's first task is sent by the submit (`sent` records each message body).
 */
import type { IncomingMessage } from 'node:http';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';

// The engine's dependencies are built from the environment on first use (functions/runtime/deps.ts): table
// names, providers, the local scheduler. Set before any request reaches a route.
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  POWERTOOLS_DEV: 'true',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  JOBX_JOBS_TABLE: 'jobs',
  JOBX_RESULTS_TABLE: 'results',
  JOBX_TIMERS_TABLE: 'timers',
  JOBX_SCHEDULER: 'table',
  JOBX_ROUTES: 'demo',
  JOBX_QUEUE_URL_PREFIX: 'http://127.0.0.1:1/000000000000/jobx-',
  JOBX_QUEUE_ARN_PREFIX: 'arn:aws:sqs:us-east-1:000000000000:jobx-',
});

const { handler } = await import('../../../functions/handlers/http-api');
const { handler: waitHandler } = await import('../../../functions/handlers/http-wait');
const { isWaitRoute } = await import('../../../functions/http/route-access');
const { toApiEvent } = await import('../../../functions/local/http-gateway');
const { createLambdaContext } = await import('../../../functions/local/lambda-context');

/** The real API handler, loaded once the environment above is set. */
export const apiHandler = handler;

/** The real wait function's handler (`WAIT_ROUTES`: the result long-poll, the OpenAPI description). */
export { waitHandler };

/** What the handler answered, with the body parsed. */
export interface Answer {
  status: number;
  body: { error?: { code: string; message: string; details?: Record<string, unknown> } } & Record<string, unknown>;
}

/** The event API Gateway (or the local gateway) would build for a request to `target` (path and query, raw). */
export function apiEvent(method: string, target: string, body?: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  const req = { url: target, method, headers: { host: 'localhost', 'content-type': 'application/json', ...headers }, httpVersion: '1.1', socket: { remoteAddress: '127.0.0.1' } };
  return toApiEvent(req as unknown as IncomingMessage, body);
}

/** Calls the API handler with a raw body (a string is sent as it is, anything else as JSON). */
export async function call(method: string, target: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const raw = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const event = apiEvent(method, target, raw, headers);
  // As API Gateway does: the wait function's routes go to its handler.
  const serving = isWaitRoute(method, event.rawPath) ? waitHandler : handler;
  const result = await serving(event, createLambdaContext('jobx-api', 30_000));
  return { status: result.statusCode ?? 200, body: result.body ? (JSON.parse(result.body) as Answer['body']) : {} };
}

/** The mocked document client (every instance of it in this process). */
export const ddb = mockClient(DynamoDBDocumentClient);

/** The mocked SQS client: every send succeeds; `sent` holds the bodies, oldest first. */
export const sqs = mockClient(SQSClient);
export const sent: unknown[] = [];
sqs.on(SendMessageCommand).callsFake((input: { MessageBody?: string }) => {
  sent.push(JSON.parse(input.MessageBody ?? 'null'));
  return { MessageId: `m${sent.length}` };
});

/** Every DynamoDB call fails: validation must answer before any of them. */
export function refuseStoreCalls(): void {
  ddb.reset();
  ddb.onAnyCommand().rejects(new Error('no store call was expected'));
}

type Item = Record<string, unknown>;

/**
 * A tiny in-memory jobs table behind the mock: puts (with "create if absent", alone or in a transaction), gets,
 * partition queries; every other write succeeds and changes nothing. Returns the items written, for storability
 * checks.
 */
export function fakeTable(): { written: Item[] } {
  ddb.reset();
  const rows = new Map<string, Item>();
  const written: Item[] = [];
  const keyOf = (table: string | undefined, key: Item) => `${table}|${String(key.pk)}|${String(key.sk)}`;
  ddb.on(PutCommand).callsFake((input: { TableName?: string; Item?: Item; ConditionExpression?: string }) => {
    const item = input.Item ?? {};
    const k = keyOf(input.TableName, item);
    if (input.ConditionExpression && rows.has(k)) throw new ConditionalCheckFailedException({ message: 'the item exists', $metadata: {} });
    rows.set(k, item);
    written.push(item);
    return {};
  });
  ddb.on(GetCommand).callsFake((input: { TableName?: string; Key?: Item }) => ({ Item: rows.get(keyOf(input.TableName, input.Key ?? {})) }));
  ddb.on(QueryCommand).callsFake((input: { TableName?: string; IndexName?: string; ExpressionAttributeValues?: Item }) => {
    if (input.IndexName) return { Items: [] };
    const pk = String(input.ExpressionAttributeValues?.[':pk']);
    const Items = [...rows.entries()].filter(([k]) => k.startsWith(`${input.TableName}|${pk}|`)).map(([, v]) => v);
    return { Items: Items.sort((a, b) => String(a.sk).localeCompare(String(b.sk))) };
  });
  ddb.on(UpdateCommand).resolves({});
  // A transaction's puts (a tokened root and its waiters) apply all or none; its other writes change nothing.
  ddb.on(TransactWriteCommand).callsFake((input: { TransactItems?: Array<{ Put?: { TableName?: string; Item?: Item; ConditionExpression?: string } }> }) => {
    const puts = (input.TransactItems ?? []).flatMap((t) => (t.Put ? [t.Put] : []));
    if (puts.some((p) => p.ConditionExpression && rows.has(keyOf(p.TableName, p.Item ?? {})))) {
      throw new TransactionCanceledException({ message: 'a condition failed', $metadata: {}, CancellationReasons: (input.TransactItems ?? []).map(() => ({ Code: 'ConditionalCheckFailed' })) });
    }
    for (const p of puts) {
      rows.set(keyOf(p.TableName, p.Item ?? {}), p.Item ?? {});
      written.push(p.Item ?? {});
    }
    return {};
  });
  ddb.on(BatchGetCommand).resolves({ Responses: {} });
  return { written };
}
