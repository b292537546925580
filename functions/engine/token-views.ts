/**
 * What the API shows of tokens: `GET /tokens` (tokens in use, in name order, a page at a time) and
 * `GET /tokens/{token}` (a token's holder and its whole queue in order, each with its job's name and status).
 * @module
 */
import { JobxError } from '../core/errors';
import { isTerminalJob, type JobStatus } from '../core/statuses';
import type { EngineDeps, JobSummary } from '../ports';

/** The root holding a token, since when, and its job's name and status (absent if its record is gone). */
export interface TokenHolderView {
  jobId: string;
  since: string;
  name?: string;
  status?: JobStatus;
}

/** A root waiting for a token, with its job's name and status (absent if its record is gone). */
export interface TokenWaiterView {
  jobId: string;
  createdAt: string;
  name?: string;
  status?: JobStatus;
}

/** `GET /tokens/{token}`: who holds the token, and who waits for it, in the order they will get it. */
export interface TokenView {
  token: string;
  holder?: TokenHolderView;
  waiters: TokenWaiterView[];
}

/** A token in use, as `GET /tokens` lists it. */
export interface TokenSummary {
  token: string;
  holder?: TokenHolderView;
  /** How many roots wait for it. */
  waiting: number;
}

/** `GET /tokens`: one page of tokens in use, in name order; `cursor` is absent on the last page. */
export interface TokenPage {
  items: TokenSummary[];
  cursor?: string;
}

/** Most waiters `GET /tokens/{token}` shows (the first ones: the queue's order is the order they start in). */
export const MAX_WAITERS_SHOWN = 1000;

/** Token names (the API's name charset): what a cursor may name. */
const TOKEN_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A holder that finished (not failed: a failed root keeps its tokens) is giving its tokens back: shown as free. */
function releasing(holder: JobSummary | undefined): boolean {
  return holder !== undefined && isTerminalJob(holder.status) && holder.status !== 'failed';
}

function withJob<T extends { jobId: string }>(entry: T, job: JobSummary | undefined): T & { name?: string; status?: JobStatus } {
  return job ? { ...entry, name: job.name, status: job.status } : entry;
}

/** `GET /tokens/{token}`: holder and queue; 404 when nobody holds or waits for it. */
export async function tokenView(deps: EngineDeps, token: string): Promise<TokenView> {
  const state = await deps.store.tokenState(token, MAX_WAITERS_SHOWN);
  if (!state.holder && state.waiters.length === 0) throw new JobxError('NOT_FOUND', `token ${token} is neither held nor awaited`, { token });
  const jobs = await deps.store.jobSummaries([...(state.holder ? [state.holder.jobId] : []), ...state.waiters.map((w) => w.jobId)]);
  const view: TokenView = { token, waiters: state.waiters.map((w) => withJob({ jobId: w.jobId, createdAt: w.createdAt }, jobs.get(w.jobId))) };
  // A holder whose release is still on its way (or was lost) shows as free.
  if (state.holder && !releasing(jobs.get(state.holder.jobId))) view.holder = withJob({ ...state.holder }, jobs.get(state.holder.jobId));
  return view;
}

/** The cursor after a token. */
export function tokenCursor(token: string): string {
  return Buffer.from(token, 'utf8').toString('base64url');
}

/** The token a cursor resumes after. @throws JobxError VALIDATION_FAILED for a cursor the API did not write */
export function tokenAfterCursor(cursor: string): string {
  const token = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!TOKEN_NAME.test(token) || tokenCursor(token) !== cursor) throw new JobxError('VALIDATION_FAILED', 'query parameter cursor: not a cursor this API returned');
  return token;
}

/**
 * `GET /tokens`: tokens held or waited for, in name order. The store lists them from an index (eventually
 * consistent); each holder is then read as it is now, so a token given back a moment ago shows as free, and a
 * token with neither holder nor waiters left is not shown (a page may then hold fewer than `limit`).
 */
export async function listTokens(deps: EngineDeps, q: { limit: number; cursor?: string }): Promise<TokenPage> {
  const after = q.cursor === undefined ? undefined : tokenAfterCursor(q.cursor);
  const { tokens, more } = await deps.store.listTokens({ limit: q.limit, ...(after !== undefined ? { after } : {}) });
  const holders = await deps.store.jobSummaries(tokens.flatMap((t) => (t.holder ? [t.holder.jobId] : [])));
  const items: TokenSummary[] = [];
  for (const use of tokens) {
    const holder = use.holder && !releasing(holders.get(use.holder.jobId)) ? withJob({ ...use.holder }, holders.get(use.holder.jobId)) : undefined;
    if (!holder && use.waiting === 0) continue;
    items.push(holder ? { token: use.token, holder, waiting: use.waiting } : { token: use.token, waiting: use.waiting });
  }
  const last = tokens[tokens.length - 1];
  return more && last ? { items, cursor: tokenCursor(last.token) } : { items };
}
