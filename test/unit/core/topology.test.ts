import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXECUTOR_NAME_PATTERN, MAX_QUEUE_NAME_LENGTH, PROVIDER_NAME_PATTERN, formatRoutes, parseRouteLimits, parseRoutes, queueNameOf, queuePrefixFor, queuesOf, routeOfDeployment } from '../../../functions/core/topology';
import { NAME_PATTERN } from '../../../functions/http/schemas';

const provider = fc.stringMatching(PROVIDER_NAME_PATTERN);
const executor = fc.stringMatching(EXECUTOR_NAME_PATTERN);
const route = fc.tuple(provider, fc.option(executor, { nil: undefined })).map(([p, e]) => routeOfDeployment({ provider: p, ...(e !== undefined ? { executor: e } : {}) }));

describe('queue topology (one description for the construct, the local stack and the handlers)', () => {
  it('every route gets a valid SQS queue name (≤ 80 characters, name charset) under the longest prefix', () => {
    fc.assert(
      fc.property(route, (r) => {
        const name = queueNameOf('p'.repeat(28), r);
        expect(name.length).toBeLessThanOrEqual(MAX_QUEUE_NAME_LENGTH);
        expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
      }),
    );
  });

  it('two routes never share a queue, even when cut or made name-safe alike', () => {
    fc.assert(fc.property(route, route, (a, b) => a === b || queueNameOf('jobx-', a) !== queueNameOf('jobx-', b)));
    expect(queueNameOf('jobx-', 'demo@edge.1')).not.toBe(queueNameOf('jobx-', 'demo@edge-1'));
  });

  it('URL and ARN of each route follow from the prefixes, and routes survive their environment form', () => {
    const routes = ['demo', 'demo@edge-1', 'resize'];
    const queues = queuesOf({ urlPrefix: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobx-ab-', arnPrefix: 'arn:aws:sqs:eu-west-1:123456789012:jobx-ab-', routes: parseRoutes(formatRoutes(routes)) });
    expect(Object.keys(queues)).toEqual(routes);
    expect(queues['demo@edge-1']!.queueUrl).toBe(`https://sqs.eu-west-1.amazonaws.com/123456789012/${queueNameOf('jobx-ab-', 'demo@edge-1')}`);
    expect(queues['demo@edge-1']!.queueArn).toBe(`arn:aws:sqs:eu-west-1:123456789012:${queueNameOf('jobx-ab-', 'demo@edge-1')}`);
  });

  it('a prefix is checked, and a derived one is short and stable', () => {
    expect(() => queueNameOf('has space', 'demo')).toThrow(/prefix/);
    expect(() => queueNameOf('x'.repeat(29), 'demo')).toThrow(/prefix/);
    expect(queuePrefixFor('a')).toBe(queuePrefixFor('a'));
    expect(queuePrefixFor('a')).toMatch(/^jobx-[0-9a-f]{8}-$/);
  });

  it('executor names are exactly what the API accepts as preLock', () => {
    expect(EXECUTOR_NAME_PATTERN.source).toBe(NAME_PATTERN.source);
  });
});

describe('route limits in the environment', () => {
  it('the most common limit is written once; every route reads back its own', () => {
    fc.assert(
      fc.property(fc.uniqueArray(provider, { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 20, maxLength: 20 }), (routes, secs) => {
        const limits = Object.fromEntries(routes.map((r, i) => [r, secs[i]!]));
        expect(parseRouteLimits(formatRoutes(routes, limits))).toEqual(limits);
      }),
    );
    expect(formatRoutes(['demo', 'resize', 'fast'], { demo: 357, resize: 357, fast: 27 })).toBe('demo,resize,fast=27,*=357');
    expect(parseRouteLimits('demo,resize')).toEqual({ demo: undefined, resize: undefined });
  });
});
