/** `GET /jobs`: root jobs newest first, filtered, paginated through the list index (never a Scan). @module */
import type { JobRecord } from '../core/model';
import type { JobStatus } from '../core/statuses';
import type { EngineDeps } from '../ports';
import { rootIdFor } from './jobs-service';

/** Filters of a list request. */
export interface ListQuery {
  owner?: string;
  status?: JobStatus;
  name?: string;
  bizId?: string;
  limit: number;
  cursor?: string;
}

/** One listed job. */
export interface ListItem {
  jobId: string;
  name: string;
  owner: string;
  status: JobStatus;
  bizId?: string;
  createdAt: string;
}

/** Index pages one request may read while filters drop what it finds; then it answers with a cursor. */
const MAX_PAGES_PER_REQUEST = 10;

function item(job: JobRecord): ListItem {
  return { jobId: job.jobId, name: job.name, owner: job.owner, status: job.status, ...(job.bizId !== undefined ? { bizId: job.bizId } : {}), createdAt: job.createdAt };
}

function matches(job: JobRecord, q: ListQuery): boolean {
  return (q.owner === undefined || job.owner === q.owner) && (q.status === undefined || job.status === q.status) && (q.name === undefined || job.name === q.name);
}

/** Lists root jobs. A bizId names at most one job: it is read directly. */
export async function listJobs(deps: EngineDeps, q: ListQuery): Promise<{ items: ListItem[]; cursor?: string }> {
  if (q.bizId !== undefined) {
    const job = await deps.store.getJob(rootIdFor({ name: '', owner: '', bizId: q.bizId }));
    return { items: job && job.bizId === q.bizId && matches(job, q) ? [item(job)] : [] };
  }
  const items: ListItem[] = [];
  let cursor = q.cursor;
  for (let page = 0; page < MAX_PAGES_PER_REQUEST && items.length < q.limit; page++) {
    // A cursor the store did not write is refused by the store itself (JobxError VALIDATION_FAILED, a 400).
    const result = await deps.store.listRoots({ limit: q.limit - items.length, ...(cursor !== undefined ? { cursor } : {}) });
    items.push(...result.jobs.filter((j) => matches(j, q)).map(item));
    cursor = result.cursor;
    if (cursor === undefined) break;
  }
  return cursor !== undefined ? { items, cursor } : { items };
}
