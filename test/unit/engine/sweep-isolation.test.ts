/**
 * The sweeper repairs each job on its own (invariant 11): a root or child whose repair throws is counted and
 * reported, and every other one is still repaired; roots are repaired side by side, a bounded number at a time.
 * And a re-sent queued attempt keeps what the store says it is: manual only if a person asked for it; a message
 * that may still be waiting in its queue is held back for a while instead of sent twice.
 */
import { describe, expect, it } from 'vitest';
import type { JobRecord, TaskMessage, TaskRecord } from '../../../functions/core/model';
import { HOLD_WHILE_QUEUED_MS } from '../../../functions/core/sweep-decisions';
import { sweep, sweepWorthLogging } from '../../../functions/engine/reconcile';
import type { EngineDeps, JobTree } from '../../../functions/ports';
import { NOW, childJob, endedAttempts, parentJob, pipelineJob, taskRecord } from '../../helpers/core-factories';

const LONG_AGO = new Date(NOW - 3_600_000).toISOString();

/** A running pipeline whose first task was never sent (its message was lost): the sweeper dispatches it. */
const lostDispatch = (jobId: string, extra: Partial<JobRecord> = {}): JobTree => ({
  job: pipelineJob({ jobId, rootId: jobId, startedAt: LONG_AGO, ...extra }),
  tasks: [],
  children: [],
  countedChildren: new Set(),
});

/**
 * A small fake of the ports: `trees` by job id (a function throws to simulate a failing repair), a queue that
 * records what was sent, and an optional delay per tree read to observe how many roots are repaired at once.
 */
function fakeDeps(trees: Record<string, JobTree | (() => never)>, opts: { readDelayMs?: number; waiting?: () => Promise<number> } = {}) {
  const sent: TaskMessage[] = [];
  const queueReads: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const deps = {
    store: {
      async *activeRoots() {
        for (const id of Object.keys(trees)) if (!id.includes('.')) yield id;
      },
      // Every root here is on the active index already: the walk of recent roots finds none.
      recentRoots: async () => [],
      sweepMark: async () => undefined,
      setSweepMark: async () => true,
      async getJob(jobId: string) {
        const tree = trees[jobId];
        return typeof tree === 'function' ? tree() : tree?.job;
      },
      async unfinishedChildren(parentId: string) {
        const tree = trees[parentId];
        if (typeof tree === 'function') tree();
        const t = tree as JobTree;
        return { children: t.children.filter((c) => !t.countedChildren.has(c.childIndex!)), counted: t.countedChildren };
      },
      async getJobTree(jobId: string) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          if (opts.readDelayMs) await new Promise((r) => setTimeout(r, opts.readDelayMs));
          const tree = trees[jobId];
          return typeof tree === 'function' ? tree() : tree;
        } finally {
          inFlight--;
        }
      },
    },
    queue: {
      hasProvider: () => true,
      isExternal: () => false,
      send: async (message: TaskMessage) => {
        sent.push(message);
      },
      waiting: async (route: string) => {
        queueReads.push(route);
        return opts.waiting ? opts.waiting() : 0;
      },
    },
    clock: { now: () => NOW, random: () => 0.5 },
  } as unknown as EngineDeps;
  return { deps, sent, queueReads, maxInFlight: () => maxInFlight };
}

const boom = (): never => {
  throw new Error('throttled');
};

describe('sweep: each job on its own', () => {
  it('a root whose repair throws is counted and reported; the roots after it are still repaired', async () => {
    // Prepare
    const { deps, sent } = fakeDeps({ A: lostDispatch('A'), B: boom, C: lostDispatch('C'), D: lostDispatch('D') });
    const errors: Array<[string, string]> = [];

    // Act
    const report = await sweep(deps, { requeueAfterMs: 60_000, onError: (jobId, e) => errors.push([jobId, (e as Error).message]) });

    // Assess
    expect(report).toMatchObject({ roots: 4, redispatched: 3, failed: 1 });
    expect(sent.map((m) => m.jobId).sort()).toEqual(['A', 'C', 'D']);
    expect(errors).toEqual([['B', 'throttled']]);
  });

  it('every root failing still ends the sweep, with each failure counted', async () => {
    const { deps } = fakeDeps({ A: boom, B: boom });
    expect(await sweep(deps, { requeueAfterMs: 60_000 })).toMatchObject({ roots: 2, failed: 2 });
  });

  it("a child whose repair throws does not stop its siblings' repairs", async () => {
    const parent = parentJob({ jobId: 'P', rootId: 'P', childCount: 3, startedAt: LONG_AGO });
    const running = (i: number) => childJob(parent, i, { status: 'running', startedAt: LONG_AGO });
    const { deps, sent } = fakeDeps({
      P: { job: parent, tasks: [], children: [running(1), running(2), running(3)], countedChildren: new Set() },
      'P.1': lostDispatch('P.1', { rootId: 'P', parentId: 'P', childIndex: 1 }),
      'P.2': boom,
      'P.3': lostDispatch('P.3', { rootId: 'P', parentId: 'P', childIndex: 3 }),
    });
    const failedIds: string[] = [];

    const report = await sweep(deps, { requeueAfterMs: 60_000, onError: (jobId) => failedIds.push(jobId) });

    expect(sent.map((m) => m.jobId).sort()).toEqual(['P.1', 'P.3']);
    expect(report).toMatchObject({ roots: 1, redispatched: 2, failed: 1 });
    expect(failedIds).toEqual(['P.2']);
  });

  it('repairs several roots at once, never more than the concurrency', async () => {
    const trees = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`R${i}`, lostDispatch(`R${i}`)]));
    const parallel = fakeDeps(trees, { readDelayMs: 5 });
    await sweep(parallel.deps, { requeueAfterMs: 60_000, concurrency: 4 });
    expect(parallel.maxInFlight()).toBe(4);
    expect(parallel.sent).toHaveLength(20);

    const byDefault = fakeDeps(trees, { readDelayMs: 5 });
    await sweep(byDefault.deps, { requeueAfterMs: 60_000 });
    expect(byDefault.maxInFlight()).toBe(8);
  });
});

describe('sweep: a message that may be waiting in its queue is not sent again (issue 12)', () => {
  const SINCE = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();
  const lostAt = (jobId: string, minutesAgo: number) => lostDispatch(jobId, { startedAt: SINCE(minutesAgo) });

  it('held back while the queue has messages waiting, within the hold window; the queue read once per route and sweep', async () => {
    const { deps, sent, queueReads } = fakeDeps({ A: lostAt('A', 3), B: lostAt('B', 4) }, { waiting: async () => 250 });
    const report = await sweep(deps, { requeueAfterMs: 60_000 });
    expect(sent).toEqual([]);
    expect(report).toMatchObject({ redispatched: 0, heldBack: 2 });
    expect(queueReads).toEqual(['demo']);
    // An operator sees it in the sweeper's log (a sweep that only held messages back is not a quiet one).
    expect(sweepWorthLogging(report)).toBe(true);
    expect(sweepWorthLogging({ ...report, heldBack: 0 })).toBe(false);
  });

  it('sent again when its queue is empty (nothing waits there: it was lost), or when the queue cannot be read', async () => {
    const empty = fakeDeps({ A: lostAt('A', 3) }, { waiting: async () => 0 });
    expect(await sweep(empty.deps, { requeueAfterMs: 60_000 })).toMatchObject({ redispatched: 1, heldBack: 0 });
    expect(empty.sent.map((m) => m.jobId)).toEqual(['A']);
    const unreadable = fakeDeps({ A: lostAt('A', 3) }, { waiting: async () => Promise.reject(new Error('AccessDenied')) });
    expect(await sweep(unreadable.deps, { requeueAfterMs: 60_000 })).toMatchObject({ redispatched: 1, heldBack: 0 });
  });

  it('sent again past the hold window whatever its queue holds (a queue that never empties still gets its lost messages), without reading the queue', async () => {
    const { deps, sent, queueReads } = fakeDeps({ A: lostAt('A', HOLD_WHILE_QUEUED_MS / 60_000 + 1) }, { waiting: async () => 250 });
    expect(await sweep(deps, { requeueAfterMs: 60_000 })).toMatchObject({ redispatched: 1, heldBack: 0 });
    expect(sent.map((m) => m.jobId)).toEqual(['A']);
    expect(queueReads).toEqual([]);
  });
});

describe('sweep: re-sent queued attempts keep their kind', () => {
  const queuedTree = (task: TaskRecord): JobTree => ({ job: pipelineJob({ startedAt: LONG_AGO }), tasks: [task], children: [], countedChildren: new Set() });
  const queued = (overrides: Partial<TaskRecord>): TaskRecord => {
    const { leaseUntil: _lease, ...base } = taskRecord();
    return { ...base, status: 'queued', updatedAt: LONG_AGO, ...overrides };
  };

  it.each([
    ['an automatic retry held by a pause, then resumed', false, queued({ attemptCount: 1, runStart: 1, attempts: endedAttempts(1) })],
    ['a first attempt held by a pause, then resumed', false, queued({ attemptCount: 0, runStart: 1, attempts: [] })],
    ['a manual retry (a new run starts with the next attempt)', true, queued({ attemptCount: 2, runStart: 3, attempts: endedAttempts(2) })],
    ['an automatic retry within a manual run', false, queued({ attemptCount: 3, runStart: 3, attempts: endedAttempts(3) })],
  ])('%s: manual %s', async (_, manual, task) => {
    const { deps, sent } = fakeDeps({ J1: queuedTree(task) });
    const report = await sweep(deps, { requeueAfterMs: 60_000 });
    expect(report.redispatched).toBe(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ attempt: task.attemptCount + 1, manual });
  });
});
