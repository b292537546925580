import { describe, expect, it } from 'vitest';
import type { JobRecord, JobSpec } from '../../../functions/core/model';
import { DEFAULT_RETRY_POLICY } from '../../../functions/core/retry-policy';
import {
  CHILD_BUCKET_SIZE,
  bucketCount,
  bucketOf,
  bucketSize,
  childJobId,
  parseChildJobId,
  planSubmission,
  taskRetryPolicy,
} from '../../../functions/core/submission';
import { NOW_ISO, deepFreeze, eachCase, pipelineJob, taskSpec } from '../../helpers/core-factories';

const pipeline = (name: string, extra: Partial<JobSpec> = {}): JobSpec => ({ name, owner: 'alice', tasks: [taskSpec(`${name}-t`)], ...extra });

/** Root R → children R.1 (with grandchildren R.1.1, R.1.2) and R.2 (a pipeline). */
const threeLevels = (): JobSpec => ({
  name: 'root',
  owner: 'alice',
  children: [{ name: 'mid', owner: 'alice', children: [pipeline('leaf1'), pipeline('leaf2')] }, pipeline('solo')],
});

const byId = (records: readonly JobRecord[]): Map<string, JobRecord> => new Map(records.map((r) => [r.jobId, r]));
const get = (records: readonly JobRecord[], id: string): JobRecord => {
  const r = byId(records).get(id);
  if (!r) throw new Error(`no record ${id}`);
  return r;
};

describe('planSubmission: a single pipeline', () => {
  it('plans one running root record with the spec fields and the defaults', () => {
    // Prepare
    const spec = pipeline('p');

    // Act
    const records = planSubmission(spec, 'R', NOW_ISO);

    // Assess
    expect(records).toEqual([
      {
        jobId: 'R',
        rootId: 'R',
        depth: 0,
        name: 'p',
        owner: 'alice',
        status: 'running',
        input: {},
        env: {},
        retry: {},
        pausable: true,
        kind: 'pipeline',
        tasks: [taskSpec('p-t')],
        createdAt: NOW_ISO,
        updatedAt: NOW_ISO,
        startedAt: NOW_ISO,
      },
    ]);
  });

  it('keeps desc, bizId, input, env, tokens and preLock when given, and omits them when not', () => {
    // Prepare
    const spec = pipeline('p', { desc: 'd', bizId: 'order-1', input: { x: 1 }, env: { stage: 'test' }, tokens: ['tok'], preLock: '10.0.0.1' });

    // Act
    const [root] = planSubmission(spec, 'R', NOW_ISO);
    const [bare] = planSubmission(pipeline('p'), 'R', NOW_ISO);

    // Assess
    expect(root).toMatchObject({ desc: 'd', bizId: 'order-1', input: { x: 1 }, env: { stage: 'test' }, tokens: ['tok'], preLock: '10.0.0.1' });
    for (const key of ['desc', 'bizId', 'tokens', 'preLock', 'parentId', 'childIndex', 'childCount'] as const) expect(bare).not.toHaveProperty(key);
  });

  it('a pipeline without tasks gets an empty task list (never undefined)', () => {
    // Act
    const [root] = planSubmission({ name: 'p', owner: 'alice' }, 'R', NOW_ISO);

    // Assess
    expect(root?.kind).toBe('pipeline');
    expect(root?.tasks).toEqual([]);
  });

  it('does not mutate the submitted spec', () => {
    // Prepare
    const spec = deepFreeze(threeLevels());

    // Act / Assess
    expect(() => planSubmission(spec, 'R', NOW_ISO)).not.toThrow();
  });
});

describe('planSubmission: nested jobs', () => {
  it('lists descendants before their ancestors and the root last (the root put is the commit point)', () => {
    // Act
    const records = planSubmission(threeLevels(), 'R', NOW_ISO);

    // Assess
    expect(records.map((r) => r.jobId)).toEqual(['R.1.1', 'R.1.2', 'R.1', 'R.2', 'R']);
    const position = new Map(records.map((r, i) => [r.jobId, i]));
    for (const r of records) if (r.parentId !== undefined) expect(position.get(r.parentId)!).toBeGreaterThan(position.get(r.jobId)!);
    expect(records[records.length - 1]?.jobId).toBe('R');
  });

  it('starts the root at once (running, startedAt set) and every descendant with it: children are born running (no start write each)', () => {
    // Act
    const records = planSubmission(threeLevels(), 'R', NOW_ISO);

    // Assess
    for (const r of records) expect(r).toMatchObject({ status: 'running', startedAt: NOW_ISO });
  });

  it('under a root that waits for its tokens, every descendant waits pending (none may run before the root holds them)', () => {
    // Act
    const records = planSubmission({ ...threeLevels(), tokens: ['T'] }, 'R', NOW_ISO);

    // Assess
    for (const r of records) {
      expect(r.status).toBe('pending');
      expect(r).not.toHaveProperty('startedAt');
    }
  });

  it('derives child ids <parent>.<n> (1-based), with parentId, childIndex, depth and the shared rootId', () => {
    // Act
    const records = planSubmission(threeLevels(), 'R', NOW_ISO);

    // Assess
    const rows = records.map(({ jobId, parentId, childIndex, depth, rootId }) => ({ jobId, parentId, childIndex, depth, rootId }));
    expect(rows).toEqual([
      { jobId: 'R.1.1', parentId: 'R.1', childIndex: 1, depth: 2, rootId: 'R' },
      { jobId: 'R.1.2', parentId: 'R.1', childIndex: 2, depth: 2, rootId: 'R' },
      { jobId: 'R.1', parentId: 'R', childIndex: 1, depth: 1, rootId: 'R' },
      { jobId: 'R.2', parentId: 'R', childIndex: 2, depth: 1, rootId: 'R' },
      { jobId: 'R', parentId: undefined, childIndex: undefined, depth: 0, rootId: 'R' },
    ]);
  });

  it('marks jobs with children as parents (childCount, no tasks) and the others as pipelines (tasks, no childCount)', () => {
    // Act
    const records = planSubmission(threeLevels(), 'R', NOW_ISO);

    // Assess
    expect(get(records, 'R')).toMatchObject({ kind: 'parent', childCount: 2 });
    expect(get(records, 'R.1')).toMatchObject({ kind: 'parent', childCount: 2 });
    expect(get(records, 'R')).not.toHaveProperty('tasks');
    for (const id of ['R.1.1', 'R.1.2', 'R.2']) {
      expect(get(records, id).kind).toBe('pipeline');
      expect(get(records, id)).not.toHaveProperty('childCount');
      expect(get(records, id).tasks).toHaveLength(1);
    }
  });

  it('gives every record the same timestamps', () => {
    // Act
    const records = planSubmission(threeLevels(), 'R', NOW_ISO);

    // Assess
    for (const r of records) expect([r.createdAt, r.updatedAt]).toEqual([NOW_ISO, NOW_ISO]);
  });

  it('plans a parent of 5000 children as 5001 records, every child born running and the root last', () => {
    // Prepare
    const spec: JobSpec = { name: 'big', owner: 'alice', children: Array.from({ length: 5000 }, (_, i) => pipeline(`c${i + 1}`)) };

    // Act
    const records = planSubmission(spec, 'R', NOW_ISO);

    // Assess
    expect(records).toHaveLength(5001);
    expect(records[5000]).toMatchObject({ jobId: 'R', childCount: 5000 });
    expect(records[4999]).toMatchObject({ jobId: 'R.5000', childIndex: 5000, status: 'running' });
  });
});

describe('planSubmission: env inheritance', () => {
  const cases: Array<{ name: string; spec: JobSpec; expected: Record<string, Record<string, unknown>> }> = [
    {
      name: 'the job env flows to every descendant',
      spec: { ...threeLevels(), env: { stage: 'prod', region: 'eu' } },
      expected: {
        R: { stage: 'prod', region: 'eu' },
        'R.1': { stage: 'prod', region: 'eu' },
        'R.1.1': { stage: 'prod', region: 'eu' },
        'R.2': { stage: 'prod', region: 'eu' },
      },
    },
    {
      name: 'a child overrides a key and adds its own, and its children see the result',
      spec: {
        name: 'root',
        owner: 'alice',
        env: { stage: 'prod', region: 'eu' },
        children: [
          { name: 'mid', owner: 'alice', env: { region: 'us', tier: 'gold' }, children: [pipeline('leaf', { env: { tier: 'silver' } })] },
          pipeline('solo'),
        ],
      },
      expected: {
        R: { stage: 'prod', region: 'eu' },
        'R.1': { stage: 'prod', region: 'us', tier: 'gold' },
        'R.1.1': { stage: 'prod', region: 'us', tier: 'silver' },
        'R.2': { stage: 'prod', region: 'eu' },
      },
    },
    {
      name: 'no env anywhere gives every record an empty env',
      spec: threeLevels(),
      expected: { R: {}, 'R.1': {}, 'R.1.1': {}, 'R.2': {} },
    },
  ];
  eachCase(cases, (c) => `${c.name}`, ({ spec, expected }) => {
    // Act
    const records = planSubmission(spec, 'R', NOW_ISO);

    // Assess
    for (const [id, env] of Object.entries(expected)) expect(get(records, id).env).toEqual(env);
  });

  it('a child override never leaks into its parent or siblings', () => {
    // Prepare
    const spec: JobSpec = { name: 'root', owner: 'alice', env: { k: 'root' }, children: [pipeline('a', { env: { k: 'a' } }), pipeline('b')] };

    // Act
    const records = planSubmission(spec, 'R', NOW_ISO);

    // Assess
    expect([get(records, 'R').env, get(records, 'R.1').env, get(records, 'R.2').env]).toEqual([{ k: 'root' }, { k: 'a' }, { k: 'root' }]);
  });
});

describe('planSubmission: retry, pausable, tokens and preLock inheritance', () => {
  it('a child inherits the parent retry policy and overrides it field by field; grandchildren inherit the result', () => {
    // Prepare
    const spec: JobSpec = {
      name: 'root',
      owner: 'alice',
      retry: { count: 5, gapSeconds: 1 },
      children: [
        { name: 'mid', owner: 'alice', retry: { gapSeconds: 2, backoff: 'exponential' }, children: [pipeline('leaf', { retry: { count: 0 } }), pipeline('leaf2')] },
        pipeline('solo'),
      ],
    };

    // Act
    const records = planSubmission(spec, 'R', NOW_ISO);

    // Assess
    expect(get(records, 'R').retry).toEqual({ count: 5, gapSeconds: 1 });
    expect(get(records, 'R.1').retry).toEqual({ count: 5, gapSeconds: 2, backoff: 'exponential' });
    expect(get(records, 'R.1.1').retry).toEqual({ count: 0, gapSeconds: 2, backoff: 'exponential' });
    expect(get(records, 'R.1.2').retry).toEqual({ count: 5, gapSeconds: 2, backoff: 'exponential' });
    expect(get(records, 'R.2').retry).toEqual({ count: 5, gapSeconds: 1 });
  });

  it('a child retry record is a copy: changing it leaves the parent record alone', () => {
    // Prepare
    const records = planSubmission({ ...threeLevels(), retry: { count: 5 } }, 'R', NOW_ISO);

    // Act
    get(records, 'R.2').retry.count = 1;

    // Assess
    expect(get(records, 'R').retry).toEqual({ count: 5 });
  });

  eachCase([
    { name: 'defaults to true everywhere', rootPausable: undefined, childPausable: undefined, expected: { R: true, 'R.1': true, 'R.1.1': true } },
    { name: 'false on the root flows down', rootPausable: false, childPausable: undefined, expected: { R: false, 'R.1': false, 'R.1.1': false } },
    { name: 'a child may set its own, inherited below it', rootPausable: false, childPausable: true, expected: { R: false, 'R.1': true, 'R.1.1': true } },
  ], (c) => `pausable ${c.name}`, ({ rootPausable, childPausable, expected }) => {
    // Prepare
    const mid: JobSpec = { name: 'mid', owner: 'alice', children: [pipeline('leaf')] };
    if (childPausable !== undefined) mid.pausable = childPausable;
    const spec: JobSpec = { name: 'root', owner: 'alice', children: [mid] };
    if (rootPausable !== undefined) spec.pausable = rootPausable;

    // Act
    const records = planSubmission(spec, 'R', NOW_ISO);

    // Assess
    for (const [id, pausable] of Object.entries(expected)) expect(get(records, id).pausable).toBe(pausable);
  });

  it('children carry the tokens of the root (only the root holds them) and inherit preLock unless they set their own', () => {
    // Prepare
    const spec: JobSpec = {
      name: 'root',
      owner: 'alice',
      tokens: ['t-root'],
      preLock: 'host-a',
      children: [pipeline('a'), pipeline('b', { tokens: ['t-b'], preLock: 'host-b' })],
    };

    // Act
    const records = planSubmission(spec, 'R', NOW_ISO);

    // Assess
    expect(get(records, 'R.1')).toMatchObject({ tokens: ['t-root'], preLock: 'host-a' });
    expect(get(records, 'R.2')).toMatchObject({ tokens: ['t-root'], preLock: 'host-b' });
    // a root with tokens waits for them in pending; without tokens it starts at once
    expect(get(records, 'R')).toMatchObject({ status: 'pending', reason: 'waiting for its tokens' });
    expect(get(records, 'R').startedAt).toBeUndefined();
    expect(get(planSubmission({ ...spec, tokens: [] }, 'S', NOW_ISO), 'S').status).toBe('running');
  });
});

describe('taskRetryPolicy', () => {
  eachCase([
    { name: 'no policy anywhere: the defaults', jobRetry: {}, taskRetry: undefined, expected: { ...DEFAULT_RETRY_POLICY } },
    { name: 'the job policy over the defaults', jobRetry: { count: 1 }, taskRetry: undefined, expected: { ...DEFAULT_RETRY_POLICY, count: 1 } },
    {
      name: 'the task policy over the job policy',
      jobRetry: { count: 1, gapSeconds: 4 },
      taskRetry: { count: 6 },
      expected: { ...DEFAULT_RETRY_POLICY, count: 6, gapSeconds: 4 },
    },
  ], (c) => `${c.name}`, ({ jobRetry, taskRetry, expected }) => {
    // Prepare
    const job = pipelineJob({ retry: jobRetry, tasks: [taskSpec('a', taskRetry ? { retry: taskRetry } : {})] });

    // Act / Assess
    expect(taskRetryPolicy(job, 0)).toEqual(expected);
  });

  it('a task position without a spec falls back to the job policy', () => {
    // Act / Assess
    expect(taskRetryPolicy(pipelineJob({ retry: { count: 2 } }), 99)).toEqual({ ...DEFAULT_RETRY_POLICY, count: 2 });
  });
});

describe('childJobId / parseChildJobId', () => {
  eachCase([
    { parentId: 'R', childIndex: 1, id: 'R.1' },
    { parentId: 'R', childIndex: 10_000, id: 'R.10000' },
    { parentId: 'R.3', childIndex: 7, id: 'R.3.7' },
    { parentId: '01HZX3C9Q7.2.5', childIndex: 42, id: '01HZX3C9Q7.2.5.42' },
  ], (c) => `round trip: child ${c.childIndex} of ${c.parentId} is ${c.id} and parses back`, ({ parentId, childIndex, id }) => {
    // Act
    const built = childJobId(parentId, childIndex);

    // Assess
    expect(built).toBe(id);
    expect(parseChildJobId(built)).toEqual({ parentId, childIndex });
  });

  it('every child id of a planned 3-level submission parses to its record parentId and childIndex', () => {
    // Prepare
    const records = planSubmission(threeLevels(), 'R', NOW_ISO);

    // Act / Assess
    for (const r of records) {
      const parsed = parseChildJobId(r.jobId);
      if (r.parentId === undefined) expect(parsed).toBeUndefined();
      else expect(parsed).toEqual({ parentId: r.parentId, childIndex: r.childIndex });
    }
  });

  it.each(['R', '01HZX3C9Q7ABCDEF', 'R.', 'R.0', 'R.-1', 'R.x', 'R.1.5x'])(
    '%s is not a child id (root id or a suffix that is no positive integer)',
    (id) => {
      // Act / Assess
      expect(parseChildJobId(id)).toBeUndefined();
    },
  );

  // Non-canonical ids must not alias a real child: jobKey('R.01') would be the key of 'R.1'.
  it.each(['R.01', 'R.1e0', 'R.0x1', 'R.+1', 'R. 1', 'R.1.1 '])(
    'non-canonical child id %j is rejected (only childJobId(parent, n) forms are child ids)',
    (id) => {
      // Act / Assess
      expect(parseChildJobId(id)).toBeUndefined();
    },
  );
});

/** `[100, 100, 50]` → `2 × 100, 50`. */
const compactSizes = (sizes: number[]): string =>
  sizes
    .reduce<Array<[number, number]>>((runs, n) => {
      const last = runs[runs.length - 1];
      if (last && last[1] === n) last[0]++;
      else runs.push([1, n]);
      return runs;
    }, [])
    .map(([count, n]) => (count > 1 ? `${count} × ${n}` : `${n}`))
    .join(', ');

describe('completion buckets', () => {
  it('holds 100 children per bucket', () => {
    // Assess
    expect(CHILD_BUCKET_SIZE).toBe(100);
  });

  eachCase([
    { childIndex: 1, bucket: 0 },
    { childIndex: 100, bucket: 0 },
    { childIndex: 101, bucket: 1 },
    { childIndex: 200, bucket: 1 },
    { childIndex: 201, bucket: 2 },
    { childIndex: 4_901, bucket: 49 },
    { childIndex: 5_000, bucket: 49 },
    { childIndex: 10_000, bucket: 99 },
  ], (c) => `child ${c.childIndex} reports into bucket ${c.bucket}`, ({ childIndex, bucket }) => {
    // Act / Assess
    expect(bucketOf(childIndex)).toBe(bucket);
  });

  eachCase([
    { childCount: 0, buckets: 0, sizes: [] },
    { childCount: 1, buckets: 1, sizes: [1] },
    { childCount: 100, buckets: 1, sizes: [100] },
    { childCount: 101, buckets: 2, sizes: [100, 1] },
    { childCount: 250, buckets: 3, sizes: [100, 100, 50] },
    { childCount: 5_000, buckets: 50, sizes: Array.from({ length: 50 }, () => 100) },
  ], (c) => `${c.childCount} children make ${c.buckets} buckets${c.sizes.length ? ` (sizes ${compactSizes(c.sizes)})` : ''}`, ({ childCount, buckets, sizes }) => {
    // Act
    const count = bucketCount(childCount);
    const actualSizes = Array.from({ length: count }, (_, b) => bucketSize(b, childCount));

    // Assess
    expect(count).toBe(buckets);
    expect(actualSizes).toEqual(sizes);
  });

  it('for every child count up to 1000, each bucket size equals the number of children that report into it', () => {
    // Prepare
    const mismatches: string[] = [];

    for (let childCount = 1; childCount <= 1000; childCount++) {
      // Act
      const perBucket = new Map<number, number>();
      for (let i = 1; i <= childCount; i++) perBucket.set(bucketOf(i), (perBucket.get(bucketOf(i)) ?? 0) + 1);

      // Assess (collected: one expect per case would dominate the run time)
      if (perBucket.size !== bucketCount(childCount)) mismatches.push(`${childCount}: ${perBucket.size} buckets used, bucketCount says ${bucketCount(childCount)}`);
      for (const [bucket, n] of perBucket) {
        if (bucketSize(bucket, childCount) !== n) mismatches.push(`${childCount}: bucket ${bucket} has ${n}, bucketSize says ${bucketSize(bucket, childCount)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
