/**
 * Scale shape: a pipeline of 200 tasks and a parent of 5,000 children work, and no item approaches 400 KB.
 */
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../functions/local/client-config';
import { api } from '../helpers/api';
import { startStackProcess, type StackProcess } from '../helpers/local-stack';

let stack: StackProcess;
let client: ReturnType<typeof api>;
let ddb: DynamoDBClient;

beforeAll(async () => {
  stack = await startStackProcess();
  client = api(stack.url);
  const health = await client.call('GET', '/health');
  ddb = new DynamoDBClient(localClientConfig(health.body.local.endpoints.dynamodb));
});
afterAll(async () => stack?.stop());

/** DynamoDB's item size: attribute names plus values (a close upper bound for our attribute types). */
function itemBytes(item: Record<string, AttributeValue>): number {
  return Buffer.byteLength(JSON.stringify(item), 'utf8');
}

async function largestItem(): Promise<{ bytes: number; sk: string; count: number }> {
  let largest = { bytes: 0, sk: '', count: 0 };
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await ddb.send(new ScanCommand({ TableName: 'jobx-jobs', ExclusiveStartKey: start }));
    for (const item of out.Items ?? []) {
      largest.count++;
      const bytes = itemBytes(item);
      if (bytes > largest.bytes) largest = { ...largest, bytes, sk: `${item.pk?.S}/${item.sk?.S}` };
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return largest;
}

describe('scale shape', () => {
  it('runs a pipeline of 200 tasks in order to the end', async () => {
    const tasks = Array.from({ length: 200 }, (_, i) => ({ name: `step_${i + 1}`, provider: 'demo', input: { [`k${i + 1}`]: i + 1 } }));
    const created = await client.submit({ name: 'long', owner: 'scale', tasks });
    expect(created.status).toBe(201);
    const result = await client.waitResult(created.body.jobId, 240_000);
    expect(result.body.status).toBe('succeeded');
    expect(Object.keys(result.body.output)).toHaveLength(200);
    const last = await client.task(created.body.jobId, 't200');
    expect(Object.keys(last.body.attempts[0].context)).toHaveLength(199);
  }, 300_000);

  it('runs a parent of 5,000 children and keeps every item far below 400 KB', async () => {
    const children = Array.from({ length: 5000 }, (_, i) => ({ name: `c${i + 1}`, owner: 'scale', tasks: [{ name: 't', provider: 'demo', input: { i: i + 1 } }] }));
    const created = await client.submit({ name: 'wide', owner: 'scale', children });
    expect(created.status).toBe(201);
    expect(created.body.children).toHaveLength(5000);
    const result = await client.waitResult(created.body.jobId, 420_000);
    expect(result.body.status).toBe('succeeded');
    expect(Object.keys(result.body.output)).toHaveLength(5000);
    expect(result.body.output.c4321).toEqual({ i: 4321 });
    const largest = await largestItem();
    // 5,000 child records + 5,000 task records + 50 buckets + the roots of both tests
    expect(largest.count).toBeGreaterThan(10_050);
    expect(largest.bytes, `largest item ${largest.sk}`).toBeLessThan(40 * 1024);
  }, 480_000);
});
