/**
 * Retry delays over 900 s go through the scheduler adapter (locally: durable timers in DynamoDB Local) and survive
 * a restart; Ctrl-C stops the whole local stack, DynamoDB Local included.
 */
import { DynamoDBClient, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../functions/local/client-config';
import { api } from '../helpers/api';
import { startStackProcess, tempDataDir, type StackProcess } from '../helpers/local-stack';

const stacks: StackProcess[] = [];
afterAll(async () => {
  for (const s of stacks) await s.kill().catch(() => undefined);
});

async function timers(endpoint: string) {
  const ddb = new DynamoDBClient(localClientConfig(endpoint));
  const out = await ddb.send(new ScanCommand({ TableName: 'jobx-local-timers' }));
  return { ddb, items: out.Items ?? [] };
}

describe('long retry delays', () => {
  it('a retry due in 1,000 s waits in a durable timer that survives a SIGKILL and fires after the restart', async () => {
    const dataDir = tempDataDir();
    const first = await startStackProcess({ dataDir });
    stacks.push(first);
    const c1 = api(first.url);
    const created = await c1.submit({ name: 'patient', owner: 't', tasks: [{ name: 'f', provider: 'flaky', input: { failTimes: 1 }, retry: { gapSeconds: 1000 } }] });
    const jobId = created.body.jobId;
    const endpoint1 = (await c1.call('GET', '/health')).body.local.endpoints.dynamodb;
    let rows: Awaited<ReturnType<typeof timers>>['items'] = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      rows = (await timers(endpoint1)).items;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows).toHaveLength(1);
    const task = (await c1.task(jobId, 't1')).body;
    expect(task.status).toBe('retrying');
    const at = Number(rows[0]!.at!.N);
    const dueIn = at - Date.now();
    expect(dueIn).toBeGreaterThan(990_000);
    expect(dueIn).toBeLessThanOrEqual(1_000_000);
    expect(JSON.parse(rows[0]!.message!.S!)).toMatchObject({ jobId, taskIndex: 0, attempt: 2 });

    await first.kill();
    const second = await startStackProcess({ dataDir });
    stacks.push(second);
    const c2 = api(second.url);
    const endpoint2 = (await c2.call('GET', '/health')).body.local.endpoints.dynamodb;
    const after = await timers(endpoint2);
    expect(after.items.map((r) => r.name!.S)).toEqual(rows.map((r) => r.name!.S));
    // Bring the timer forward instead of waiting 1,000 s: the timer loop delivers it and attempt 2 runs.
    await after.ddb.send(new UpdateItemCommand({ TableName: 'jobx-local-timers', Key: { name: rows[0]!.name! }, UpdateExpression: 'SET #at = :now', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':now': { N: String(Date.now()) } } }));
    const result = await c2.waitResult(jobId, 30_000);
    expect(result.body.status).toBe('succeeded');
    const done = (await c2.task(jobId, 't1')).body;
    expect(done.attempts.map((a: { status: string }) => a.status)).toEqual(['failed', 'succeeded']);
    expect((await timers(endpoint2)).items).toHaveLength(0);
    await second.stop();
  }, 120_000);
});

describe('shutdown', () => {
  it('Ctrl-C (SIGINT) stops the local stack and its DynamoDB Local', async () => {
    const stack = await startStackProcess();
    stacks.push(stack);
    const endpoint = (await api(stack.url).call('GET', '/health')).body.local.endpoints.dynamodb;
    stack.child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => stack.child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    await expect(fetch(stack.url + '/health')).rejects.toThrow();
    await expect(fetch(endpoint)).rejects.toThrow();
  }, 60_000);
});
