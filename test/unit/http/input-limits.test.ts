/**
 * Inputs that cannot wedge anything: every request below once answered 500 (or made a job that could never
 * run). Each now gets a 4xx with a stable code from the real API handler, and none of them reaches DynamoDB
 * (every store call is refused in these tests, so a validation that came too late would show as a 500).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../../functions/http/json-limits';
import { MAX_BODY_DEPTH } from '../../../functions/http/schemas';
import { call, ddb, fakeTable, refuseStoreCalls } from './harness';
import { LIST_SHARDS, listShardOf } from '../../../functions/adapters/dynamodb/keys';

const task = (extra: Record<string, unknown> = {}) => ({ name: 'a', provider: 'demo', ...extra });
const job = (extra: Record<string, unknown> = {}) => ({ name: 'j', owner: 'o', tasks: [task()], ...extra });
/** A job whose `input` is the given raw JSON text (for keys like `__proto__` that an object literal cannot hold). */
const rawJob = (inputJson: string) => `{"name":"j","owner":"o","input":${inputJson},"tasks":[{"name":"a","provider":"demo"}]}`;
const nest = (levels: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};
const TOKEN = 'x'.repeat(40);
const LONG = 'A'.repeat(10_000);

async function expectRefused(method: string, target: string, body: unknown, status: number, code: string, headers: Record<string, string> = {}) {
  const res = await call(method, target, body, headers);
  expect({ status: res.status, code: res.body.error?.code }, `${method} ${target.slice(0, 80)}: ${JSON.stringify(res.body).slice(0, 300)}`).toEqual({ status, code });
  expect(ddb.calls(), 'no store call').toHaveLength(0);
  return res;
}

beforeEach(() => refuseStoreCalls());

describe('numbers DynamoDB cannot store exactly', () => {
  it.each([
    ['an integer above 2^53', '{"n": 9007199254740993}'],
    ['a negative integer below -2^53', '{"n": -9007199254740993}'],
    ['1e300', '{"n": 1e300}'],
    ['a number that overflows to Infinity', '{"n": 1e400}'],
    ['1e-200 (below DynamoDB\'s 1E-130)', '{"n": [1, 2, {"m": 1e-200}]}'],
    ['the smallest double', '{"n": 5e-324}'],
  ])('%s in input: 400 VALIDATION_FAILED naming the path', async (_what, input) => {
    const res = await expectRefused('POST', '/jobs', rawJob(input), 400, 'VALIDATION_FAILED');
    expect(res.body.error?.message).toMatch(/^input\.n/);
  });

  it('the same check covers env, task input and env, skip output, retry edits and task-token outputs', async () => {
    const big = { n: 2 ** 60 };
    await expectRefused('POST', '/jobs', job({ env: big }), 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs', job({ tasks: [task({ input: big })] }), 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs', job({ tasks: [task({ env: big })] }), 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs', { name: 'p', owner: 'o', children: [job({ input: big })] }, 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs/01ABC/tasks/t1/skip', { output: big }, 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs/01ABC/tasks/t1/retry', { input: big }, 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs/01ABC/tasks/t1/retry', { env: { x: 1e-131 } }, 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/task-tokens/success', { output: big }, 400, 'VALIDATION_FAILED', { 'x-jobx-task-token': TOKEN });
  });

  it('accepts the edges: ±(2^53-1), ±1e-130, 0, fractions', async () => {
    const { written } = fakeTable();
    const input = { max: 9007199254740991, min: -9007199254740991, tiny: 1e-130, negTiny: -1e-130, zero: 0, frac: 0.1 + 0.2 };
    const res = await call('POST', '/jobs', job({ input }));
    expect(res.status).toBe(201);
    expect(written.find((i) => i.sk === 'J')?.input).toEqual(input);
  });
});

describe('object keys', () => {
  it.each([
    ['an empty key', '{"": 1}'],
    ['__proto__', '{"__proto__": {"polluted": true}}'],
    ['constructor', '{"constructor": 1}'],
    ['prototype', '{"prototype": 1}'],
    ['__proto__ deep inside arrays', '{"a": [{"b": [{"__proto__": 1}]}]}'],
    ['a key over 1024 bytes', `{"${'k'.repeat(1025)}": 1}`],
  ])('%s: 400 VALIDATION_FAILED', async (_what, input) => {
    await expectRefused('POST', '/jobs', rawJob(input), 400, 'VALIDATION_FAILED');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('in env, skip output and task-token output as well', async () => {
    await expectRefused('POST', '/jobs', '{"name":"j","owner":"o","env":{"constructor":"x"},"tasks":[{"name":"a","provider":"demo"}]}', 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs/01ABC/tasks/t1/skip', '{"output":{"__proto__":{}}}', 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/task-tokens/success', '{"output":{"":1}}', 400, 'VALIDATION_FAILED', { 'x-jobx-task-token': TOKEN });
  });
});

describe('strings DynamoDB or SQS would refuse or change', () => {
  it.each([
    ['a lone surrogate', '{"s": "a\\ud800b"}'],
    ['U+FFFF (SQS refuses it)', '{"s": "a\\uffffb"}'],
    ['a lone surrogate in a key', '{"\\udc00": 1}'],
  ])('%s: 400', async (_what, input) => {
    await expectRefused('POST', '/jobs', rawJob(input), 400, 'VALIDATION_FAILED');
  });

  it('names and owners are printable; bizIds fit a key', async () => {
    await expectRefused('POST', '/jobs', job({ name: 'a\u0000b' }), 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs', job({ owner: 'o\nwner' }), 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs', job({ bizId: '\u00e9'.repeat(512 + 1) }), 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs', job({ bizId: '\u4e00'.repeat(400) }), 400, 'VALIDATION_FAILED'); // 1,200 bytes
    await expectRefused('POST', '/jobs', job({ desc: 'x\ufffe' }), 400, 'VALIDATION_FAILED');
  });
});

describe('nesting', () => {
  it(`accepts ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1}`, async () => {
    const res = await expectRefused('POST', '/jobs', job({ input: nest(MAX_JSON_DEPTH + 1) }), 400, 'VALIDATION_FAILED');
    expect(res.body.error?.message).toMatch(/^input(\.a)+: JSON nests deeper than 16 levels/);
    fakeTable();
    expect((await call('POST', '/jobs', job({ input: nest(MAX_JSON_DEPTH) }))).status).toBe(201);
  });

  it('29 levels (once a 500 from DynamoDB) and arrays count too', async () => {
    await expectRefused('POST', '/jobs', job({ input: nest(29) }), 400, 'VALIDATION_FAILED');
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = [deep];
    await expectRefused('POST', '/jobs', job({ input: { a: deep } }), 400, 'VALIDATION_FAILED');
  });

  it('a body nested 200,000 levels deep is refused without overflowing any stack', async () => {
    const res = await expectRefused('POST', '/jobs', `{"name":"j","owner":"o","input":${'['.repeat(200_000)}${']'.repeat(200_000)},"tasks":[]}`, 400, 'VALIDATION_FAILED');
    expect(res.body.error?.message).toContain(String(MAX_BODY_DEPTH));
    let children = '{"name":"c","owner":"o","tasks":[{"name":"a","provider":"demo"}]}';
    for (let i = 0; i < 5_000; i++) children = `{"name":"c","owner":"o","children":[${children}]}`;
    await expectRefused('POST', '/jobs', children, 400, 'VALIDATION_FAILED');
  });
});

describe('paths', () => {
  it.each([
    ['GET', '/jobs/%E0%A4%A'],
    ['GET', '/jobs/%'],
    ['GET', '/jobs/01ABC/tasks/%E0%A4%A'],
    ['GET', '/jobs/%E0%A4%A/result'],
    ['POST', '/jobs/%C0/pause'],
    ['GET', '/tokens/%E0%A4%A'],
    ['POST', '/workers/%E0%A4%A/claim'],
  ])('malformed percent-encoding %s %s: 400 VALIDATION_FAILED', async (method, target) => {
    await expectRefused(method, target, undefined, 400, 'VALIDATION_FAILED');
  });

  // `LONG` is a 10,000-character id: far beyond DynamoDB's 2,048-byte partition key.
  it.each([
    ['GET', '/jobs/LONG'],
    ['GET', '/jobs/LONG/result?wait=0'],
    ['GET', '/jobs/01ABC/tasks/LONG'],
    ['POST', '/jobs/LONG/tasks/t1/skip'],
    ['POST', '/jobs/01ABC/tasks/LONG/retry'],
    ['POST', '/jobs/LONG/pause'],
    ['POST', '/jobs/LONG/resume'],
    ['POST', '/jobs/LONG/discard'],
    ['GET', '/tokens/LONG'],
    ['GET', '/jobs/a%23b'],
    ['GET', '/tokens/a%2Fb'],
  ])('an id no key can hold, %s %s: 404 NOT_FOUND without a read', async (method, path) => {
    const target = path.replace('LONG', LONG);
    const res = await expectRefused(method, target, method === 'POST' && target.endsWith('failure') ? { error: 'x' } : undefined, 404, 'NOT_FOUND');
    expect(JSON.stringify(res.body).length).toBeLessThan(1_000);
  });

  it('task tokens travel in the x-jobx-task-token header, never the path (paths go to the access logs)', async () => {
    await expectRefused('POST', '/task-tokens/heartbeat', undefined, 400, 'VALIDATION_FAILED');
    for (const token of [LONG, 'a+b=', 'not a token']) {
      for (const action of ['heartbeat', 'success', 'failure']) {
        await expectRefused('POST', `/task-tokens/${action}`, action === 'failure' ? { error: 'x' } : undefined, 404, 'NOT_FOUND', { 'x-jobx-task-token': token });
      }
    }
    // The old path form names no route at all.
    expect((await call('POST', `/task-tokens/${TOKEN}/success`, {})).status).toBe(404);
  });

  it('a worker id outside the executor charset: 400', async () => {
    await expectRefused('POST', `/workers/${LONG}/claim`, undefined, 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/workers/edge%401/claim', undefined, 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/workers/edge-1/claim?providers=demo,a%23b', undefined, 400, 'VALIDATION_FAILED');
  });
});

describe('names that become keys and routes', () => {
  it.each(['edge@1', 'a/b', 'X#exec:1', 'a b', '', 'é', 'x'.repeat(129)])('preLock %#: %j can never be claimed: 400', async (preLock) => {
    await expectRefused('POST', '/jobs', job({ preLock }), 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs', job({ tasks: [task({ preLock })] }), 400, 'VALIDATION_FAILED');
  });

  it('provider and token names follow the same rule; a token listed twice is refused', async () => {
    await expectRefused('POST', '/jobs', job({ tasks: [task({ provider: 'demo@edge-1' })] }), 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs', job({ tokens: ['a#b'] }), 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs', job({ tokens: [LONG] }), 400, 'VALIDATION_FAILED');
    await expectRefused('POST', '/jobs', job({ tokens: ['a', 'a'] }), 400, 'VALIDATION_FAILED');
  });

  it('every name a worker id may have is a valid preLock, and such a job is accepted', async () => {
    fakeTable();
    const res = await call('POST', '/jobs', job({ preLock: 'edge-1.eu:A_b', tokens: ['lock:1'] }));
    expect(res.status).toBe(201);
  });
});

describe('sizes', () => {
  const output = { blob: 'x'.repeat(128 * 1024) };
  it('a skip output over 128 KB: 413 PAYLOAD_TOO_LARGE, like a task-token success', async () => {
    const res = await expectRefused('POST', '/jobs/01ABC/tasks/t1/skip', { output }, 413, 'PAYLOAD_TOO_LARGE');
    expect(res.body.error?.details).toMatchObject({ limit: 128 * 1024 });
    await expectRefused('POST', '/task-tokens/success', { output }, 413, 'PAYLOAD_TOO_LARGE', { 'x-jobx-task-token': TOKEN });
  });

  it('retry edits over 128 KB: 413', async () => {
    await expectRefused('POST', '/jobs/01ABC/tasks/t1/retry', { input: output }, 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('list cursors', () => {
  const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  // The shape the unsharded list wrote (before issue 12), and positions of the sharded one.
  const key = { pk: 'J#01JABCDEFGHJKMNPQRSTVWXYZ0', sk: 'J', listPk: 'ALL#2026-11', listSk: '2026-11-25T10:55:42.123Z#01JABCDEFGHJKMNPQRSTVWXYZ0' };
  const sortKey = key.listSk;
  const shard = listShardOf('01JABCDEFGHJKMNPQRSTVWXYZ0');
  const shards = (at: (s: number) => unknown) => [...Array(LIST_SHARDS).keys()].map(at);
  const valid = shards((s) => (s === shard ? sortKey : 'start'));
  it.each([
    ['garbage', 'not a cursor!'],
    ['base64 of garbage', b64('garbage')],
    ['a JSON array', b64([1])],
    ['null', b64(null)],
    ['the old shape: a month alone', b64({ month: '2026-11' })],
    ['the old shape: a month and a key', b64({ month: '2026-11', key })],
    ['a month of the wrong format', b64({ month: '2026-13', shards: valid })],
    ['a month of the wrong type', b64({ month: 202611, shards: valid })],
    ['an extra field', b64({ month: '2026-11', shards: valid, page: 2 })],
    ['shards of the wrong type', b64({ month: '2026-11', shards: sortKey })],
    ['too few shards', b64({ month: '2026-11', shards: valid.slice(1) })],
    ['too many shards', b64({ month: '2026-11', shards: [...valid, 'start'] })],
    ['a position of the wrong type', b64({ month: '2026-11', shards: shards((s) => (s === shard ? key : 'start')) })],
    ['a position that is no key', b64({ month: '2026-11', shards: shards((s) => (s === shard ? 'J#x' : 'start')) })],
    ['every shard done', b64({ month: '2026-11', shards: shards(() => 'done') })],
    ['a key of another month', b64({ month: '2026-10', shards: valid })],
    ['a key of another shard', b64({ month: '2026-11', shards: shards((s) => (s === (shard + 1) % LIST_SHARDS ? sortKey : 'start')) })],
    ['a key of a child job', b64({ month: '2026-11', shards: shards((s) => (s === shard ? `${sortKey}.1` : 'start')) })],
    ['a cursor over 2048 characters', 'A'.repeat(2049)],
  ])('%s: 400 VALIDATION_FAILED', async (_what, cursor) => {
    await expectRefused('GET', `/jobs?cursor=${encodeURIComponent(cursor)}`, undefined, 400, 'VALIDATION_FAILED');
  });
});

describe('the OpenAPI document', () => {
  it('still builds, and documents the limits from the same schemas', async () => {
    const res = await call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body as unknown as { components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> }; paths: Record<string, Record<string, { parameters: Array<{ name: string; schema: { pattern?: string } }> }>> };
    // Every payload object refers to one component, which carries the limits.
    expect(doc.components.schemas.JobSpec!.properties.input).toEqual({ $ref: '#/components/schemas/JsonPayload' });
    const input = doc.components.schemas.JsonPayload as unknown as Record<string, unknown>;
    expect(input['x-jobx-max-depth']).toBe(MAX_JSON_DEPTH);
    expect(input.propertyNames).toMatchObject({ minLength: 1, not: { enum: ['__proto__', 'constructor', 'prototype'] } });
    expect(doc.components.schemas.JobSpec!.properties.preLock).toMatchObject({ pattern: '^[A-Za-z0-9_.:-]{1,128}$' });
    expect(doc.paths['/workers/{workerId}/claim']!.post!.parameters[0]).toMatchObject({ name: 'workerId', schema: { pattern: '^[A-Za-z0-9_.:-]{1,128}$' } });
  });
});
