/**
 * Record factories for the unit tests of the pure core (`functions/core`) and the stream processor.
 * Every builder returns a fresh, valid record; pass overrides for what a test is about.
 * @module
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { it } from 'vitest';
import type { JsonObject } from '../../functions/core/json';
import type { AttemptRecord, JobRecord, TaskMessage, TaskRecord, TaskSpec } from '../../functions/core/model';
import { DEFAULT_RETRY_POLICY } from '../../functions/core/retry-policy';
import { isRejection, type Rejection } from '../../functions/core/task-transitions';

/** A fixed "now" (ms since epoch) so every timestamp in a test is predictable. */
export const NOW = Date.parse('2026-01-01T00:00:00.000Z');
/** {@link NOW} as an ISO string. */
export const NOW_ISO = new Date(NOW).toISOString();
/** ISO string of `NOW + ms`. */
export const isoAt = (ms: number): string => new Date(NOW + ms).toISOString();

/** A task spec named `name` run by the `demo` provider. */
export function taskSpec(name: string, overrides: Partial<TaskSpec> = {}): TaskSpec {
  return { name, provider: 'demo', ...overrides };
}

/** A running pipeline root `J1` with three tasks `a`, `b`, `c`. */
export function pipelineJob(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId: 'J1',
    rootId: 'J1',
    depth: 0,
    name: 'pipeline',
    owner: 'alice',
    status: 'running',
    input: {},
    env: {},
    retry: {},
    pausable: true,
    kind: 'pipeline',
    tasks: [taskSpec('a'), taskSpec('b'), taskSpec('c')],
    createdAt: NOW_ISO,
    updatedAt: NOW_ISO,
    startedAt: NOW_ISO,
    ...overrides,
  };
}

/** A running parent root `P1` with `childCount` children (default 2). */
export function parentJob(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId: 'P1',
    rootId: 'P1',
    depth: 0,
    name: 'parent',
    owner: 'alice',
    status: 'running',
    input: {},
    env: {},
    retry: {},
    pausable: true,
    kind: 'parent',
    childCount: 2,
    createdAt: NOW_ISO,
    updatedAt: NOW_ISO,
    startedAt: NOW_ISO,
    ...overrides,
  };
}

/** The `childIndex`-th (1-based) child pipeline of `parent`, pending, named `child-<n>`. */
export function childJob(parent: JobRecord, childIndex: number, overrides: Partial<JobRecord> = {}): JobRecord {
  const { startedAt: _startedAt, ...base } = pipelineJob();
  return {
    ...base,
    jobId: `${parent.jobId}.${childIndex}`,
    rootId: parent.rootId,
    parentId: parent.jobId,
    childIndex,
    depth: parent.depth + 1,
    name: `child-${childIndex}`,
    status: 'pending',
    env: { ...parent.env },
    retry: { ...parent.retry },
    ...overrides,
  };
}

/** One attempt record; `attempt` 1, running, started at {@link NOW}, unless overridden. */
export function attemptRecord(overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  return { attempt: 1, manual: false, status: 'running', startedAt: NOW_ISO, ...overrides };
}

/** `count` ended attempts 1..count with the given status (default failed), each 1 s after the previous. */
export function endedAttempts(count: number, status: AttemptRecord['status'] = 'failed'): AttemptRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const a = attemptRecord({ attempt: i + 1, status, startedAt: isoAt(i * 1000), endedAt: isoAt(i * 1000 + 500) });
    if (status === 'failed' || status === 'abandoned') a.error = { message: `boom ${i + 1}`, retryable: true };
    if (status === 'succeeded') a.output = { n: i + 1 };
    return a;
  });
}

/**
 * A task record of job `J1`, task 0 (`a`), running its first attempt, unless overridden.
 * `taskId` and `name` follow `taskIndex` when only the index is overridden.
 */
export function taskRecord(overrides: Partial<TaskRecord> = {}): TaskRecord {
  const taskIndex = overrides.taskIndex ?? 0;
  return {
    jobId: 'J1',
    taskIndex,
    taskId: `t${taskIndex + 1}`,
    name: String.fromCharCode(97 + taskIndex),
    provider: 'demo',
    status: 'running',
    attemptCount: 1,
    runStart: 1,
    input: {},
    env: {},
    context: {},
    leaseUntil: NOW + 300_000,
    attempts: [attemptRecord()],
    updatedAt: NOW_ISO,
    ...overrides,
  };
}

/** A task that succeeded on its first attempt with `output`. */
export function succeededTask(output: JsonObject, overrides: Partial<TaskRecord> = {}): TaskRecord {
  const { leaseUntil: _lease, ...base } = taskRecord(overrides);
  return {
    ...base,
    status: 'succeeded',
    attempts: [attemptRecord({ status: 'succeeded', endedAt: NOW_ISO, output })],
    ...overrides,
  };
}

/** A task waiting for automatic retry `attemptCount + 1`, due at `dueAt`. */
export function retryingTask(attemptCount: number, dueAt: number, overrides: Partial<TaskRecord> = {}): TaskRecord {
  const { leaseUntil: _lease, ...base } = taskRecord(overrides);
  return {
    ...base,
    status: 'retrying',
    attemptCount,
    dueAt,
    reason: `attempt ${attemptCount} failed: boom ${attemptCount}`,
    attempts: endedAttempts(attemptCount, 'failed'),
    ...overrides,
  };
}

/** A message asking for attempt 1 of task 0 (`a`) of job `J1`, unless overridden. */
export function taskMessage(overrides: Partial<TaskMessage> = {}): TaskMessage {
  return {
    v: 1,
    jobId: 'J1',
    rootId: 'J1',
    taskIndex: 0,
    taskId: 't1',
    attempt: 1,
    manual: false,
    provider: 'demo',
    job: { jobId: 'J1', name: 'pipeline', owner: 'alice' },
    taskName: 'a',
    input: {},
    env: {},
    context: {},
    timeoutSeconds: 300,
    retry: { ...DEFAULT_RETRY_POLICY },
    ...overrides,
  };
}

/** A DynamoDB stream record of the item with partition key `pk` (sort key `sk`) at sequence number `seq`. */
export function streamRecord(seq: string | number, pk: string, sk = 'J'): DynamoDBRecord {
  return {
    eventID: `e-${seq}`,
    eventName: 'MODIFY',
    eventSource: 'aws:dynamodb',
    dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } }, SequenceNumber: String(seq), StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

/** Freezes a value and everything inside it, so a test proves a pure function does not mutate its input. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** The accepted result of a transition; throws (failing the test) on a rejection. */
export function accepted(result: TaskRecord | Rejection): TaskRecord {
  if (isRejection(result)) throw new Error(`transition rejected: ${result.reason}`);
  return result;
}

/** Seeded PRNG (mulberry32): the same seed gives the same numbers in [0, 1), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A promise with its resolve and reject exposed, to control when an async step ends. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

/** Creates a {@link Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Table-driven tests with readable names: one `it` per case, named by `title(case)`
 * (vitest's `it.each` quotes and truncates `$field` strings).
 */
export function eachCase<T>(cases: readonly T[], title: (c: T) => string, body: (c: T) => void | Promise<void>): void {
  for (const c of cases) it(title(c), () => body(c));
}
