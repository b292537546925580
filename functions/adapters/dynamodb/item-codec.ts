/**
 * Items of the jobs table and the records they hold: job, task and audit items in and out (storage-only
 * attributes stripped), a root's index keys.
 * @module
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AuditEntry, JobRecord, TaskRecord } from '../../core/model';
import type { JobStatus } from '../../core/statuses';
import { creationKey } from '../../core/recent-roots';
import { jobKey, listPartitionOf, listShardOf } from './keys';

/** An item as the document client reads and writes it. */
export type Item = Record<string, unknown>;

const JOB_ITEM_ONLY = new Set(['pk', 'sk', 't', 'activeShard', 'doneBuckets', 'failedBuckets', 'stagedParts']);
const TASK_ITEM_ONLY = new Set(['pk', 'sk', 't']);

/** A manual action's audit item as the entry it records. */
export function auditFromItem(item: Item): AuditEntry {
  const entry: AuditEntry = { action: item.action as AuditEntry['action'], by: String(item.by), at: String(item.at) };
  if (item.taskId !== undefined) entry.taskId = String(item.taskId);
  if (item.reason !== undefined) entry.reason = String(item.reason);
  return entry;
}

/** Strips storage-only attributes from a job item (a parent's bucket sets become counts). */
export function jobFromItem(item: Item): JobRecord {
  const out: Item = {};
  for (const [k, v] of Object.entries(item)) if (!JOB_ITEM_ONLY.has(k)) out[k] = v;
  const done = item.doneBuckets as Set<number> | undefined;
  const failed = item.failedBuckets as Set<number> | undefined;
  if (done?.size) out.bucketsDone = done.size;
  if (failed?.size) out.bucketsFailed = failed.size;
  const staged = item.stagedParts as Set<number> | undefined;
  if (out.staging && staged?.size) out.staging = { ...(out.staging as object), done: [...staged].sort((a, b) => a - b) };
  return out as unknown as JobRecord;
}

/** Strips storage-only attributes from a task item. */
export function taskFromItem(item: Item): TaskRecord {
  const out: Item = {};
  for (const [k, v] of Object.entries(item)) if (!TASK_ITEM_ONLY.has(k)) out[k] = v;
  return out as unknown as TaskRecord;
}

/**
 * The item of a job record (a root also gets its place on the list index). A root is created off the active
 * index: the sweeper finds it through the list index and activates it only if it is still unfinished at the
 * activation age (`core/recent-roots.ts`), so a root that finishes quickly costs no active-index write.
 */
export function jobItem(job: JobRecord): Item {
  const item: Item = { ...jobKey(job.jobId), t: 'job', ...job };
  if (job.parentId === undefined) Object.assign(item, listKeyOf(job));
  return item;
}

/**
 * A root's place in the list index: by creation within its month's shard (its sort key is the root's creation
 * key; the shard, by its id, spreads a month's roots over `LIST_SHARDS` partition keys).
 */
export function listKeyOf(job: Pick<JobRecord, 'jobId' | 'createdAt'>): { listPk: string; listSk: string } {
  return { listPk: listPartitionOf(job.createdAt.slice(0, 7), listShardOf(job.jobId)), listSk: creationKey(job) };
}

export const TERMINAL = new Set<JobStatus>(['succeeded', 'failed', 'discarded']);
/** Whether a job id names a root (children's ids have a `.`). */
export const isRoot = (jobId: string) => !jobId.includes('.');

/** The `Item` on a ConditionalCheckFailedException is in the low-level format even through the document client. */
export function unmarshallLoose(item: Record<string, AttributeValue>): Item {
  return unmarshall(item);
}
