/**
 * Turns a submitted spec into the job records to write: descendants first, the root last, so the root's
 * conditional put is the commit point (a crash before it leaves nothing running; a retry with the same bizId completes it).
 * @module
 */
import { mergeEnv } from './env';
import type { JobRecord, JobSpec } from './model';
import { resolveRetryPolicy, type RetryPolicyInput } from './retry-policy';

/** Children per completion bucket of a parent (bounds the size of every bucket item). */
export const CHILD_BUCKET_SIZE = 100;

/** Id of the `childIndex`-th (1-based) child of a job. Child ids are derived so every write for a child is idempotent. */
export function childJobId(parentId: string, childIndex: number): string {
  return `${parentId}.${childIndex}`;
}

/** Parent id and position of a child id; undefined for a root id. */
export function parseChildJobId(jobId: string): { parentId: string; childIndex: number } | undefined {
  // Canonical positions only ("R.01" or "R.1e0" name no job), so every id maps to one key or to none.
  const m = /^(.+)\.([1-9][0-9]{0,5})$/.exec(jobId);
  return m ? { parentId: m[1]!, childIndex: Number(m[2]) } : undefined;
}

/** Bucket (0-based) that records the completion of a child. */
export function bucketOf(childIndex: number): number {
  return Math.floor((childIndex - 1) / CHILD_BUCKET_SIZE);
}

/** Number of completion buckets of a parent with `childCount` children. */
export function bucketCount(childCount: number): number {
  return Math.ceil(childCount / CHILD_BUCKET_SIZE);
}

/** Number of children that report into `bucket`. */
export function bucketSize(bucket: number, childCount: number): number {
  return Math.min(CHILD_BUCKET_SIZE, childCount - bucket * CHILD_BUCKET_SIZE);
}

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
    // Roots start at once unless they need tokens (then they wait in pending); children wait for their parent.
    status: parent || (spec.tokens?.length ?? 0) > 0 ? 'pending' : 'running',
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
  } else if (record.status === 'running') {
    record.startedAt = ctx.now;
  } else {
    record.reason = 'waiting for its tokens';
  }
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

/** Resolved retry policy of a task (defaults < job chain < task). */
export function taskRetryPolicy(job: JobRecord, taskIndex: number) {
  return resolveRetryPolicy(job.retry, job.tasks?.[taskIndex]?.retry);
}
