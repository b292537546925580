/**
 * Ids, buckets and routing targets (functions/core/routing.ts): table tests for each name, and a property over
 * any message and delay: a pinned task never reaches an unpinned queue, long waits never ride on a queue
 * delay, and schedule names are valid EventBridge names, unique per attempt and the same on every replay.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_QUEUE_DELAY_SECONDS,
  SCHEDULE_NAME_PATTERN,
  UnknownRouteError,
  bucketCount,
  bucketOf,
  bucketSize,
  childJobId,
  childJobIds,
  executorInbox,
  inboxOf,
  isRootJobId,
  parseChildJobId,
  providerInbox,
  queueRouteOf,
  routeTaskMessage,
  scheduleNameOf,
  taskIdOf,
  taskIndexOf,
  type RouteTopology,
} from '../../../functions/core/routing';
import * as model from '../../../functions/core/model';
import * as submission from '../../../functions/core/submission';
import { JobxError } from '../../../functions/core/errors';

const NOW = Date.parse('2026-11-25T10:00:00.000Z');
const LONG_ID = `01JABCDEFGHJKMNPQRSTVWXYZ0${'.12345'.repeat(8)}`;

/** `demo` has a Lambda queue, `demo@edge` too; `ext` is served by external workers; `offline` has no deployment. */
const topology: RouteTopology = { hasQueue: (r) => r === 'demo' || r === 'demo@edge', isExternal: (p) => p === 'ext' };
const msg = (extra: { jobId?: string; taskIndex?: number; attempt?: number; provider?: string; preLock?: string } = {}) => ({
  jobId: 'J1',
  taskIndex: 0,
  attempt: 1,
  provider: 'demo',
  ...extra,
});

describe('ids and buckets', () => {
  it.each([
    ['R', 1, 'R.1'],
    ['R.3', 12, 'R.3.12'],
  ])('child %s #%i is %s, and parses back', (parent, index, id) => {
    expect(childJobId(parent, index)).toBe(id);
    expect(parseChildJobId(id)).toEqual({ parentId: parent, childIndex: index });
    expect(isRootJobId(id)).toBe(false);
  });

  it.each(['R', 'R.01', 'R.0', 'R.1e0', 'R.'])('%s is not a child id', (id) => {
    expect(parseChildJobId(id)).toBeUndefined();
  });

  it('lists the ids of all children in order', () => {
    expect(childJobIds('P', 3)).toEqual(['P.1', 'P.2', 'P.3']);
  });

  it.each([
    [1, 0],
    [100, 0],
    [101, 1],
    [250, 2],
  ])('child %i reports into bucket %i', (index, bucket) => expect(bucketOf(index)).toBe(bucket));

  it('counts buckets and their sizes', () => {
    expect(bucketCount(250)).toBe(3);
    expect([0, 1, 2].map((b) => bucketSize(b, 250))).toEqual([100, 100, 50]);
  });

  it('task ids are t1, t2, … and parse back', () => {
    expect(taskIdOf(0)).toBe('t1');
    expect(taskIndexOf('t12')).toBe(11);
    expect(taskIndexOf('t0')).toBeUndefined();
    expect(taskIndexOf('x1')).toBeUndefined();
  });

  it('the old homes re-export the same functions', () => {
    expect(model.taskIdOf).toBe(taskIdOf);
    expect(submission.childJobId).toBe(childJobId);
    expect(submission.bucketOf).toBe(bucketOf);
  });
});

describe('routing targets', () => {
  it('names inboxes and queue routes', () => {
    expect(executorInbox('edge-1')).toBe('exec:edge-1');
    expect(providerInbox('ext')).toBe('prov:ext');
    expect(inboxOf({ provider: 'demo', preLock: 'edge' })).toBe('exec:edge');
    expect(inboxOf({ provider: 'ext' })).toBe('prov:ext');
    expect(queueRouteOf({ provider: 'demo' })).toBe('demo');
    expect(queueRouteOf({ provider: 'demo', preLock: 'edge' })).toBe('demo@edge');
  });

  it('an unknown route is a typed error naming the route', () => {
    const err = new UnknownRouteError('demo@nowhere');
    expect(err).toBeInstanceOf(JobxError);
    expect(err).toMatchObject({ name: 'UnknownRouteError', code: 'UNKNOWN_PROVIDER', route: 'demo@nowhere' });
  });
});

describe('routeTaskMessage', () => {
  it.each([
    ['unpinned, due now', msg(), undefined, { kind: 'queue', route: 'demo', delaySeconds: 0 }],
    ['unpinned, overdue', msg(), NOW - 5_000, { kind: 'queue', route: 'demo', delaySeconds: 0 }],
    ['unpinned, 10.5 s (rounded up)', msg(), NOW + 10_500, { kind: 'queue', route: 'demo', delaySeconds: 11 }],
    ['unpinned, exactly 900 s', msg(), NOW + 900_000, { kind: 'queue', route: 'demo', delaySeconds: 900 }],
    ['unpinned, 901 s', msg(), NOW + 901_000, { kind: 'schedule', route: 'demo', name: 'jobx-J1-0-1', at: NOW + 901_000 }],
    ['pinned to a deployment, now', msg({ preLock: 'edge' }), undefined, { kind: 'queue', route: 'demo@edge', delaySeconds: 0 }],
    ['pinned to a deployment, 2 h', msg({ preLock: 'edge' }), NOW + 7_200_000, { kind: 'schedule', route: 'demo@edge', name: 'jobx-J1-0-1', at: NOW + 7_200_000 }],
    ['pinned, no deployment, now', msg({ preLock: 'offline' }), undefined, { kind: 'inbox', target: 'exec:offline', visibleAt: NOW }],
    ['pinned, no deployment, 2 h', msg({ preLock: 'offline' }), NOW + 7_200_000, { kind: 'inbox', target: 'exec:offline', visibleAt: NOW + 7_200_000 }],
    ['pinned, no deployment, overdue', msg({ preLock: 'offline' }), NOW - 1, { kind: 'inbox', target: 'exec:offline', visibleAt: NOW }],
    ['external provider, 2 h', msg({ provider: 'ext' }), NOW + 7_200_000, { kind: 'inbox', target: 'prov:ext', visibleAt: NOW + 7_200_000 }],
    ['external provider pinned to a worker', msg({ provider: 'ext', preLock: 'edge' }), undefined, { kind: 'inbox', target: 'exec:edge', visibleAt: NOW }],
    ['unknown provider: a queue route the adapter refuses', msg({ provider: 'nope' }), undefined, { kind: 'queue', route: 'nope', delaySeconds: 0 }],
  ] as const)('%s', (_, message, notBefore, expected) => {
    expect(routeTaskMessage(message, topology, NOW, notBefore)).toEqual(expected);
  });
});

describe('scheduleNameOf', () => {
  it('keeps a short id readable', () => {
    expect(scheduleNameOf({ jobId: '01ABC.2', taskIndex: 1, attempt: 3 })).toBe('jobx-01ABC.2-1-3');
  });

  it('hashes a long id into 64 characters, keeping its head', () => {
    const a = scheduleNameOf({ jobId: LONG_ID, taskIndex: 0, attempt: 1 });
    const b = scheduleNameOf({ jobId: `${LONG_ID.slice(0, -1)}6`, taskIndex: 0, attempt: 1 });
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).toMatch(SCHEDULE_NAME_PATTERN);
    expect(a.startsWith('jobx-01JABCDEFGHJKMNPQRSTVWX')).toBe(true);
    expect(a).not.toBe(b);
  });

  it('ids that differ only in characters a name cannot hold get different names', () => {
    expect(scheduleNameOf({ jobId: 'a:b', taskIndex: 0, attempt: 1 })).not.toBe(scheduleNameOf({ jobId: 'a/b', taskIndex: 0, attempt: 1 }));
  });
});

// -----------------------------------------------------------------------------------------------------------------
// Properties
// -----------------------------------------------------------------------------------------------------------------

const NAME_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-'];
const nameArb = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 40 });
const rootIdArb = fc.oneof(fc.constant('01JABCDEFGHJKMNPQRSTVWXYZ0'), fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 30 }));
/** Root ids and child ids up to 8 levels deep, each level up to 6 digits: up to ~90 characters. */
const jobIdArb = fc.tuple(rootIdArb, fc.array(fc.integer({ min: 1, max: 999_999 }), { maxLength: 8 })).map(([root, path]) => path.reduce(childJobId, root));
const messageArb = fc.record(
  {
    jobId: jobIdArb,
    taskIndex: fc.nat({ max: 9_999 }),
    attempt: fc.integer({ min: 1, max: 1_000 }),
    provider: nameArb,
    preLock: nameArb,
  },
  { requiredKeys: ['jobId', 'taskIndex', 'attempt', 'provider'] },
);
/** Which routes have a queue and which providers are external: decided per route by a seeded coin. */
const topologyArb = fc.tuple(fc.func(fc.boolean()), fc.func(fc.boolean())).map(([queue, external]): RouteTopology => ({ hasQueue: (r) => queue(r), isExternal: (p) => external(p) }));
/** Delays from "overdue" to a day, with extra weight around the 900 s boundary. */
const delayArb = fc.oneof(fc.constant(undefined), fc.integer({ min: -60_000, max: 86_400_000 }), fc.integer({ min: 899_000, max: 901_000 }));

describe('routeTaskMessage properties', () => {
  it('pinned tasks reach only their executor; long waits never ride on a queue delay', () => {
    fc.assert(
      fc.property(messageArb, topologyArb, delayArb, (message, topo, delay) => {
        const notBefore = delay === undefined ? undefined : NOW + delay;
        const route = routeTaskMessage(message, topo, NOW, notBefore);
        const due = notBefore ?? NOW;
        if (message.preLock !== undefined) {
          // Never the unpinned queue: its executor's deployment, or its executor's inbox.
          if (route.kind === 'inbox') expect(route.target).toBe(`exec:${message.preLock}`);
          else expect(route.route).toBe(`${message.provider}@${message.preLock}`);
          // No deployment: it waits in the inbox, whatever the delay.
          if (!topo.hasQueue(`${message.provider}@${message.preLock}`)) expect(route.kind).toBe('inbox');
        } else if (route.kind !== 'inbox') {
          expect(route.route).toBe(message.provider);
        }
        switch (route.kind) {
          case 'queue':
            expect(route.delaySeconds).toBeLessThanOrEqual(MAX_QUEUE_DELAY_SECONDS);
            // Never early: the message becomes visible at or after its due time.
            expect(NOW + route.delaySeconds * 1000).toBeGreaterThanOrEqual(due);
            break;
          case 'schedule':
            expect(due - NOW).toBeGreaterThan(MAX_QUEUE_DELAY_SECONDS * 1000);
            expect(route.at).toBe(due);
            expect(route.name).toBe(scheduleNameOf(message));
            break;
          case 'inbox':
            expect(route.visibleAt).toBe(Math.max(due, NOW));
            break;
        }
        // Waits over 900 s go to the scheduler, or to an inbox with their own visible time.
        if (due - NOW > MAX_QUEUE_DELAY_SECONDS * 1000) expect(route.kind).not.toBe('queue');
      }),
      { numRuns: 2_000 },
    );
  });

  it('schedule names are valid EventBridge names, stable per attempt and injective over attempts', () => {
    const identityArb = fc.record({ jobId: jobIdArb, taskIndex: fc.nat({ max: 9_999 }), attempt: fc.integer({ min: 1, max: 1_000 }) });
    fc.assert(
      fc.property(fc.uniqueArray(identityArb, { minLength: 2, maxLength: 50, selector: (m) => JSON.stringify([m.jobId, m.taskIndex, m.attempt]) }), (identities) => {
        const names = identities.map(scheduleNameOf);
        for (const [i, name] of names.entries()) {
          expect(name.length).toBeLessThanOrEqual(64);
          expect(name).toMatch(SCHEDULE_NAME_PATTERN);
          expect(scheduleNameOf({ ...identities[i]! })).toBe(name);
        }
        expect(new Set(names).size).toBe(names.length);
      }),
      { numRuns: 1_000 },
    );
  });

  it('schedule names stay distinct where truncation used to collide (deep children, neighbouring attempts)', () => {
    fc.assert(
      fc.property(jobIdArb.filter((id) => id.length > 50), fc.nat({ max: 99 }), fc.integer({ min: 1, max: 99 }), (jobId, taskIndex, attempt) => {
        const name = scheduleNameOf({ jobId, taskIndex, attempt });
        expect(name).not.toBe(scheduleNameOf({ jobId, taskIndex, attempt: attempt + 1 }));
        expect(name).not.toBe(scheduleNameOf({ jobId, taskIndex: taskIndex + 1, attempt }));
        expect(name).not.toBe(scheduleNameOf({ jobId: `${jobId}.1`, taskIndex, attempt }));
      }),
    );
  });
});
