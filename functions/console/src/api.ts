/**
 * The console's calls to the API, from the same origin (`/jobs…`). Views are the API's own shapes.
 *
 * Reads are conditional: each GET sends the `ETag` it last saw (`If-None-Match`) and, on `304 Not Modified` or an
 * identical body, hands back the very object it returned before, so a polled view that did not change is not
 * re-rendered at all (views compare by identity).
 * @module
 */

/** A task as the job view lists it. */
export interface TaskSummary {
  taskId: string;
  name: string;
  provider: string;
  status: string;
  attempts: number;
  reason?: string;
  retryAt?: string;
  preLock?: string;
  startedAt?: string;
  endedAt?: string;
}

/** A child as the job view lists it. */
export interface ChildSummary {
  jobId: string;
  name: string;
  status: string;
}

/** One manual action on a job. */
export interface AuditEntry {
  action: string;
  by: string;
  at: string;
  taskId?: string;
  reason?: string;
}

/** The job view (`GET /jobs/{jobId}`). */
export interface JobView {
  jobId: string;
  name: string;
  owner: string;
  status: string;
  reason?: string;
  bizId?: string;
  parentId?: string;
  rootId: string;
  pausable?: boolean;
  tokens?: string[];
  preLock?: string;
  createdAt: string;
  updatedAt: string;
  createdBy?: string;
  tasks: TaskSummary[];
  children: ChildSummary[];
  actions?: AuditEntry[];
  input?: unknown;
  env?: unknown;
  output?: unknown;
}

/** One attempt of a task, as `GET /jobs/{jobId}/tasks/{taskId}` shows it. */
export interface AttemptView {
  attempt: number;
  manual: boolean;
  status: string;
  input: Record<string, unknown>;
  env: Record<string, unknown>;
  context: unknown;
  output?: unknown;
  error?: { message: string; code?: string; retryable?: boolean };
  startedAt: string;
  endedAt?: string;
}

/** A task with every attempt. */
export interface TaskDetail {
  taskId: string;
  name: string;
  provider: string;
  status: string;
  reason?: string;
  retryAt?: string;
  preLock?: string;
  input: Record<string, unknown>;
  env: Record<string, unknown>;
  output?: unknown;
  attempts: AttemptView[];
}

/** A page of `GET /jobs`. */
export interface JobPage {
  items: Array<Pick<JobView, 'jobId' | 'name' | 'owner' | 'status' | 'bizId' | 'createdAt'>>;
  cursor?: string;
}

/** Filters of the job list. */
export interface JobFilter {
  status?: string;
  owner?: string;
  name?: string;
  bizId?: string;
}

/** Root jobs by status among the newest ones (`GET /jobs/counts`). */
export interface JobCounts {
  counts: Record<string, number>;
  scanned: number;
  complete: boolean;
}

/** A token's holder and its queue in order (`GET /tokens/{token}`). */
export interface TokenView {
  token: string;
  holder?: { jobId: string; since?: string; name?: string; status?: string };
  waiters: Array<{ jobId: string; createdAt: string; name?: string; status?: string }>;
}

/** A page of tokens in use (`GET /tokens`). */
export interface TokenPage {
  items: Array<{ token: string; holder?: { jobId: string; since?: string }; waiting: number }>;
  cursor?: string;
}

/** A worker inbox: an executor's (`exec:<id>`) or an external provider's (`prov:<name>`). */
export interface ExecutorSummary {
  target: string;
  offersWaiting: number;
  oldestOfferAt?: string;
  recentClaims: Array<{ jobId: string; taskId: string; attempt: number; workerId?: string; at: string }>;
}

/** One inbox with its waiting offers (`GET /executors/{target}`). */
export interface ExecutorDetail extends ExecutorSummary {
  offers: Array<{ jobId: string; taskId: string; attempt: number; visibleAt: string }>;
}

/** An API error as the console shows it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Extra headers of every call (the sign-in's bearer token); set once by the app's boot. */
let extraHeaders: () => Record<string, string> = () => ({});
/** Called when the API answers 401 (a token that expired: sign in again). */
let unauthorized: () => void = () => {};

/** Wires the sign-in into every call. */
export function useAuthorization(headers: () => Record<string, string>, onUnauthorized: () => void): void {
  extraHeaders = headers;
  unauthorized = onUnauthorized;
}

/** The last answer of each GET path: its tag, its body's text and the object handed out for it. */
const seen = new Map<string, { etag?: string; text: string; value: unknown }>();

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const cached = method === 'GET' ? seen.get(path) : undefined;
  const headers: Record<string, string> = { ...extraHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (cached?.etag) headers['if-none-match'] = cached.etag;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 304 && cached) return cached.value as T;
  const text = await res.text();
  if (res.status === 401) unauthorized();
  if (!res.ok) {
    const parsed = safeParse(text) as { error?: { code?: string; message?: string; details?: unknown } } | undefined;
    const error = parsed?.error;
    throw new ApiError(res.status, error?.code ?? 'HTTP_ERROR', error?.message ?? `${method} ${path}: ${res.status}`, error?.details);
  }
  if (method !== 'GET') return (text ? JSON.parse(text) : undefined) as T;
  const etag = res.headers.get('etag') ?? undefined;
  // The same body as before (a server without tags, or a tag that changed for nothing): the same object.
  if (cached && cached.text === text) {
    if (etag) cached.etag = etag;
    return cached.value as T;
  }
  const value = (text ? JSON.parse(text) : undefined) as T;
  seen.set(path, { ...(etag ? { etag } : {}), text, value });
  return value;
}

function safeParse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

const enc = encodeURIComponent;

/** Root jobs newest first, filtered (every filter optional). */
export function listJobs(filter: JobFilter & { cursor?: string; limit?: number }): Promise<JobPage> {
  const q = new URLSearchParams();
  for (const key of ['status', 'owner', 'name', 'bizId', 'cursor'] as const) if (filter[key]) q.set(key, filter[key]!);
  q.set('limit', String(filter.limit ?? 25));
  return request('GET', `/jobs?${q}`);
}

/** Counts of root jobs by status among the newest, for an owner and name (both optional). */
export function getCounts(filter: Pick<JobFilter, 'owner' | 'name'>): Promise<JobCounts> {
  const q = new URLSearchParams();
  if (filter.owner) q.set('owner', filter.owner);
  if (filter.name) q.set('name', filter.name);
  return request('GET', `/jobs/counts${q.size ? `?${q}` : ''}`);
}

/** One job with its tasks, children and manual actions. */
export function getJob(jobId: string): Promise<JobView> {
  return request('GET', `/jobs/${enc(jobId)}`);
}

/** One task of a job, with every attempt. */
export function getTask(jobId: string, taskId: string): Promise<TaskDetail> {
  return request('GET', `/jobs/${enc(jobId)}/tasks/${enc(taskId)}`);
}

/** A manual action on a job (pause, resume, discard with a reason). */
export function act(jobId: string, action: 'pause' | 'resume' | 'discard', reason?: string): Promise<JobView> {
  return request('POST', `/jobs/${enc(jobId)}/${action}`, action === 'discard' && reason ? { reason } : {});
}

/** Skips a task: the pipeline continues with `output`. */
export function skipTask(jobId: string, taskId: string, body: { output?: Record<string, unknown>; reason?: string }): Promise<TaskDetail> {
  return request('POST', `/jobs/${enc(jobId)}/tasks/${enc(taskId)}/skip`, body);
}

/** Retries a task in place, with edited input and env merged into (or replacing) the last ones. */
export function retryTask(jobId: string, taskId: string, body: { input?: Record<string, unknown>; env?: Record<string, unknown>; replace?: boolean }): Promise<TaskDetail> {
  return request('POST', `/jobs/${enc(jobId)}/tasks/${enc(taskId)}/retry`, body);
}

/** Tokens in use, a page at a time. */
export function listTokens(cursor?: string): Promise<TokenPage> {
  return request('GET', `/tokens${cursor ? `?cursor=${enc(cursor)}` : ''}`);
}

/** A token's holder and queue. */
export function getToken(token: string): Promise<TokenView> {
  return request('GET', `/tokens/${enc(token)}`);
}

/** Every worker inbox with its waiting offers and recent claims. */
export function listExecutors(): Promise<ExecutorSummary[]> {
  return request('GET', '/executors');
}

/** One worker inbox with its waiting offers. */
export function getExecutor(target: string): Promise<ExecutorDetail> {
  return request('GET', `/executors/${enc(target)}`);
}
