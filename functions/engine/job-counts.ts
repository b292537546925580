/**
 * `GET /jobs/counts`: root jobs by status among the newest ones, read through the list index like `GET /jobs`
 * (never a Scan). Counting every job there ever was would need a Scan, or a counter written on every status
 * change (a write on the engine's hot path for a number only the console shows); a window of the newest roots
 * costs reads only, and says whether it covered them all.
 * @module
 */
import { JOB_STATUSES, type JobStatus } from '../core/statuses';
import type { EngineDeps } from '../ports';

/** Roots counted when the request names no window. */
export const DEFAULT_COUNT_WINDOW = 500;
/** The largest window a request may ask for (each root in it is one item read). */
export const MAX_COUNT_WINDOW = 2_000;
/** Roots read per store page (BatchGetItem takes 100 keys). */
const PAGE = 100;

/** What `GET /jobs/counts` filters by, and how many of the newest roots it looks at. */
export interface CountQuery {
  owner?: string;
  name?: string;
  window: number;
}

/** `GET /jobs/counts`. */
export interface JobCounts {
  /** Matching roots by status, among the roots looked at; every status is present (0 when none). */
  counts: Record<JobStatus, number>;
  /** Roots looked at (the newest ones, matching or not): at most the window. */
  scanned: number;
  /** True when the window covered every root (the counts are then of all roots that match). */
  complete: boolean;
}

/** Counts the matching roots among the newest `window` roots. */
export async function countJobs(deps: EngineDeps, q: CountQuery): Promise<JobCounts> {
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  let scanned = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.rootSummaries({ limit: Math.min(PAGE, q.window - scanned), ...(cursor !== undefined ? { cursor } : {}) });
    scanned += page.roots.length;
    for (const root of page.roots) if ((q.owner === undefined || root.owner === q.owner) && (q.name === undefined || root.name === q.name)) counts[root.status]++;
    cursor = page.cursor;
  } while (cursor !== undefined && scanned < q.window);
  return { counts, scanned, complete: cursor === undefined };
}
