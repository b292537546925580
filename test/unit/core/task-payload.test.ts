import { describe, expect, it } from 'vitest';
import { attemptPayloads, keptPayload, lastPayload, originalPayload } from '../../../functions/core/task-payload';
import { attemptRecord, pipelineJob, taskSpec } from '../../helpers/core-factories';

describe('task payloads', () => {
  it('the original payload is the spec\'s: job input overlaid with the task\'s, job env overlaid with the task\'s', () => {
    const job = pipelineJob({ input: { a: 1, b: 1 }, env: { e: 'job', f: 1 }, tasks: [taskSpec('a', { input: { b: 2 }, env: { e: 'task' } })] });

    expect(originalPayload(job, 0)).toEqual({ input: { a: 1, b: 2 }, env: { e: 'task', f: 1 } });
    expect(originalPayload(job, 1)).toBeUndefined();
  });

  it('each attempt ran with what it kept, else with what the attempt before it ran with (the original first)', () => {
    const original = { input: { x: 1 }, env: { e: 'a' } };
    const attempts = [attemptRecord({ attempt: 1 }), attemptRecord({ attempt: 2, input: { x: 2 } }), attemptRecord({ attempt: 3 }), attemptRecord({ attempt: 4, env: { e: 'b' } })];

    expect(attemptPayloads(original, attempts)).toEqual([
      { input: { x: 1 }, env: { e: 'a' } },
      { input: { x: 2 }, env: { e: 'a' } },
      { input: { x: 2 }, env: { e: 'a' } },
      { input: { x: 2 }, env: { e: 'b' } },
    ]);
    expect(lastPayload(original, attempts)).toEqual({ input: { x: 2 }, env: { e: 'b' } });
    expect(lastPayload(original, [])).toBe(original);
  });

  it('an attempt keeps only what differs from what ran before it; with nothing known, both', () => {
    const payload = { input: { x: 2 }, env: { e: 'a' } };

    expect(keptPayload(payload, { input: { x: 2 }, env: { e: 'a' } })).toEqual({});
    expect(keptPayload(payload, { input: { x: 1 }, env: { e: 'a' } })).toEqual({ input: { x: 2 } });
    expect(keptPayload(payload, undefined)).toEqual(payload);
  });
});

describe('payload comparison ignores key order (DynamoDB keeps none)', () => {
  it('an attempt whose input only comes back with its keys reordered keeps no copy (invariant 10)', () => {
    const previous = { input: { blob: 'x', fail: false, n: 1 }, env: { a: '1', b: '2' } };
    expect(keptPayload({ input: { fail: false, n: 1, blob: 'x' }, env: { b: '2', a: '1' } }, previous)).toEqual({});
    expect(keptPayload({ input: { fail: true, n: 1, blob: 'x' }, env: { b: '2', a: '1' } }, previous)).toEqual({ input: { fail: true, n: 1, blob: 'x' } });
  });
});
