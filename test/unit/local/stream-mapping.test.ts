import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as SdkStreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../functions/local/client-config';
import { startDynamoDbLocal, type DynamoDbLocalHandle } from '../../../functions/local/dynamodb-local';
import {
  createMemoryCheckpointStore,
  createTableCheckpointStore,
  ensureCheckpointTable,
  startStreamMapping,
  toLambdaStreamRecord,
  type StreamMapping,
  type StreamMappingOptions,
} from '../../../functions/local/stream-mapping';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const keyOf = (r: DynamoDBRecord): string => r.dynamodb?.Keys?.pk?.S ?? '?';
const seqOf = (r: DynamoDBRecord): string => r.dynamodb?.SequenceNumber ?? '?';

describe('startStreamMapping against DynamoDB Local', () => {
  let db: DynamoDbLocalHandle;
  let ddb: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  let streams: DynamoDBStreamsClient;
  const mappings: StreamMapping[] = [];
  let tableCounter = 0;

  beforeAll(async () => {
    db = await startDynamoDbLocal({});
    ddb = new DynamoDBClient(localClientConfig(db.endpoint));
    doc = DynamoDBDocumentClient.from(ddb);
    streams = new DynamoDBStreamsClient(localClientConfig(db.endpoint));
  });

  afterEach(async () => {
    await Promise.all(mappings.splice(0).map((m) => m.stop()));
  });

  afterAll(async () => {
    streams?.destroy();
    ddb?.destroy();
    await db?.stop();
  });

  async function createStreamTable(): Promise<{ table: string; streamArn: string }> {
    const table = `stream-test-${++tableCounter}`;
    const res = await ddb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    const streamArn = res.TableDescription?.LatestStreamArn;
    if (!streamArn) throw new Error('no stream');
    return { table, streamArn };
  }

  const put = (table: string, pk: string, extra: Record<string, { N: string } | { S: string } | { B: Uint8Array }> = {}) =>
    ddb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, ...extra } }));

  function start(streamArn: string, handler: StreamMappingOptions['handler'], extra: Partial<StreamMappingOptions> = {}): StreamMapping {
    const mapping = startStreamMapping({
      streamsClient: streams,
      streamArn,
      functionName: 'stream-fn',
      handler,
      checkpoints: createMemoryCheckpointStore(),
      pollIntervalMs: 20,
      ...extra,
    });
    mappings.push(mapping);
    return mapping;
  }

  it('delivers Lambda-shaped records in order, at most batchSize per invocation', async () => {
    const { table, streamArn } = await createStreamTable();
    const checkpoints = createMemoryCheckpointStore();
    const events: DynamoDBStreamEvent[] = [];
    let invokes = 0;
    let remainingOk = true;
    const mapping = start(
      streamArn,
      async (event, context) => {
        events.push(event);
        remainingOk &&= context.functionName === 'stream-fn' && context.getRemainingTimeInMillis() > 0;
      },
      { batchSize: 7, checkpoints, onInvoke: () => invokes++ },
    );
    // Interleaved versions of five keys, a binary attribute, and a delete.
    for (let v = 1; v <= 4; v++) {
      for (let k = 0; k < 5; k++) await put(table, `k${k}`, { v: { N: String(v) }, bin: { B: new Uint8Array([k, v]) } });
    }
    await ddb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'k0' } } }));
    await waitFor(() => events.flatMap((e) => e.Records).length >= 21 && mapping.idle(), '21 records');

    const records = events.flatMap((e) => e.Records);
    expect(records).toHaveLength(21);
    expect(Math.max(...events.map((e) => e.Records.length))).toBeLessThanOrEqual(7);
    expect(invokes).toBe(events.length);
    expect(remainingOk).toBe(true);
    // One shard: sequence numbers strictly increase across the whole delivery.
    const seqs = records.map((r) => BigInt(seqOf(r)));
    expect(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] ?? 0n))).toBe(true);
    for (let k = 0; k < 5; k++) {
      const versions = records.filter((r) => keyOf(r) === `k${k}` && r.eventName !== 'REMOVE').map((r) => r.dynamodb?.NewImage?.v?.N);
      expect(versions).toEqual(['1', '2', '3', '4']);
    }

    const insert = records[0];
    expect(insert).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventSourceARN: streamArn,
      dynamodb: {
        Keys: { pk: { S: 'k0' } },
        NewImage: { pk: { S: 'k0' }, v: { N: '1' }, bin: { B: Buffer.from([0, 1]).toString('base64') } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(insert?.eventID).toBeTruthy();
    expect(insert?.awsRegion).toBeTruthy();
    expect(insert?.dynamodb && 'OldImage' in insert.dynamodb).toBe(false);
    const created = insert?.dynamodb?.ApproximateCreationDateTime ?? 0;
    expect(Number.isInteger(created)).toBe(true);
    // DynamoDB Local rounds to the minute.
    expect(Math.abs(created - Date.now() / 1000)).toBeLessThan(120);
    expect(insert?.dynamodb?.SizeBytes).toBeGreaterThan(0);

    const modify = records.find((r) => r.eventName === 'MODIFY');
    expect(modify?.dynamodb?.OldImage?.v?.N).toBe('1');
    expect(modify?.dynamodb?.NewImage?.v?.N).toBe('2');
    const remove = records[20];
    expect(remove?.eventName).toBe('REMOVE');
    expect(remove?.dynamodb?.OldImage?.v?.N).toBe('4');
    expect(remove?.dynamodb?.NewImage).toBeUndefined();

    // The checkpoint is the last delivered record.
    const shard = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const shardId = shard.StreamDescription?.Shards?.[0]?.ShardId ?? '';
    expect(await checkpoints.get(shardId)).toBe(seqOf(remove ?? {}));
  });

  it('redelivers from the first record named in batchItemFailures', async () => {
    const { table, streamArn } = await createStreamTable();
    for (let i = 0; i < 10; i++) await put(table, `k${i}`);
    const invocations: string[][] = [];
    const mapping = start(streamArn, async (event): Promise<DynamoDBBatchResponse> => {
      invocations.push(event.Records.map(keyOf));
      if (invocations.length === 1) {
        // Report two failures; delivery resumes at the earlier one.
        return { batchItemFailures: [{ itemIdentifier: seqOf(event.Records[6] ?? {}) }, { itemIdentifier: seqOf(event.Records[4] ?? {}) }] };
      }
      return { batchItemFailures: [] };
    });
    await waitFor(() => invocations.length >= 2 && mapping.idle(), 'redelivery');
    expect(invocations).toEqual([
      ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'],
      ['k4', 'k5', 'k6', 'k7', 'k8', 'k9'],
    ]);
  });

  it('skips a record the handler keeps reporting, after maxRetries', async () => {
    const { table, streamArn } = await createStreamTable();
    for (const k of ['a', 'bad', 'c']) await put(table, k);
    const delivered: string[] = [];
    const failed: string[] = [];
    const mapping = start(
      streamArn,
      async (event) => {
        const bad = event.Records.find((r) => keyOf(r) === 'bad');
        for (const r of event.Records) {
          if (r === bad) break;
          delivered.push(keyOf(r));
        }
        return { batchItemFailures: bad ? [{ itemIdentifier: seqOf(bad) }] : [] };
      },
      { maxRetries: 2, onFailure: (records) => failed.push(...records.map(keyOf)) },
    );
    await waitFor(() => failed.length === 1 && delivered.includes('c') && mapping.idle(), 'skip');
    expect(failed).toEqual(['bad']);
    expect(delivered).toEqual(['a', 'c']);
  });

  it('retries a throwing batch whole, then isolates and skips only the failing record', async () => {
    const { table, streamArn } = await createStreamTable();
    for (const k of ['k0', 'k1', 'poison', 'k3']) await put(table, k);
    const batches: string[][] = [];
    const ok: string[] = [];
    const failed: Array<{ keys: string[]; error: unknown }> = [];
    const mapping = start(
      streamArn,
      async (event) => {
        const keys = event.Records.map(keyOf);
        batches.push(keys);
        if (keys.includes('poison')) throw new Error('poison!');
        ok.push(...keys);
      },
      { maxRetries: 1, onFailure: (records, error) => failed.push({ keys: records.map(keyOf), error }) },
    );
    await waitFor(() => ok.includes('k3') && mapping.idle(), 'all good records', 15_000);
    expect(failed.map((f) => f.keys)).toEqual([['poison']]);
    expect((failed[0]?.error as Error).message).toBe('poison!');
    expect(ok).toEqual(['k0', 'k1', 'k3']);
    // The whole batch is retried first (maxRetries = 1 → 2 attempts) before bisecting.
    expect(batches.slice(0, 2)).toEqual([
      ['k0', 'k1', 'poison', 'k3'],
      ['k0', 'k1', 'poison', 'k3'],
    ]);
  });

  it('duplicateDelivery delivers every record twice', async () => {
    const { table, streamArn } = await createStreamTable();
    const counts = new Map<string, number>();
    let invokes = 0;
    const mapping = start(
      streamArn,
      async (event) => {
        for (const r of event.Records) counts.set(r.eventID ?? '', (counts.get(r.eventID ?? '') ?? 0) + 1);
      },
      { duplicateDelivery: true, onInvoke: () => invokes++ },
    );
    for (let i = 0; i < 5; i++) await put(table, `k${i}`);
    await waitFor(() => counts.size === 5 && [...counts.values()].every((n) => n === 2) && mapping.idle(), 'duplicates', 15_000);
    await sleep(200);
    expect([...counts.values()]).toEqual([2, 2, 2, 2, 2]);
    expect(invokes % 2).toBe(0);
  });

  it('continues from a table checkpoint after a restart without losing records', async () => {
    const { table, streamArn } = await createStreamTable();
    await ensureCheckpointTable(ddb, 'stream-checkpoints');
    await ensureCheckpointTable(ddb, 'stream-checkpoints'); // idempotent
    const checkpoints = createTableCheckpointStore(doc, 'stream-checkpoints', 'stream-fn|');
    const seen: string[] = [];
    const handler = async (event: DynamoDBStreamEvent): Promise<void> => {
      seen.push(...event.Records.map(keyOf));
    };

    const first = start(streamArn, handler, { checkpoints });
    for (let i = 0; i < 5; i++) await put(table, `a${i}`);
    await waitFor(() => seen.length === 5 && first.idle(), 'first run');
    await first.stop();
    expect(first.idle()).toBe(true);

    for (let i = 0; i < 5; i++) await put(table, `b${i}`); // written while nothing consumes
    const second = start(streamArn, handler, { checkpoints });
    await waitFor(() => seen.length >= 10 && second.idle(), 'second run');
    expect(seen).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4']);

    // A different prefix (another function) has its own position and starts from the beginning.
    const other: string[] = [];
    const third = start(streamArn, async (e) => void other.push(...e.Records.map(keyOf)), {
      checkpoints: createTableCheckpointStore(doc, 'stream-checkpoints', 'other-fn|'),
    });
    await waitFor(() => other.length >= 10 && third.idle(), 'other function');
    expect(other).toHaveLength(10);
  });

  it('LATEST without checkpoint skips older records', async () => {
    const { table, streamArn } = await createStreamTable();
    await put(table, 'old');
    const seen: string[] = [];
    const mapping = start(streamArn, async (e) => void seen.push(...e.Records.map(keyOf)), { startingPosition: 'LATEST' });
    await waitFor(() => mapping.idle(), 'idle');
    await put(table, 'new');
    await waitFor(() => seen.length >= 1 && mapping.idle(), 'new record');
    expect(seen).toEqual(['new']);
  });

  it('renews an expired iterator after the checkpoint without loss or duplicates', async () => {
    const { table, streamArn } = await createStreamTable();
    const client = new DynamoDBStreamsClient(localClientConfig(db.endpoint));
    let expireNext = false;
    let expired = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetRecordsCommand' && expireNext) {
          expireNext = false;
          expired++;
          throw new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} });
        }
        return next(args);
      },
      { step: 'initialize', name: 'expireIterator' },
    );
    try {
      const seen: string[] = [];
      const mapping = start(streamArn, async (e) => void seen.push(...e.Records.map(keyOf)), { streamsClient: client });
      for (let i = 0; i < 3; i++) await put(table, `a${i}`);
      await waitFor(() => seen.length === 3 && mapping.idle(), 'first records');
      expireNext = true;
      for (let i = 0; i < 3; i++) await put(table, `b${i}`);
      await waitFor(() => seen.length >= 6 && mapping.idle(), 'records after expiry');
      await sleep(200);
      expect(expired).toBe(1);
      expect(seen).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
    } finally {
      await Promise.all(mappings.splice(0).map((m) => m.stop()));
      client.destroy();
    }
  });

  it('stop() waits for the in-flight invocation', async () => {
    const { table, streamArn } = await createStreamTable();
    let started = false;
    let finished = false;
    const mapping = start(streamArn, async () => {
      started = true;
      await sleep(300);
      finished = true;
    });
    await put(table, 'x');
    await waitFor(() => started, 'invocation');
    expect(mapping.idle()).toBe(false);
    await mapping.stop();
    expect(finished).toBe(true);
    expect(mapping.idle()).toBe(true);
  });

  it('updates produce MODIFY records with both images; empty maps and lists survive', async () => {
    const { table, streamArn } = await createStreamTable();
    const records: DynamoDBRecord[] = [];
    const mapping = start(streamArn, async (e) => void records.push(...e.Records));
    await put(table, 'u', { n: { N: '1' } });
    await ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: 'u' } },
        UpdateExpression: 'SET n = n + :one, l = :l',
        ExpressionAttributeValues: { ':one': { N: '1' }, ':l': { L: [{ S: 'x' }, { M: { y: { BOOL: true } } }] } },
      }),
    );
    // Empty containers: the SDK's stream deserializer turns {M:{}} into {}, which must come back as an empty map.
    await ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'empty' }, em: { M: {} }, el: { L: [] }, nested: { M: { inner: { M: {} } } } },
      }),
    );
    await waitFor(() => records.length >= 3 && mapping.idle(), 'update');
    expect(records[1]?.dynamodb?.OldImage).toEqual({ pk: { S: 'u' }, n: { N: '1' } });
    expect(records[1]?.dynamodb?.NewImage).toEqual({ pk: { S: 'u' }, n: { N: '2' }, l: { L: [{ S: 'x' }, { M: { y: { BOOL: true } } }] } });
    expect(records[2]?.dynamodb?.NewImage).toEqual({
      pk: { S: 'empty' },
      em: { M: {} },
      el: { L: [] },
      nested: { M: { inner: { M: {} } } },
    });
  });
});

/**
 * A scripted stand-in for the Streams API: DynamoDB Local keeps a single shard
 * per stream, so shard lineage (a parent that closes, children that appear
 * later) can only be exercised against a fake.
 */
class FakeStreams {
  readonly shards: Array<{ id: string; parent?: string; records: SdkStreamRecord[]; closed: boolean }> = [];
  private nextSeq = 1;

  addShard(id: string, parent?: string): void {
    this.shards.push({ id, ...(parent !== undefined ? { parent } : {}), records: [], closed: false });
  }

  write(shardId: string, key: string): void {
    const shard = this.shards.find((s) => s.id === shardId);
    if (!shard) throw new Error(`no shard ${shardId}`);
    const seq = String(this.nextSeq++).padStart(21, '0');
    shard.records.push({
      eventID: `e${seq}`,
      eventName: 'INSERT',
      dynamodb: { Keys: { pk: { S: key } }, SequenceNumber: seq, StreamViewType: 'KEYS_ONLY', SizeBytes: 10 },
    });
  }

  close(shardId: string): void {
    const shard = this.shards.find((s) => s.id === shardId);
    if (shard) shard.closed = true;
  }

  async send(command: unknown): Promise<unknown> {
    if (command instanceof DescribeStreamCommand) {
      return {
        StreamDescription: {
          Shards: this.shards.map((s) => ({ ShardId: s.id, ...(s.parent !== undefined ? { ParentShardId: s.parent } : {}) })),
        },
      };
    }
    if (command instanceof GetShardIteratorCommand) {
      const { ShardId, ShardIteratorType, SequenceNumber } = command.input;
      const shard = this.shards.find((s) => s.id === ShardId);
      if (!shard) throw new Error('no shard');
      let index = 0;
      if (ShardIteratorType === 'AFTER_SEQUENCE_NUMBER') index = shard.records.findIndex((r) => r.dynamodb?.SequenceNumber === SequenceNumber) + 1;
      if (ShardIteratorType === 'LATEST') index = shard.records.length;
      return { ShardIterator: `${shard.id}@${index}` };
    }
    if (command instanceof GetRecordsCommand) {
      const [id, at] = (command.input.ShardIterator ?? '').split('@');
      const shard = this.shards.find((s) => s.id === id);
      if (!shard) throw new Error('no shard');
      const index = Number(at);
      const records = shard.records.slice(index, index + (command.input.Limit ?? 1000));
      const next = index + records.length;
      const exhausted = shard.closed && next >= shard.records.length;
      return { Records: records, ...(exhausted ? {} : { NextShardIterator: `${shard.id}@${next}` }) };
    }
    throw new Error('unexpected command');
  }
}

describe('startStreamMapping shard lineage (fake Streams API)', () => {
  it('reads a child shard only after its parent is closed and drained, and discovers new shards', async () => {
    const fake = new FakeStreams();
    fake.addShard('parent');
    fake.write('parent', 'p1');
    fake.write('parent', 'p2');
    const seen: string[] = [];
    let parentHold = true;
    const mapping = startStreamMapping({
      streamsClient: fake as unknown as DynamoDBStreamsClient,
      streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x',
      functionName: 'lineage',
      checkpoints: createMemoryCheckpointStore(),
      pollIntervalMs: 10,
      handler: async (event) => {
        for (const r of event.Records) {
          seen.push(keyOf(r));
          // Hold the parent's second record for a while so the child is discovered meanwhile.
          if (keyOf(r) === 'p2' && parentHold) {
            parentHold = false;
            await sleep(1_500);
          }
        }
      },
    });
    try {
      await waitFor(() => seen.includes('p2'), 'parent records');
      // The stream splits: the parent closes after one more record, a child appears with its own records.
      fake.write('parent', 'p3');
      fake.close('parent');
      fake.addShard('child', 'parent');
      fake.write('child', 'c1');
      fake.write('child', 'c2');
      await waitFor(() => seen.length >= 5 && mapping.idle(), 'child records', 5_000);
      expect(seen).toEqual(['p1', 'p2', 'p3', 'c1', 'c2']);

      // A grandchild appearing later is found by periodic discovery.
      fake.close('child');
      fake.addShard('grandchild', 'child');
      fake.write('grandchild', 'g1');
      await waitFor(() => seen.includes('g1') && mapping.idle(), 'grandchild', 5_000);
      expect(seen).toEqual(['p1', 'p2', 'p3', 'c1', 'c2', 'g1']);
    } finally {
      await mapping.stop();
    }
  });

  it('converts binary sets and user identity like Lambda', () => {
    const record = toLambdaStreamRecord(
      {
        eventID: 'id',
        eventName: 'REMOVE',
        awsRegion: 'ddblocal',
        userIdentity: { PrincipalId: 'dynamodb.amazonaws.com', Type: 'Service' },
        dynamodb: {
          ApproximateCreationDateTime: new Date('2024-01-02T03:04:05.678Z'),
          Keys: { pk: { S: 'k' } },
          OldImage: { pk: { S: 'k' }, bs: { BS: [new Uint8Array([1]), new Uint8Array([2, 3])] }, nul: { NULL: true }, ns: { NS: ['1', '2'] } },
          SequenceNumber: '000000000000000000001',
          SizeBytes: 12,
          StreamViewType: 'OLD_IMAGE',
        },
      },
      'arn:stream',
    );
    expect(record).toEqual({
      eventID: 'id',
      eventName: 'REMOVE',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      eventSourceARN: 'arn:stream',
      awsRegion: 'ddblocal',
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      dynamodb: {
        ApproximateCreationDateTime: 1704164645,
        Keys: { pk: { S: 'k' } },
        OldImage: { pk: { S: 'k' }, bs: { BS: ['AQ==', 'AgM='] }, nul: { NULL: true }, ns: { NS: ['1', '2'] } },
        SequenceNumber: '000000000000000000001',
        SizeBytes: 12,
        StreamViewType: 'OLD_IMAGE',
      },
    });
  });
});
