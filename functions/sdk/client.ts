/**
 * `JobxClient`: the jobx HTTP API over `fetch`, with SigV4 signing, typed errors and long-polls of any length.
 * @module
 */
import { errorFromResponse, JobxApiError } from './errors';
import { JobBuilder, type JobOptions } from './job-builder';
import { createSigner, regionFromUrl, type Signer } from './signer';
import type {
  DiscardOptions,
  HealthView,
  JobListItem,
  JobListPage,
  JobResultView,
  JobSpec,
  JobView,
  JobxClientOptions,
  ListFilter,
  ResultOptions,
  RetryOptions,
  SkipOptions,
  SubmitOptions,
  TaskDetailView,
} from './types';

/**
 * The local stack's address, used when neither `baseUrl` nor `JOBX_URL` is set.
 * @example
 * ```ts
 * new JobxClient().baseUrl === DEFAULT_BASE_URL; // true unless JOBX_URL is set
 * ```
 */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:3000';
/**
 * Longest `?wait=` the API accepts; longer waits are split into several requests.
 * @example
 * ```ts
 * await client.result(jobId, { wait: 3 * MAX_WAIT_PER_REQUEST_SECONDS }); // three long-polls at most
 * ```
 */
export const MAX_WAIT_PER_REQUEST_SECONDS = 25;
const DEFAULT_TIMEOUT_MS = 30_000;
const TERMINAL = new Set(['succeeded', 'failed', 'discarded']);

interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Server-side wait of this request (added to the request's time limit). */
  waitSeconds?: number;
  signal?: AbortSignal | undefined;
}

interface RawResponse {
  status: number;
  body: unknown;
}

function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name] || undefined;
}

function seg(id: string): string {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError(`expected a non-empty id, got ${JSON.stringify(id)}`);
  return encodeURIComponent(id);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** True for a job status after which nothing runs any more. */
function isFinished(status: string): boolean {
  return TERMINAL.has(status);
}

/**
 * A client of the jobx API: submit jobs, read them, wait for results, act on them by hand, list them.
 *
 * Works against the local stack (`jobx dev`, plain HTTP) and against API Gateway (pass `credentials` to sign every
 * request with SigV4 for `execute-api`). Every failure is a {@link JobxApiError} with `status` and `code`.
 * Waits of any length are split into long-polls of at most 25 s each.
 *
 * @example
 * ```ts
 * import { JobxClient } from 'jobx/sdk';
 *
 * const client = new JobxClient({ baseUrl: 'http://127.0.0.1:3000' });
 * const job = await client.submit({ name: 'jober1', owner: 'sqc', tasks: [{ name: 'task_1', provider: 'demo' }] }, { wait: 30 });
 * console.log(job.status); // 'succeeded'
 * ```
 */
export class JobxClient {
  /** Current options (replace them with `configure`). */
  protected options: Readonly<JobxClientOptions>;
  private signer: Signer | undefined;
  private signerFor: JobxClientOptions | undefined;

  /**
   * @param options - base URL, credentials, fetch, headers; see {@link JobxClientOptions}
   * @example
   * ```ts
   * const client = new JobxClient({ baseUrl: process.env.JOBX_URL });
   * ```
   */
  constructor(options: JobxClientOptions = {}) {
    this.options = Object.freeze({ ...options });
  }

  /**
   * The base URL requests go to (`baseUrl`, else `JOBX_URL`, else the local stack's `http://127.0.0.1:3000`).
   * @example
   * ```ts
   * new JobxClient().baseUrl; // 'http://127.0.0.1:3000' unless JOBX_URL is set
   * ```
   */
  get baseUrl(): string {
    return (this.options.baseUrl ?? env('JOBX_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  }

  /**
   * Starts a fluent job definition bound to this client (the original library's `NewJober(name, owner)`).
   * @param name - the job's name
   * @param owner - who owns it
   * @param options - desc, input, env, bizId, pausable, retry, tokens, preLock
   * @example
   * ```ts
   * const job = await client.job('jober1', 'sqc', { env: { env: 'test' } })
   *   .pipeline('task_1', 'demo')
   *   .pipeline('task_2', 'demo', { input: { all_config: 'yes' } })
   *   .submit({ wait: 30 });
   * ```
   */
  job(name: string, owner: string, options: JobOptions = {}): JobBuilder {
    return new JobBuilder(name, owner, options, this);
  }

  /**
   * `GET /health`.
   * @example
   * ```ts
   * await client.health(); // { status: 'ok' }
   * ```
   */
  async health(options: { signal?: AbortSignal } = {}): Promise<HealthView> {
    return (await this.call<HealthView>({ method: 'GET', path: '/health', signal: options.signal })).body as HealthView;
  }

  /**
   * Submits a job (a spec or a {@link JobBuilder}); with `wait`, waits up to that many seconds for it to finish.
   * Returns the job view: finished if it finished in time, else as it is now. A `bizId` already used returns the
   * existing job (nothing new is created).
   * @param spec - the job spec (`{ name, owner, tasks | children, … }`) or a builder
   * @param options - `wait`: seconds to wait for the end (any length; long-polls of ≤ 25 s)
   * @example
   * ```ts
   * const job = await client.submit({ name: 'one', owner: 'sqc', tasks: [{ name: 'task_1', provider: 'demo' }] }, { wait: 60 });
   * if (job.status !== 'succeeded') console.error(job.reason);
   * ```
   */
  async submit(spec: JobSpec | JobBuilder, options: SubmitOptions = {}): Promise<JobView> {
    const body = spec instanceof JobBuilder ? spec.toSpec() : spec;
    const wait = Math.max(0, options.wait ?? 0);
    const deadline = Date.now() + wait * 1000;
    const first = Math.min(MAX_WAIT_PER_REQUEST_SECONDS, Math.ceil(wait));
    const res = await this.call<JobView>({
      method: 'POST',
      path: '/jobs',
      query: { wait: first > 0 ? first : undefined },
      body,
      waitSeconds: first,
      signal: options.signal,
    });
    const job = res.body as JobView;
    if (wait <= 0 || isFinished(job.status) || Date.now() >= deadline) return job;
    const left = (deadline - Date.now()) / 1000;
    const result = await this.result(job.jobId, { wait: left, ...(options.signal ? { signal: options.signal } : {}) });
    if (!result.finished && result.status === job.status) return job;
    return this.get(job.jobId, { ...(options.signal ? { signal: options.signal } : {}) });
  }

  /**
   * `GET /jobs/{jobId}`: the job with its tasks (attempt counts) and children.
   * @example
   * ```ts
   * const job = await client.get('01JD4X…');
   * for (const t of job.tasks) console.log(t.taskId, t.name, t.status, t.attempts);
   * ```
   */
  async get(jobId: string, options: { signal?: AbortSignal } = {}): Promise<JobView> {
    return (await this.call<JobView>({ method: 'GET', path: `/jobs/${seg(jobId)}`, signal: options.signal })).body as JobView;
  }

  /**
   * `GET /jobs/{jobId}/tasks/{taskId}`: one task with every attempt. `taskId` is `t1`, `t2`, … in pipeline order,
   * or the task's name (an id wins over a task named like one); `NOT_FOUND` (404) when the job has no such task.
   * @example
   * ```ts
   * const t = await client.task(jobId, 't3'); // or client.task(jobId, 'task_3')
   * for (const a of t.attempts) console.log(a.attempt, a.manual, a.status, a.error?.message);
   * ```
   */
  async task(jobId: string, taskId: string, options: { signal?: AbortSignal } = {}): Promise<TaskDetailView> {
    return (await this.call<TaskDetailView>({ method: 'GET', path: `/jobs/${seg(jobId)}/tasks/${seg(taskId)}`, signal: options.signal })).body as TaskDetailView;
  }

  /**
   * The job's result; with `wait`, waits up to that many seconds (any length) for it to finish.
   * `finished: false` means it was still running when the time was up.
   * @example
   * ```ts
   * const r = await client.result(jobId, { wait: 120 });
   * if (r.finished) console.log(r.status, r.output);
   * ```
   */
  async result(jobId: string, options: ResultOptions = {}): Promise<JobResultView> {
    const wait = Math.max(0, options.wait ?? 0);
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      const left = Math.min(MAX_WAIT_PER_REQUEST_SECONDS, Math.max(0, Math.ceil((deadline - Date.now()) / 1000)));
      const asked = Date.now();
      const res = await this.call<Record<string, unknown>>({
        method: 'GET',
        path: `/jobs/${seg(jobId)}/result`,
        query: { wait: left > 0 ? left : undefined },
        waitSeconds: left,
        signal: options.signal,
      });
      const body = res.body as { jobId: string; status: JobView['status'] };
      if (res.status !== 202) return { ...(res.body as object), finished: true } as JobResultView;
      if (Date.now() >= deadline - 50 || left === 0) return { jobId: body.jobId, status: body.status, finished: false };
      // A 202 long before the wait asked for (a proxy, a server that ignores ?wait): pace the next ask.
      const early = left * 1000 - (Date.now() - asked);
      if (early > 500) await sleep(Math.min(1000, early, Math.max(0, deadline - Date.now())), options.signal);
    }
  }

  /**
   * `POST /jobs/{jobId}/tasks/{taskId}/skip`: a failed (or pending/retrying) task becomes `skipped` and the
   * pipeline moves on with `output` (default `{}`). `taskId` is the task's id (`t2`) or its name. Throws
   * `INVALID_STATE` (409) when the task cannot be skipped, `NOT_FOUND` (404) when the job has no such task.
   * @example
   * ```ts
   * await client.skip(jobId, 't2', { reason: 'done by hand', output: { url: 's3://b/k' } });
   * await client.skip(jobId, 'upload', { reason: 'uploaded by hand' }); // by name
   * ```
   */
  async skip(jobId: string, taskId: string, options: SkipOptions = {}): Promise<TaskDetailView> {
    return (await this.call<TaskDetailView>({ method: 'POST', path: `/jobs/${seg(jobId)}/tasks/${seg(taskId)}/skip`, body: options })).body as TaskDetailView;
  }

  /**
   * `POST /jobs/{jobId}/tasks/{taskId}/retry`: a failed task runs again as a new manual attempt, with `input`/`env`
   * merged over the old ones (or replacing them with `replace: true`); the job goes back to `running`. `taskId`
   * is the task's id (`t1`) or its name.
   * @example
   * ```ts
   * await client.retry(jobId, 't1', { input: { fail: false } }); // or client.retry(jobId, 'task_1', …)
   * const job = await client.result(jobId, { wait: 30 });
   * ```
   */
  async retry(jobId: string, taskId: string, options: RetryOptions = {}): Promise<TaskDetailView> {
    return (await this.call<TaskDetailView>({ method: 'POST', path: `/jobs/${seg(jobId)}/tasks/${seg(taskId)}/retry`, body: options })).body as TaskDetailView;
  }

  /**
   * `POST /jobs/{jobId}/pause`: running tasks finish, no new task starts until {@link JobxClient.resume}.
   * Throws `NOT_PAUSABLE` (400) for a job submitted with `pausable: false`, `INVALID_STATE` (409) when finished.
   * @example
   * ```ts
   * const job = await client.pause(jobId); // job.status === 'paused'
   * ```
   */
  async pause(jobId: string): Promise<JobView> {
    return (await this.call<JobView>({ method: 'POST', path: `/jobs/${seg(jobId)}/pause` })).body as JobView;
  }

  /**
   * `POST /jobs/{jobId}/resume`: a paused job continues where it stopped.
   * @example
   * ```ts
   * await client.resume(jobId);
   * ```
   */
  async resume(jobId: string): Promise<JobView> {
    return (await this.call<JobView>({ method: 'POST', path: `/jobs/${seg(jobId)}/resume` })).body as JobView;
  }

  /**
   * `POST /jobs/{jobId}/discard`: the job and its unfinished children and tasks become `discarded` (terminal).
   * @example
   * ```ts
   * await client.discard(jobId, { reason: 'customer cancelled' });
   * ```
   */
  async discard(jobId: string, options: DiscardOptions = {}): Promise<JobView> {
    return (await this.call<JobView>({ method: 'POST', path: `/jobs/${seg(jobId)}/discard`, body: options })).body as JobView;
  }

  /**
   * One page of `GET /jobs` (newest first); pass the returned `cursor` back for the next page.
   * @example
   * ```ts
   * let page = await client.listPage({ owner: 'sqc', limit: 50 });
   * while (page.cursor) page = await client.listPage({ owner: 'sqc', limit: 50, cursor: page.cursor });
   * ```
   */
  async listPage(filter: ListFilter = {}): Promise<JobListPage> {
    const { signal, ...query } = filter;
    const res = await this.call<JobListPage>({ method: 'GET', path: '/jobs', query: { ...query }, signal });
    return res.body as JobListPage;
  }

  /**
   * Lists jobs newest first, following `cursor` from page to page: iterate the jobs with `for await`, or the pages
   * with `.pages()`. `limit` is the page size; stop early with `break`.
   * @example
   * ```ts
   * for await (const job of client.list({ status: 'failed', owner: 'sqc' })) {
   *   console.log(job.jobId, job.name, job.createdAt);
   * }
   * for await (const page of client.list({ limit: 100 }).pages()) console.log(page.items.length);
   * ```
   */
  list(filter: ListFilter = {}): JobList {
    return new JobList(this, filter);
  }

  /** Signs (with credentials) and sends one request; returns status and parsed body or throws a JobxApiError. */
  private async call<T>(spec: RequestSpec): Promise<RawResponse & { body: T | unknown }> {
    const url = new URL(this.baseUrl + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const pathAndQuery = url.pathname + url.search;
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const extra = typeof this.options.headers === 'function' ? await this.options.headers() : (this.options.headers ?? {});
    let headers: Record<string, string> = { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...extra };
    const signer = this.getSigner();
    if (signer) headers = await signer({ method: spec.method, url, headers, ...(body !== undefined ? { body } : {}) });
    const doFetch = this.options.fetch ?? globalThis.fetch;
    const limitMs = (this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS) + (spec.waitSeconds ?? 0) * 1000;
    const timeout = AbortSignal.timeout(limitMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, { method: spec.method, headers, ...(body !== undefined ? { body } : {}), signal });
      text = await res.text();
    } catch (err) {
      if (spec.signal?.aborted) throw err;
      if (timeout.aborted) {
        throw new JobxApiError({ status: 0, code: 'TIMEOUT', message: `${spec.method} ${pathAndQuery} got no answer within ${limitMs} ms`, method: spec.method, path: pathAndQuery, cause: err });
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new JobxApiError({ status: 0, code: 'NETWORK_ERROR', message: `${spec.method} ${url.origin}${pathAndQuery} failed: ${detail}`, method: spec.method, path: pathAndQuery, cause: err });
    }
    let parsed: unknown = undefined;
    let parseFailed = false;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        parseFailed = true;
      }
    }
    const requestId = res.headers.get('apigw-requestid') ?? res.headers.get('x-amzn-requestid') ?? undefined;
    if (res.status >= 400) {
      throw errorFromResponse({ status: res.status, statusText: res.statusText, body: parsed, text, method: spec.method, path: pathAndQuery, ...(requestId ? { requestId } : {}) });
    }
    if (parseFailed || parsed === undefined) {
      throw new JobxApiError({
        status: res.status,
        code: 'BAD_RESPONSE',
        message: `${spec.method} ${pathAndQuery} answered ${res.status} without a JSON body`,
        method: spec.method,
        path: pathAndQuery,
        ...(requestId ? { requestId } : {}),
      });
    }
    return { status: res.status, body: parsed };
  }

  private getSigner(): Signer | undefined {
    const { credentials } = this.options;
    if (!credentials) return undefined;
    if (this.signer && this.signerFor === this.options) return this.signer;
    this.signer = createSigner({ credentials, region: this.options.region ?? regionFromUrl(this.baseUrl) ?? env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? 'us-east-1' });
    this.signerFor = this.options;
    return this.signer;
  }
}

/**
 * A listing returned by {@link JobxClient.list}: an async iterable of jobs (newest first) that fetches the next page
 * when the current one is used up; `.pages()` iterates whole pages instead.
 * @example
 * ```ts
 * const failed: JobListItem[] = [];
 * for await (const job of jobx.list({ status: 'failed' })) failed.push(job);
 * ```
 */
export class JobList implements AsyncIterable<JobListItem> {
  /**
   * Prefer {@link JobxClient.list}, which makes one.
   * @param client - the client that fetches the pages
   * @param filter - the listing's filter; `limit` is the page size
   * @example
   * ```ts
   * const failed = new JobList(client, { status: 'failed' });
   * ```
   */
  constructor(
    private readonly client: JobxClient,
    private readonly filter: ListFilter,
  ) {}

  /**
   * Iterates pages, following `cursor` until the last page. Pages may hold fewer jobs than `limit`; empty pages
   * are skipped (an empty listing yields one empty page).
   * @example
   * ```ts
   * for await (const page of jobx.list({ owner: 'sqc', limit: 100 }).pages()) console.log(page.items.length, page.cursor);
   * ```
   */
  async *pages(): AsyncGenerator<JobListPage, void, undefined> {
    let cursor = this.filter.cursor;
    let yielded = false;
    for (;;) {
      const page = await this.client.listPage({ ...this.filter, ...(cursor !== undefined ? { cursor } : {}) });
      // The API may answer an empty page with a cursor (a filter that matched nothing in what it read, or a full
      // page just before the end): such pages are skipped; an empty listing still yields one empty page.
      const last = !page.cursor || page.cursor === cursor;
      if (page.items.length > 0 || (last && !yielded)) {
        yielded = true;
        yield page;
      }
      if (last) return;
      cursor = page.cursor;
    }
  }

  /**
   * Iterates jobs across pages.
   * @example
   * ```ts
   * for await (const job of jobx.list({ name: 'jober1' })) console.log(job.jobId);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<JobListItem, void, undefined> {
    for await (const page of this.pages()) yield* page.items;
  }

  /**
   * Collects up to `max` jobs (default: all of them) into an array.
   * @example
   * ```ts
   * const latest = await jobx.list({ owner: 'sqc' }).toArray(10);
   * ```
   */
  async toArray(max = Number.POSITIVE_INFINITY): Promise<JobListItem[]> {
    const out: JobListItem[] = [];
    if (max <= 0) return out;
    for await (const item of this) {
      out.push(item);
      if (out.length >= max) break;
    }
    return out;
  }
}
