/**
 * Turns a submitted spec into the job records to write: descendants first, the root last, so the root's
 * conditional put is the commit point (a crash before it leaves nothing running; a retry with the same bizId completes it).
 * @module
 */
import { mergeEnv } from './env';
import type { JobRecord, JobSpec } from './model';
import { resolveRetryPolicy, type RetryPolicyInput } from './retry-policy';
import { childJobId } from './routing';

// Ids and buckets live in routing.ts; re-exported here for the modules that import them from this one.
export { CHILD_BUCKET_SIZE, bucketCount, bucketOf, bucketSize, childJobId, parseChildJobId } from './routing';

interface PlanContext {
  rootId: string;
  now: string;
}

function planJob(
  spec: JobSpec,
  jobId: string,
  parent: JobRecord | undefined,
  childIndex: number | undefined,
  ctx: PlanContext,
  out: JobRecord[],
): JobRecord {
  const inheritedRetry: RetryPolicyInput | undefined = parent?.retry;
  const isParent = (spec.children?.length ?? 0) > 0;
  const record: JobRecord = {
    jobId,
    rootId: ctx.rootId,
    depth: parent ? parent.depth + 1 : 0,
    name: spec.name,
    owner: spec.owner,
    // Roots start at once unless they need tokens (then they wait in pending). Children of a parent born running
    // are born running too (no start write each; their parent's start sends their first tasks, see `startChildren`);
    // under a pending parent they wait for it.
    status: parent ? parent.status : (spec.tokens?.length ?? 0) > 0 ? 'pending' : 'running',
    input: spec.input ?? {},
    env: mergeEnv(parent?.env, spec.env),
    retry: spec.retry ? { ...inheritedRetry, ...spec.retry } : { ...inheritedRetry },
    pausable: spec.pausable ?? parent?.pausable ?? true,
    kind: isParent ? 'parent' : 'pipeline',
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  if (parent) {
    record.parentId = parent.jobId;
    record.childIndex = childIndex;
  }
  if (record.status === 'running') record.startedAt = ctx.now;
  else if (!parent) record.reason = 'waiting for its tokens';
  if (spec.desc !== undefined) record.desc = spec.desc;
  if (spec.bizId !== undefined) record.bizId = spec.bizId;
  // Only the root holds tokens; children inherit the root's (their own would be a second, conflicting claim).
  const tokens = parent ? parent.tokens : spec.tokens?.length ? [...new Set(spec.tokens)].sort() : undefined;
  if (tokens !== undefined) record.tokens = tokens;
  const preLock = spec.preLock ?? parent?.preLock;
  if (preLock !== undefined) record.preLock = preLock;
  if (isParent) {
    record.childCount = spec.children!.length;
    spec.children!.forEach((child, i) => planJob(child, childJobId(jobId, i + 1), record, i + 1, ctx, out));
  } else {
    record.tasks = spec.tasks ?? [];
  }
  out.push(record);
  return record;
}

/**
 * Plans the records of a submission.
 * @returns every job record, descendants before their ancestors, the root last
 * @example
 * const records = planSubmission({ name: 'j', owner: 'me', tasks: [{ name: 't', provider: 'demo' }] }, 'J1', now);
 */
export function planSubmission(spec: JobSpec, rootId: string, now: string): JobRecord[] {
  const out: JobRecord[] = [];
  planJob(spec, rootId, undefined, undefined, { rootId, now }, out);
  return out;
}

/** Fields that mean the same absent as empty: the planner reads each as `?? {}` (or, for arrays, as none). */
const EMPTY_MEANS_ABSENT = new Set(['input', 'env', 'retry', 'tokens', 'tasks', 'children']);

function normalizeValue(value: unknown, key: string | undefined, inSpec: boolean): unknown {
  if (Array.isArray(value)) {
    // Token order and repeats do not change the job (the planner keeps a sorted set); task and child order do.
    if (inSpec && key === 'tokens') return [...new Set(value as string[])].sort();
    const specItems = inSpec && (key === 'tasks' || key === 'children');
    return value.map((v) => normalizeValue(v, undefined, specItems));
  }
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined) continue;
    // Only spec fields are dropped when empty: an empty object inside an input is data and stays.
    if (inSpec && EMPTY_MEANS_ABSENT.has(k) && (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0)) continue;
    out[k] = normalizeValue(v, k, inSpec && (k === 'tasks' || k === 'children' || k === 'tokens'));
  }
  return out;
}

/**
 * A spec in the canonical form two submissions are compared in: keys sorted, undefined fields and empty
 * `input`/`env`/`retry`/`tokens`/`tasks`/`children` dropped, tokens as a sorted set. Two specs with the same
 * normal form plan the same jobs, so a resubmission that differs only in these ways is the same submission.
 * @example
 * normalizeSpec({ owner: 'o', name: 'j', input: {}, tokens: ['b', 'a'] }); // { name: 'j', owner: 'o', tokens: ['a', 'b'] }
 */
export function normalizeSpec(spec: JobSpec): JobSpec {
  return normalizeValue(spec, undefined, true) as JobSpec;
}

/** Resolved retry policy of a task (defaults < job chain < task). */
export function taskRetryPolicy(job: JobRecord, taskIndex: number) {
  return resolveRetryPolicy(job.retry, job.tasks?.[taskIndex]?.retry);
}
