/**
 * Input limits through the local stack's HTTP API (gateway, handler, DynamoDB Local, SQS): inputs that once gave
 * a 500 get a 400 (or 404), a forged list cursor gets a 400, and a payload right at every limit is stored, sent
 * through SQS and run to success.
 */
import { describe, expect, it } from 'vitest';
import { useStack } from '../helpers/local-stack';
import { listShardOf } from '../../functions/adapters/dynamodb/keys';

const { client, stack } = useStack();

/** A request with a raw body and a raw path, both sent byte for byte. */
async function raw(method: string, path: string, body?: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${stack().url}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body });
  const text = await res.text();
  return { status: res.status, ...(text ? { code: (JSON.parse(text) as { error?: { code: string } }).error?.code } : {}) };
}

const rawJob = (input: string) => `{"name":"limits","owner":"limits","input":${input},"tasks":[{"name":"a","provider":"demo"}]}`;
const nest = (levels: number, leaf: unknown) => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { n: v };
  return v;
};

describe('input limits over HTTP', () => {
  it('refuses what DynamoDB could not store, and ids no key could hold, with 4xx', async () => {
    const refused = await Promise.all([
      raw('POST', '/jobs', rawJob('{"big": 9007199254740993}')),
      raw('POST', '/jobs', rawJob('{"tiny": 1e-200}')),
      raw('POST', '/jobs', rawJob('{"": 1}')),
      raw('POST', '/jobs', rawJob('{"constructor": 1}')),
      raw('POST', '/jobs', rawJob('{"a": {"__proto__": 1}}')),
      raw('POST', '/jobs', rawJob(JSON.stringify(nest(29, 1)))),
      raw('POST', '/jobs', '{"name":"limits","owner":"limits","preLock":"edge@1","tasks":[{"name":"a","provider":"demo"}]}'),
      raw('GET', '/jobs/%E0%A4%A'),
      raw('POST', `/workers/${'w'.repeat(10_000)}/claim`),
    ]);
    expect(refused).toEqual([...Array(9).keys()].map(() => ({ status: 400, code: 'VALIDATION_FAILED' })));
    expect(await raw('GET', `/jobs/${'A'.repeat(10_000)}`)).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(await raw('GET', `/tokens/${'t'.repeat(10_000)}`)).toEqual({ status: 404, code: 'NOT_FOUND' });
  });

  it('a forged list cursor is a 400; the cursor the API returned still works', async () => {
    for (let i = 0; i < 2; i++) expect((await client.submit({ name: `lim${i}`, owner: 'limits', tasks: [{ name: 'a', provider: 'demo' }] })).status).toBe(201);
    const first = await client.call('GET', '/jobs?limit=1');
    expect(first.status).toBe(200);
    const cursor = String(first.body.cursor);
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { month: string; shards: string[] };
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    // The list key of the root returned, and its shard (`done` in the cursor when that shard held no other root).
    const [listed] = first.body.items as Array<{ jobId: string; createdAt: string }>;
    const key = `${listed!.createdAt}#${listed!.jobId}`;
    const own = listShardOf(listed!.jobId);
    const at = (shard: number, value: unknown) => decoded.shards.map((s, i) => (i === shard ? value : s));
    for (const forged of [
      'garbage',
      // The root's key in another shard, a position that is not a string, a month that does not exist, the shape
      // of the unsharded list (before issue 12).
      forge({ month: decoded.month, shards: at((own + 1) % decoded.shards.length, key) }),
      forge({ month: decoded.month, shards: at(own, 42) }),
      forge({ month: '1999-13', shards: decoded.shards }),
      forge({ month: decoded.month, key: { pk: `J#${listed!.jobId}`, sk: 'J', listPk: `ALL#${decoded.month}`, listSk: key } }),
    ]) {
      expect(await raw('GET', `/jobs?limit=1&cursor=${encodeURIComponent(forged)}`)).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    }
    expect((await client.call('GET', `/jobs?limit=1&cursor=${encodeURIComponent(cursor)}`)).status).toBe(200);
  });

  it('a payload right at every limit is stored, sent through SQS and run to success', async () => {
    const input = {
      deep: nest(15, 'leaf'), // this object is level 1, so 16 levels in all
      max: 9007199254740991,
      min: -9007199254740991,
      tiny: 1e-130,
      toString: 'a key named like an Object method',
      ['k'.repeat(1024)]: 'the longest key',
      text: 'nul \u0000, astral 😀, escape %E0%A4%A',
    };
    const created = await client.submit({ name: 'edges', owner: 'limits', tokens: ['lim:1'], tasks: [{ name: 'a', provider: 'demo', input }] });
    expect(created.status).toBe(201);
    const result = await client.waitResult(created.body.jobId);
    expect(result.body.status).toBe('succeeded');
    expect(result.body.output).toEqual(input);
  });
});
