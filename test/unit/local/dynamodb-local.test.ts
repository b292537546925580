import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../functions/local/client-config';
import { isProcessAlive, startDynamoDbLocal, type DynamoDbLocalHandle } from '../../../functions/local/dynamodb-local';

const FIXTURE = fileURLToPath(new URL('../../fixtures/dynamodb-local-child.ts', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntilGone(pid: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (isProcessAlive(pid)) {
    if (Date.now() - started > timeoutMs) throw new Error(`pid ${pid} still alive after ${timeoutMs} ms`);
    await sleep(50);
  }
  return Date.now() - started;
}

function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('startDynamoDbLocal', () => {
  let db: DynamoDbLocalHandle | undefined;
  let ddb: DynamoDBClient;
  const children: ChildProcess[] = [];
  const childJavaPids: number[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    db = await startDynamoDbLocal({});
    ddb = new DynamoDBClient(localClientConfig(db.endpoint));
  });

  afterAll(async () => {
    ddb?.destroy();
    await db?.stop();
    for (const child of children) killQuietly(child.pid);
    for (const pid of childJavaPids) killQuietly(pid);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('shares tables across regions and credentials (-sharedDb)', async () => {
    const other = new DynamoDBClient({
      endpoint: db?.endpoint,
      region: 'eu-west-3',
      // DynamoDB Local (>= 2.0) rejects access key ids that are not purely alphanumeric.
      credentials: { accessKeyId: 'someoneElse', secretAccessKey: 'x' },
    });
    try {
      await ddb.send(
        new CreateTableCommand({
          TableName: 'shared',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      expect((await other.send(new ListTablesCommand({}))).TableNames).toContain('shared');
    } finally {
      other.destroy();
    }
  });

  // Documents DynamoDB Local's behaviour the benchmarks rely on.
  it('returns ConsumedCapacity, including GSI writes, for PutItem/UpdateItem', async () => {
    await ddb.send(
      new CreateTableCommand({
        TableName: 'capacity',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'g', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
      }),
    );
    const put = await ddb.send(
      new PutItemCommand({ TableName: 'capacity', Item: { pk: { S: 'a' }, g: { S: 'x' } }, ReturnConsumedCapacity: 'TOTAL' }),
    );
    expect(put.ConsumedCapacity).toEqual({ TableName: 'capacity', CapacityUnits: 2 });
    const update = await ddb.send(
      new UpdateItemCommand({
        TableName: 'capacity',
        Key: { pk: { S: 'a' } },
        UpdateExpression: 'SET v = :v',
        ExpressionAttributeValues: { ':v': { N: '1' } },
        ReturnConsumedCapacity: 'INDEXES',
      }),
    );
    expect(update.ConsumedCapacity).toEqual({
      TableName: 'capacity',
      CapacityUnits: 2,
      Table: { CapacityUnits: 1 },
      GlobalSecondaryIndexes: { byG: { CapacityUnits: 1 } },
    });
  });

  // Runs after the tests above that use the shared instance (vitest keeps declaration order).
  it('runs in memory on a free port, and stop() waits for the JVM to exit', async () => {
    if (!db) throw new Error('not started');
    const handle = db;
    const client = new DynamoDBClient({ ...localClientConfig(handle.endpoint), maxAttempts: 1 });
    try {
      expect(handle.endpoint).toBe(`http://127.0.0.1:${handle.port}`);
      await client.send(
        new CreateTableCommand({
          TableName: 'things',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      expect((await client.send(new ListTablesCommand({}))).TableNames).toContain('things');
      expect(isProcessAlive(handle.pid)).toBe(true);
      await handle.stop();
      expect(isProcessAlive(handle.pid)).toBe(false);
      await expect(client.send(new ListTablesCommand({}))).rejects.toThrow();
      await handle.stop(); // idempotent
    } finally {
      client.destroy();
    }
  });

  it('keeps items and stream records in dataDir across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobx-ddb-'));
    dirs.push(dir);
    const dataDir = join(dir, 'nested', 'data'); // created on demand
    let first: DynamoDbLocalHandle | undefined = await startDynamoDbLocal({ dataDir });
    let streamArn: string | undefined;
    try {
      const client = new DynamoDBClient(localClientConfig(first.endpoint));
      const created = await client.send(
        new CreateTableCommand({
          TableName: 'durable',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        }),
      );
      streamArn = created.TableDescription?.LatestStreamArn;
      await client.send(new PutItemCommand({ TableName: 'durable', Item: { pk: { S: 'k1' }, v: { N: '42' } } }));
      client.destroy();
      await first.stop();
      first = undefined;

      const second = await startDynamoDbLocal({ dataDir });
      const again = new DynamoDBClient(localClientConfig(second.endpoint));
      const streams = new DynamoDBStreamsClient(localClientConfig(second.endpoint));
      try {
        const item = await again.send(new GetItemCommand({ TableName: 'durable', Key: { pk: { S: 'k1' } } }));
        expect(item.Item).toEqual({ pk: { S: 'k1' }, v: { N: '42' } });
        const table = await again.send(new DescribeTableCommand({ TableName: 'durable' }));
        expect(table.Table?.LatestStreamArn).toBe(streamArn);
        const described = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
        const shardId = described.StreamDescription?.Shards?.[0]?.ShardId;
        const iterator = await streams.send(
          new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        const records = await streams.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }));
        expect(records.Records?.map((r) => [r.eventName, r.dynamodb?.Keys?.pk?.S])).toEqual([['INSERT', 'k1']]);
      } finally {
        again.destroy();
        streams.destroy();
        await second.stop();
      }
    } finally {
      await first?.stop();
    }
  });

  /** Starts the fixture in a child node process and resolves with its pids once DynamoDB Local is up. */
  function startChild(mode: string): Promise<{ child: ChildProcess; pid: number; javaPid: number }> {
    // `node --import tsx` (not `npx tsx`): one process, so the pid we kill is the one owning the JVM.
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line === undefined) return;
        const info = JSON.parse(line) as { pid: number; javaPid: number };
        childJavaPids.push(info.javaPid);
        resolve({ child, ...info });
      });
      child.once('exit', (code) => reject(new Error(`fixture (${mode}) exited early with ${code}: ${err}`)));
    });
  }

  // Each case boots a JVM in a child process (~3 s on an idle machine), so only the distinct
  // mechanisms are covered: the watchdog (SIGKILL; SIGTERM, like Ctrl-C's SIGINT, kills node
  // without running 'exit' handlers) and the 'exit' hook (uncaught exception; process.exit()
  // and an empty event loop take the same path). Serial: on two cores parallel JVM boots are slower.
  it.each([
    ['SIGKILL of the node process', 'wait', 'SIGKILL'],
    ['SIGTERM of the node process', 'wait', 'SIGTERM'],
    ['an uncaught exception', 'crash', null],
  ] as const)('the JVM does not outlive %s', async (_label, mode, signal) => {
    const { child, pid, javaPid } = await startChild(mode);
    expect(isProcessAlive(javaPid)).toBe(true);
    if (signal !== null) process.kill(pid, signal);
    await waitUntilGone(pid, 10_000);
    expect(child.pid).toBe(pid);
    const took = await waitUntilGone(javaPid, 5_000);
    expect(took).toBeLessThan(5_000);
  });
});
