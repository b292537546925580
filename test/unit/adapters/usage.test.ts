/**
 * The usage counters (`functions/adapters/usage.ts`) as the bench relies on them, on a document client whose
 * HTTP handler answers as DynamoDB does (no network): consumed capacity per partition key, writes refused by
 * their condition or a cancelled transaction still billed, PutEvents entries counted as billed events.
 */
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { HttpResponse } from '@smithy/core/protocols';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attributeValueSize, eventChunksOf, itemSizeBytes, putEventsEntrySize, sqsChunksOf } from '../../../functions/adapters/billing-units';
import { NoopPublisher } from '../../../functions/adapters/eventbridge/event-publisher';
import { countRequest, markStandInTable, resetUsage, snapshotUsage, usagePlugin } from '../../../functions/adapters/usage';

interface Sent {
  target: string;
  body: Record<string, unknown>;
}

/** A client whose every request gets `answer(request)`: `[status, body]`. */
function fakeClient<C extends DynamoDBClient | EventBridgeClient>(make: (config: object) => C, service: 'DynamoDB' | 'EventBridge', answer: (sent: Sent) => [number, object]) {
  const sent: Sent[] = [];
  const client = make({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { headers: Record<string, string>; body: string | Uint8Array }) => {
        const text = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
        const s = { target: request.headers['x-amz-target'] ?? '', body: JSON.parse(text) as Record<string, unknown> };
        sent.push(s);
        const [statusCode, body] = answer(s);
        return { response: new HttpResponse({ statusCode, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from(JSON.stringify(body))]) }) };
      },
    },
  });
  client.middlewareStack.use(usagePlugin(service));
  return { client, sent };
}

const ddbError = (type: string, extra: object) => ({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'refused', ...extra });

let previous: string | undefined;
beforeEach(() => {
  previous = process.env.JOBX_COUNT_CAPACITY;
  process.env.JOBX_COUNT_CAPACITY = '1';
  resetUsage();
});
afterEach(() => {
  if (previous === undefined) delete process.env.JOBX_COUNT_CAPACITY;
  else process.env.JOBX_COUNT_CAPACITY = previous;
});

describe('DynamoDB capacity', () => {
  it('asks for capacity per index and, for writes, the old item when a condition fails', async () => {
    const { client, sent } = fakeClient((c) => new DynamoDBClient(c), 'DynamoDB', () => [200, { ConsumedCapacity: { TableName: 'jobs', CapacityUnits: 1, Table: { CapacityUnits: 1 } } }]);
    const doc = DynamoDBDocumentClient.from(client);
    await doc.send(new UpdateCommand({ TableName: 'jobs', Key: { pk: 'J#1', sk: 'J' }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': 1 } }));
    await doc.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 'jobs', Item: { pk: 'J#1', sk: 'T' } } }, { ConditionCheck: { TableName: 'jobs', Key: { pk: 'J#2', sk: 'J' }, ConditionExpression: 'attribute_exists(pk)' } }] })).catch(() => undefined);
    expect(sent[0]!.body).toMatchObject({ ReturnConsumedCapacity: 'INDEXES', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    expect(sent[1]!.body).toMatchObject({ ReturnConsumedCapacity: 'INDEXES', TransactItems: [{ Put: { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }, { ConditionCheck: { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }] });
  });

  it('a write: all its units in the total, the table units on its partition key, index units on none', async () => {
    const { client } = fakeClient((c) => new DynamoDBClient(c), 'DynamoDB', () => [200, { ConsumedCapacity: { TableName: 'jobs', CapacityUnits: 3, Table: { CapacityUnits: 1 }, GlobalSecondaryIndexes: { active: { CapacityUnits: 1 }, list: { CapacityUnits: 1 } } } }]);
    const doc = DynamoDBDocumentClient.from(client);
    await doc.send(new PutCommand({ TableName: 'jobs', Item: { pk: 'J#1', sk: 'J', activeShard: 'A#1' } }));
    const u = snapshotUsage();
    expect(u.ddbWriteUnits).toBe(3);
    expect(u.ddbWriteUnitsByPartition).toEqual({ 'jobs|J#1': 1 });
    expect(u.ddbFailedWriteUnits).toBe(0);
  });

  it('a transaction: the table units shared by its items in proportion to their size', async () => {
    const { client } = fakeClient((c) => new DynamoDBClient(c), 'DynamoDB', () => [200, { ConsumedCapacity: [{ TableName: 'jobs', CapacityUnits: 8, Table: { CapacityUnits: 8 } }] }]);
    const doc = DynamoDBDocumentClient.from(client);
    // a Put of 2 KB (2 units) and an Update and a Delete (1 unit each, sizes unknown): 8 table units = 2 × (2 + 1 + 1)
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'jobs', Item: { pk: 'J#1', sk: 'T', blob: 'x'.repeat(1500) } } },
          { Update: { TableName: 'jobs', Key: { pk: 'J#2', sk: 'J' }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': 1 } } },
          { Delete: { TableName: 'jobs', Key: { pk: 'J#2', sk: 'X' } } },
        ],
      }),
    );
    const u = snapshotUsage();
    expect(u.ddbWriteUnits).toBe(8);
    expect(u.ddbWriteUnitsByPartition).toEqual({ 'jobs|J#1': 4, 'jobs|J#2': 4 });
  });

  it('a single write refused by its condition bills the larger of the new and the existing item, one unit per KB', async () => {
    const existing = { pk: { S: 'J#1' }, sk: { S: 'J' }, blob: { S: 'y'.repeat(2500) } }; // 3 KB
    const { client } = fakeClient((c) => new DynamoDBClient(c), 'DynamoDB', (s) =>
      s.target.endsWith('DeleteItem') ? [400, ddbError('ConditionalCheckFailedException', {})] : [400, ddbError('ConditionalCheckFailedException', { Item: existing })],
    );
    const doc = DynamoDBDocumentClient.from(client);
    await expect(doc.send(new PutCommand({ TableName: 'jobs', Item: { pk: 'J#1', sk: 'J', blob: 'x'.repeat(4000) }, ConditionExpression: 'attribute_not_exists(pk)' }))).rejects.toThrow();
    expect(snapshotUsage().ddbWriteUnits).toBe(4); // the new item, 4 KB
    await expect(doc.send(new UpdateCommand({ TableName: 'jobs', Key: { pk: 'J#1', sk: 'J' }, UpdateExpression: 'SET a = :a', ConditionExpression: 'a = :b', ExpressionAttributeValues: { ':a': 1, ':b': 2 } }))).rejects.toThrow();
    expect(snapshotUsage().ddbWriteUnits).toBe(7); // the existing item, 3 KB
    // No item at all: one unit.
    await expect(doc.send(new DeleteCommand({ TableName: 'jobs', Key: { pk: 'J#9', sk: 'J' }, ConditionExpression: 'attribute_exists(pk)' }))).rejects.toThrow();
    const u = snapshotUsage();
    expect(u.ddbWriteUnits).toBe(8);
    expect(u.ddbFailedWriteUnits).toBe(8);
    expect(u.ddbWriteUnitsByPartition).toEqual({ 'jobs|J#1': 7, 'jobs|J#9': 1 });
  });

  it('a cancelled transaction bills the prepare write of every item (one unit per KB, sized as a refused write)', async () => {
    const existing = { pk: { S: 'J#2' }, sk: { S: 'J' }, blob: { S: 'y'.repeat(1500) } }; // 2 KB
    const { client } = fakeClient((c) => new DynamoDBClient(c), 'DynamoDB', () => [
      400,
      ddbError('TransactionCanceledException', { CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: existing }, { Code: 'None' }] }),
    ]);
    const doc = DynamoDBDocumentClient.from(client);
    await expect(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: 'jobs', Item: { pk: 'J#1', sk: 'T' } } },
            { Update: { TableName: 'jobs', Key: { pk: 'J#2', sk: 'J' }, UpdateExpression: 'SET a = :a', ConditionExpression: 'a = :a', ExpressionAttributeValues: { ':a': 1 } } },
            { Put: { TableName: 'results', Item: { jobId: 'J1', out: 'z'.repeat(3000) } } },
          ],
        }),
      ),
    ).rejects.toThrow();
    const u = snapshotUsage();
    expect(u.ddbWriteUnits).toBe(1 + 2 + 3);
    expect(u.ddbFailedWriteUnits).toBe(6);
    expect(u.ddbWriteUnitsByPartition).toEqual({ 'jobs|J#1': 1, 'jobs|J#2': 2, 'results|J1': 3 });
  });

  it('a read is billed at least half a unit per key or request (a unit when strongly consistent), found or not', async () => {
    // DynamoDB Local reports 0 for an empty Query and for BatchGetItem's missing keys.
    const { client } = fakeClient((c) => new DynamoDBClient(c), 'DynamoDB', (s) => {
      if (s.target.endsWith('BatchGetItem')) return [200, { Responses: { jobs: [] }, UnprocessedKeys: { jobs: { Keys: [{ pk: { S: 'J#3' }, sk: { S: 'J' } }] } }, ConsumedCapacity: [{ TableName: 'jobs', CapacityUnits: 0 }] }];
      if (s.target.endsWith('GetItem')) return [200, { ConsumedCapacity: { TableName: 'jobs', CapacityUnits: 1 } }];
      return [200, { Items: [], Count: 0, ConsumedCapacity: { TableName: 'jobs', CapacityUnits: 0 } }];
    });
    const doc = DynamoDBDocumentClient.from(client);
    await doc.send(new QueryCommand({ TableName: 'jobs', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'J#1' } }));
    expect(snapshotUsage().ddbReadUnits).toBe(0.5);
    await doc.send(new QueryCommand({ TableName: 'jobs', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'J#1' }, ConsistentRead: true }));
    expect(snapshotUsage().ddbReadUnits).toBe(1.5);
    // Three keys, one left unprocessed: two reads billed.
    await doc.send(new BatchGetCommand({ RequestItems: { jobs: { Keys: [1, 2, 3].map((n) => ({ pk: `J#${n}`, sk: 'J' })) } } }));
    expect(snapshotUsage().ddbReadUnits).toBe(2.5);
    // What the service reports stands when it is more.
    await doc.send(new GetCommand({ TableName: 'jobs', Key: { pk: 'J#1', sk: 'J' } }));
    expect(snapshotUsage().ddbReadUnits).toBe(3.5);
  });

  it('other errors bill nothing', async () => {
    const { client } = fakeClient((c) => new DynamoDBClient(c), 'DynamoDB', () => [400, ddbError('ValidationException', {})]);
    await expect(DynamoDBDocumentClient.from(client).send(new PutCommand({ TableName: 'jobs', Item: { pk: 'J#1', sk: 'J' } }))).rejects.toThrow();
    expect(snapshotUsage()).toMatchObject({ ddbWriteUnits: 0, ddbRequests: 1 });
  });

  it('a stand-in table (the local timers) is never DynamoDB usage', async () => {
    markStandInTable('local-timers');
    const { client } = fakeClient((c) => new DynamoDBClient(c), 'DynamoDB', () => [200, { ConsumedCapacity: { TableName: 'local-timers', CapacityUnits: 1 } }]);
    await DynamoDBDocumentClient.from(client).send(new PutCommand({ TableName: 'local-timers', Item: { name: 't' } }));
    expect(snapshotUsage()).toMatchObject({ ddbWriteUnits: 0, ddbRequests: 0, byOperation: { 'LocalStandIn.PutItem': 1 } });
  });
});

describe('item sizes', () => {
  it('counts names and values as DynamoDB does', () => {
    expect(itemSizeBytes({ pk: { S: 'J#1' } })).toBe(2 + 3);
    expect(attributeValueSize({ N: '123' })).toBe(3); // 2 digits a byte, plus one
    expect(attributeValueSize({ N: '-0.00100' })).toBe(2);
    expect(attributeValueSize({ BOOL: true })).toBe(1);
    expect(attributeValueSize({ L: [{ S: 'ab' }, { NULL: true }] })).toBe(3 + (1 + 2) + (1 + 1));
    expect(attributeValueSize({ M: { k: { S: 'ab' } } })).toBe(3 + 1 + 1 + 2);
    expect(attributeValueSize({ SS: ['é', 'a'] })).toBe(3);
  });
});

describe('EventBridge events', () => {
  it('one event per PutEvents entry and 64 KB chunk of it', async () => {
    expect(putEventsEntrySize({ Source: 'jobx', DetailType: 'jobx.job.succeeded', Detail: '{}' })).toBe(4 + 18 + 2);
    expect(eventChunksOf({ Source: 'jobx', Detail: 'x'.repeat(64 * 1024) })).toBe(2);
    const { client } = fakeClient((c) => new EventBridgeClient(c), 'EventBridge', () => [200, { FailedEntryCount: 0, Entries: [] }]);
    await client.send(new PutEventsCommand({ Entries: [{ Source: 'jobx', DetailType: 'a', Detail: '{}' }, { Source: 'jobx', DetailType: 'b', Detail: JSON.stringify({ x: 'y'.repeat(70_000) }) }] }));
    expect(snapshotUsage()).toMatchObject({ eventBridgeRequests: 1, eventBridgeEvents: 3 });
  });

  it('the local publisher counts what the bus would bill, and publishes nothing', async () => {
    await new NoopPublisher().publish([
      { type: 'jobx.job.succeeded', detail: { jobId: 'j' } },
      { type: 'jobx.task.failed', detail: { jobId: 'j' } },
    ]);
    expect(snapshotUsage()).toMatchObject({ eventBridgeRequests: 0, eventBridgeEvents: 2 });
  });
});

describe('SQS sends', () => {
  it('one billed request per 64 KiB chunk of bodies: a batch of small messages is one, a large message more', () => {
    expect(sqsChunksOf('SendMessageBatchCommand', { Entries: Array.from({ length: 10 }, () => ({ MessageBody: 'x'.repeat(2_000) })) })).toBe(1);
    expect(sqsChunksOf('SendMessageBatchCommand', { Entries: Array.from({ length: 10 }, () => ({ MessageBody: 'x'.repeat(10_000) })) })).toBe(2);
    expect(sqsChunksOf('SendMessageCommand', { MessageBody: 'x'.repeat(70_000) })).toBe(2);
    expect(sqsChunksOf('DeleteMessageBatchCommand', {})).toBe(1);
  });
});

describe('SQS requests of the local mappings', () => {
  it('an empty long poll is counted apart from the billed-per-task requests', () => {
    countRequest('SQS', 'ReceiveMessage');
    countRequest('SQS', 'ReceiveMessage', { empty: true });
    countRequest('SQS', 'DeleteMessageBatch');
    expect(snapshotUsage()).toMatchObject({ sqsRequests: 2, sqsEmptyReceives: 1, byOperation: { 'SQS.ReceiveMessage': 1, 'SQS.ReceiveMessage.empty': 1, 'SQS.DeleteMessageBatch': 1 } });
  });
});
