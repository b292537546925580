/**
 * The console's calls to the API, from the same origin (`/jobs…`). Views are the API's own shapes.
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
  input: unknown;
  env: unknown;
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
  attempts: AttemptView[];
}

/** One task of a job, with every attempt. */
export function getTask(jobId: string, taskId: string): Promise<TaskDetail> {
  return request('GET', `/jobs/${encodeURIComponent(jobId)}/tasks/${encodeURIComponent(taskId)}`);
}

/** A page of `GET /jobs`. */
export interface JobPage {
  items: Array<Pick<JobView, 'jobId' | 'name' | 'owner' | 'status' | 'createdAt'>>;
  cursor?: string;
}

/** An API error as the console shows it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? 'HTTP_ERROR', error?.message ?? `${method} ${path}: ${res.status}`);
  }
  return parsed as T;
}

/** Root jobs newest first, filtered by status (all when empty). */
export function listJobs(filter: { status?: string; cursor?: string; limit?: number }): Promise<JobPage> {
  const q = new URLSearchParams();
  if (filter.status) q.set('status', filter.status);
  if (filter.cursor) q.set('cursor', filter.cursor);
  q.set('limit', String(filter.limit ?? 25));
  return request('GET', `/jobs?${q}`);
}

/** One job with its tasks, children and manual actions. */
export function getJob(jobId: string): Promise<JobView> {
  return request('GET', `/jobs/${encodeURIComponent(jobId)}`);
}

/** A manual action on a job (pause, resume, discard). */
export function act(jobId: string, action: 'pause' | 'resume' | 'discard', reason?: string): Promise<JobView> {
  return request('POST', `/jobs/${encodeURIComponent(jobId)}/${action}`, action === 'discard' && reason ? { reason } : {});
}
