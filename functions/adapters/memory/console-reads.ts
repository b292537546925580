/**
 * The in-memory store's answers to what the console reads (tokens in use, worker inboxes, job summaries), as
 * functions of its maps, with the DynamoDB store's behaviour: tokens in name order, offers counted from their
 * markers and listed by visible time, claims newest first. `job-store.ts` delegates to them.
 * @module
 */
import type { JobRecord } from '../../core/model';
import type { InboxClaim, InboxSummary, JobSummary, TokenUse, WaitingOffer } from '../../ports';

/** Claim records kept per inbox (the DynamoDB store keeps a day's; the console reads the newest twenty). */
export const CLAIMS_KEPT = 100;

/** What names a job and says where it stands. */
export function summaryOf(job: Pick<JobRecord, 'jobId' | 'name' | 'owner' | 'status'>): JobSummary {
  return { jobId: job.jobId, name: job.name, owner: job.owner, status: job.status };
}

/** Tokens held or waited for, in name order, after `after`, `limit` at a time. */
export function tokenUses(
  holders: ReadonlyMap<string, { jobId: string; since: string }>,
  waiters: ReadonlyMap<string, ReadonlyMap<string, unknown>>,
  query: { limit: number; after?: string },
): { tokens: TokenUse[]; more: boolean } {
  const names = new Set([...holders.keys(), ...[...waiters].filter(([, queue]) => queue.size > 0).map(([token]) => token)]);
  const sorted = [...names].filter((t) => query.after === undefined || t > query.after).sort();
  const tokens = sorted.slice(0, query.limit).map((token) => {
    const holder = holders.get(token);
    const waiting = waiters.get(token)?.size ?? 0;
    return holder ? { token, holder: { ...holder }, waiting } : { token, waiting };
  });
  return { tokens, more: sorted.length > query.limit };
}

/**
 * An inbox's markers (`target#jobId#taskIndex#attempt` → the offer key, `<visibleAt>#…`) and claim records as
 * {@link InboxSummary}.
 */
export function inboxSummaryOf(target: string, markers: ReadonlyMap<string, string>, claims: readonly InboxClaim[] | undefined, opts: { offers: number; claims: number }): InboxSummary {
  const waiting: WaitingOffer[] = [];
  for (const [marker, key] of markers) {
    if (!marker.startsWith(`${target}#`)) continue;
    const [jobId, taskIndex, attempt] = marker.slice(target.length + 1).split('#');
    waiting.push({ jobId: jobId!, taskIndex: Number(taskIndex), attempt: Number(attempt), visibleAt: Number(key.split('#')[0]) });
  }
  waiting.sort((a, b) => a.visibleAt - b.visibleAt || (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : a.taskIndex - b.taskIndex || a.attempt - b.attempt));
  const newest = [...(claims ?? [])].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return { offersWaiting: waiting.length, offers: waiting.slice(0, Math.max(0, opts.offers)), recentClaims: newest.slice(0, Math.max(0, opts.claims)).map((c) => ({ ...c })) };
}
