/** A tiny HTTP client for the jobx API in tests. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

/** A client for `baseUrl` (or for a URL known only later, e.g. once a stack started in `beforeAll`). */
export function api(baseUrl: string | (() => string)) {
  const base = typeof baseUrl === 'function' ? baseUrl : () => baseUrl;
  const call = async <T = any>(method: string, path: string, body?: unknown, raw?: string, headers: Record<string, string> = {}): Promise<ApiResponse<T>> => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as T) : (undefined as T) };
  };
  return {
    call,
    submit: (spec: unknown, query = '') => call('POST', `/jobs${query}`, spec),
    /** Reports on an attempt by its task token (in the x-jobx-task-token header, never the path). */
    taskToken: (action: 'heartbeat' | 'success' | 'failure', token: string, body?: unknown) => call('POST', `/task-tokens/${action}`, body, undefined, { 'x-jobx-task-token': token }),
    job: (jobId: string) => call('GET', `/jobs/${encodeURIComponent(jobId)}`),
    task: (jobId: string, taskId: string) => call('GET', `/jobs/${encodeURIComponent(jobId)}/tasks/${taskId}`),
    result: (jobId: string, wait = 0) => call('GET', `/jobs/${encodeURIComponent(jobId)}/result?wait=${wait}`),
    /** Long-polls the result across several requests until finished or `timeoutMs`. */
    async waitResult(jobId: string, timeoutMs = 60_000): Promise<ApiResponse> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const left = Math.max(0, Math.min(25, Math.ceil((deadline - Date.now()) / 1000)));
        const res = await call('GET', `/jobs/${encodeURIComponent(jobId)}/result?wait=${left}`);
        if (res.status !== 202 || Date.now() >= deadline) return res;
      }
    },
  };
}
