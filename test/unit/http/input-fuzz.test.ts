/**
 * Properties of the API under adversarial but schema-shaped input (big and tiny numbers, odd keys, deep nesting,
 * long and ill-formed strings, odd names and ids), through the real Lambda handler over a tiny in-memory table:
 * 1. no answer is ever a 5xx;
 * 2. whatever the API accepts is storable: every item it wrote, and the payload nested inside a task record's
 *    attempts, marshals with `@aws-sdk/util-dynamodb`, nests at most 32 levels (DynamoDB's limit, the leaf
 *    counted), has no empty map key, holds only numbers DynamoDB can store and strings SQS accepts.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadObjectSchema } from '../../../functions/http/json-limits';
import { call, fakeTable } from './harness';

/** DynamoDB's nesting limit: 32 levels, the scalar at the bottom counted (checked against DynamoDB Local). */
const DYNAMODB_MAX_LEVELS = 32;

/** Every reason the marshalled item could not be stored by DynamoDB (or sent through SQS) as it is. */
function storableProblems(item: Record<string, unknown>): string[] {
  const problems: string[] = [];
  let marshalled: Record<string, AttributeValue>;
  try {
    marshalled = marshall(item, { removeUndefinedValues: true });
  } catch (err) {
    return [`marshall: ${(err as Error).message}`];
  }
  const levels = (av: AttributeValue, path: string): number => {
    if (av.M) {
      for (const key of Object.keys(av.M)) if (key === '') problems.push(`${path}: empty key`);
      return 1 + Math.max(0, ...Object.entries(av.M).map(([k, v]) => levels(v, `${path}.${k}`)));
    }
    if (av.L) return 1 + Math.max(0, ...av.L.map((v, i) => levels(v, `${path}[${i}]`)));
    if (av.N !== undefined) {
      const n = Math.abs(Number(av.N));
      if (n !== 0 && (n < 1e-130 || n > 9.9999999999999999e125)) problems.push(`${path}: number ${av.N} out of DynamoDB's range`);
    }
    if (av.S !== undefined && /\p{Cs}|[\uFFFE\uFFFF]/u.test(av.S)) problems.push(`${path}: string SQS or UTF-8 cannot carry`);
    return 1;
  };
  for (const [name, av] of Object.entries(marshalled)) {
    const depth = levels(av, name);
    if (depth > DYNAMODB_MAX_LEVELS) problems.push(`${name}: ${depth} levels`);
  }
  return problems;
}

/** A task record as the engine stores it: the payload four levels down (attempts → attempt → result → output). */
const taskRecordWith = (payload: Record<string, unknown>) => ({
  pk: 'J#01ABC',
  sk: 'T#0000',
  t: 'task',
  attempts: [{ attempt: 1, input: payload, env: payload, context: payload, result: { output: payload } }],
  skipOutput: payload,
});

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries: schema-shaped values with the adversarial cases mixed in
// ---------------------------------------------------------------------------------------------------------------

/**
 * The arbitraries, with adversarial values mixed in at `oddWeight` against 12 for valid ones (0: none, for
 * submissions that are accepted and so exercise the storability check). Valid values include the edges.
 */
function arbitraries(oddWeight: number) {
  const mostly = <T, U>(valid: fc.Arbitrary<T>, odd: fc.Arbitrary<U>): fc.Arbitrary<T | U> =>
    oddWeight === 0 ? valid : fc.oneof({ weight: 12, arbitrary: valid }, { weight: oddWeight, arbitrary: odd });

  const edgeNumber = fc.constantFrom(2 ** 53 - 1, -(2 ** 53) + 1, 1e-130, -1e-130, 0, -0, 0.1 + 0.2, 9.99e15);
  const oddNumber = fc.constantFrom(2 ** 53, -(2 ** 53) - 2, 2 ** 60, 1e300, 9.99e125, 1e126, 1e-131, 5e-324, -1e-200);
  const number = mostly(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }).map((x) => Math.round(x * 1e6) / 1e6), edgeNumber), oddNumber);
  const oddString = fc.constantFrom('a\ud800', '\udc00b', '\uffff', '\ufffe');
  const string = mostly(fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('', 'x'.repeat(3_000), 'é😀', '\u0000\u001f', '%E0%A4%A')), oddString);
  const oddKey = fc.constantFrom('', '__proto__', 'constructor', 'prototype', 'k'.repeat(1_100), '\ud800');
  const key = mostly(fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom('toString', 'hasOwnProperty', 'valueOf', 'a.b', '#', ':', 'ключ', 'k'.repeat(1_000))), oddKey);

  const { json } = fc.letrec<{ json: unknown }>((tie) => ({
    json: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      number,
      string,
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('json'), { maxLength: 4 }),
      // Object.fromEntries makes `__proto__` an own key, as JSON.parse does.
      fc.array(fc.tuple(key, tie('json')), { maxLength: 4 }).map((entries) => Object.fromEntries(entries)),
    ),
  }));

  /** A payload object; `deep` nests on top of it: up to the 16-level limit, or (odd) well beyond it. */
  const payload = fc
    .tuple(fc.array(fc.tuple(key, json), { maxLength: 4 }), mostly(fc.nat({ max: 15 }), fc.integer({ min: 16, max: 40 })), fc.boolean())
    .map(([entries, levels, arrays]) => ({ ...Object.fromEntries(entries), ...(levels > 0 ? { deep: deepen(1, levels, arrays) } : {}) }));

  const oddName = fc.constantFrom('a\u0000b', 'x'.repeat(300), '', 'edge@1', 'a/b', 'é', '\u4e00'.repeat(400), ' ');
  const name = mostly(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,20}$/), oddName);
  const taskSpec = fc.record(
    {
      name: fc.constantFrom('a', 'b', 'c'),
      provider: mostly(fc.constant('demo'), fc.constantFrom('demo@edge', 'nope', '')),
      input: payload,
      env: payload,
      preLock: name,
      timeoutSeconds: mostly(fc.integer({ min: 1, max: 600 }), fc.constantFrom(0, 2 ** 53, 1e300)),
    },
    { requiredKeys: ['name', 'provider'] },
  );
  const jobSpec = fc.record(
    {
      name,
      owner: name,
      bizId: name,
      desc: string,
      input: payload,
      env: payload,
      tokens: fc.uniqueArray(name, { maxLength: 3 }),
      preLock: name,
      tasks: fc.uniqueArray(taskSpec, { minLength: 1, maxLength: 3, selector: (t) => t.name }),
    },
    { requiredKeys: ['name', 'owner', 'tasks'] },
  );
  return { string, payload, jobSpec };
}

/** Wraps a value in `levels` objects or arrays: deep nesting on top of whatever `json` made. */
function deepen(value: unknown, levels: number, arrays: boolean): unknown {
  let v = value;
  for (let i = 0; i < levels; i++) v = arrays && i % 2 ? [v] : { d: v };
  return v;
}

const clean = arbitraries(0);
const hostile = arbitraries(1);
const jobSpec = fc.oneof(clean.jobSpec, hostile.jobSpec, arbitraries(4).jobSpec);
const payload = fc.oneof(clean.payload, hostile.payload);
const string = hostile.string;

/** A path segment as a client may send it: anything, percent-encoded or raw (malformed escapes included). */
const pathSegment = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent), fc.constantFrom('%E0%A4%A', '%', '%zz', 'A'.repeat(5_000), 't1', '01ABC.1'), fc.stringMatching(/^[A-Za-z0-9%._~-]{1,30}$/));

// ---------------------------------------------------------------------------------------------------------------

describe('adversarial input', () => {
  it('submissions: never a 5xx; what is accepted is storable', async () => {
    await fc.assert(
      fc.asyncProperty(jobSpec, async (spec) => {
        const { written } = fakeTable();
        const res = await call('POST', '/jobs', spec);
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBeLessThan(500);
        if (res.status === 201) {
          expect(written.length).toBeGreaterThan(0);
          for (const item of written) expect(storableProblems(item)).toEqual([]);
          const job = written.find((i) => i.sk === 'J')!;
          for (const task of (job.tasks as Array<{ input?: Record<string, unknown> }> | undefined) ?? []) {
            expect(storableProblems(taskRecordWith({ ...(job.input as object), ...task.input }))).toEqual([]);
          }
        } else {
          expect([400, 413]).toContain(res.status);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('payloads: whatever the validation layer accepts is storable four levels down in a task record', () => {
    fc.assert(
      fc.property(payload, (value) => {
        const parsed = payloadObjectSchema.safeParse(value);
        if (parsed.success) expect(storableProblems(taskRecordWith(parsed.data))).toEqual([]);
      }),
      { numRuns: 1_000 },
    );
  });

  it('skip, retry and task-token bodies: never a 5xx', async () => {
    const action = fc.constantFrom('/jobs/01ABC/tasks/t1/skip', '/jobs/01ABC/tasks/t1/retry', '/task-tokens/success', '/task-tokens/failure', '/jobs/01ABC/discard');
    const body = fc.record({ output: payload, input: payload, env: payload, reason: string, error: string }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(action, body, async (target, b) => {
        fakeTable();
        const res = await call('POST', target, b, { 'x-jobx-task-token': target.endsWith('success') ? 'WyIwMUFCQyIsMCwxLCJ4Il0' : 'x' });
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });

  it('paths and list queries: never a 5xx', async () => {
    const target = fc.oneof(
      pathSegment.map((s) => ['GET', `/jobs/${s}`] as const),
      fc.tuple(pathSegment, pathSegment).map(([j, t]) => ['GET', `/jobs/${j}/tasks/${t}`] as const),
      fc.tuple(pathSegment, fc.constantFrom('pause', 'resume', 'discard')).map(([j, a]) => ['POST', `/jobs/${j}/${a}`] as const),
      pathSegment.map((s) => ['GET', `/tokens/${s}`] as const),
      pathSegment.map((s) => ['POST', `/task-tokens/${s}/heartbeat`] as const),
      pathSegment.map((s) => ['POST', `/task-tokens/${s}`] as const),
      pathSegment.map((s) => ['POST', `/workers/${s}/claim?wait=0`] as const),
      fc.tuple(pathSegment, pathSegment).map(([c, l]) => ['GET', `/jobs?cursor=${c}&limit=${l}`] as const),
    );
    await fc.assert(
      fc.asyncProperty(target, async ([method, path]) => {
        fakeTable();
        const res = await call(method, path);
        expect(res.status, `${method} ${path.slice(0, 100)}: ${JSON.stringify(res.body).slice(0, 200)}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });
});
