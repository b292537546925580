/**
 * `GET /executors` and `GET /executors/{target}`: the worker inboxes (an executor's `exec:<id>`, an external
 * provider's `prov:<name>`), what waits in each and what was claimed from each lately. Tasks that Lambda
 * providers run have no inbox and do not show here. An inbox is listed when the deployment declares it (an
 * external provider, or an executor with a provider deployment) or once a task was offered to it.
 * @module
 */
import { JobxError } from '../core/errors';
import { taskIdOf } from '../core/model';
import type { EngineDeps, InboxClaim, InboxSummary, WaitingOffer } from '../ports';

/** One claim from an inbox. */
export interface ClaimView {
  jobId: string;
  taskId: string;
  attempt: number;
  /** The worker that claimed it (the id in its claim's path). */
  workerId: string;
  at: string;
}

/** An attempt waiting in an inbox, claimable from `visibleAt`. */
export interface OfferView {
  jobId: string;
  taskId: string;
  attempt: number;
  visibleAt: string;
}

/** A worker inbox as `GET /executors` lists it. */
export interface ExecutorSummary {
  /** `exec:<id>` or `prov:<name>`. */
  target: string;
  /** Offers waiting, claimable now or later. */
  offersWaiting: number;
  /** The earliest visible time of the waiting offers. */
  oldestOfferAt?: string;
  /** The newest claims of the last day, newest first. */
  recentClaims: ClaimView[];
}

/** `GET /executors/{target}`: an inbox with its first waiting offers, by visible time. */
export interface ExecutorDetail extends ExecutorSummary {
  offers: OfferView[];
}

/** Claims shown per inbox. */
export const RECENT_CLAIMS = 20;
/** Offers `GET /executors/{target}` shows. */
export const OFFERS_SHOWN = 50;
/** Inboxes `GET /executors` lists (in name order); each costs two small Queries. */
export const MAX_EXECUTORS = 200;
/** Inboxes read at once. */
const CONCURRENCY = 8;

const iso = (ms: number) => new Date(ms).toISOString();
const claimView = (c: InboxClaim): ClaimView => ({ jobId: c.jobId, taskId: taskIdOf(c.taskIndex), attempt: c.attempt, workerId: c.workerId, at: c.at });
const offerView = (o: WaitingOffer): OfferView => ({ jobId: o.jobId, taskId: taskIdOf(o.taskIndex), attempt: o.attempt, visibleAt: iso(o.visibleAt) });

function summaryView(target: string, s: InboxSummary): ExecutorSummary {
  const oldest = s.offers[0];
  return { target, offersWaiting: s.offersWaiting, ...(oldest ? { oldestOfferAt: iso(oldest.visibleAt) } : {}), recentClaims: s.recentClaims.map(claimView) };
}

/** The inboxes the deployment declares and the ones that were offered a task, in name order. */
async function knownTargets(deps: EngineDeps): Promise<string[]> {
  return [...new Set([...deps.queue.declaredInboxes(), ...(await deps.store.inboxTargets())])].sort();
}

/** `GET /executors`: every known inbox (the first {@link MAX_EXECUTORS} by name). */
export async function listExecutors(deps: EngineDeps): Promise<ExecutorSummary[]> {
  const targets = (await knownTargets(deps)).slice(0, MAX_EXECUTORS);
  const out: ExecutorSummary[] = new Array<ExecutorSummary>(targets.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, targets.length) }, async () => {
      for (let i = next++; i < targets.length; i = next++) out[i] = summaryView(targets[i]!, await deps.store.inboxSummary(targets[i]!, { offers: 1, claims: RECENT_CLAIMS }));
    }),
  );
  return out;
}

/** `GET /executors/{target}`; 404 for an inbox that is neither known nor holds anything. */
export async function executorView(deps: EngineDeps, target: string): Promise<ExecutorDetail> {
  const [summary, known] = await Promise.all([deps.store.inboxSummary(target, { offers: OFFERS_SHOWN, claims: RECENT_CLAIMS }), knownTargets(deps)]);
  if (!known.includes(target) && summary.offersWaiting === 0 && summary.recentClaims.length === 0) throw new JobxError('NOT_FOUND', `no worker inbox ${target}`, { target });
  return { ...summaryView(target, summary), offers: summary.offers.map(offerView) };
}
