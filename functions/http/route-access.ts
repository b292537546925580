/**
 * Who may call which route: the API's routes grouped by the access they need. The construct grants by these
 * groups (`grantSubmit`, `grantRead`, `grantList`, `grantControl`, `grantWorker`), and a test checks that every
 * route of the router is in exactly one group, so a new route cannot go ungranted or be granted by accident.
 * @module
 */

/** The kinds of access a caller can be granted. `public`: no grant needed beyond reaching the API. */
export type RouteAccess = 'public' | 'submit' | 'read' | 'list' | 'control' | 'worker';

/** One route and the access it needs. Path parameters are `{name}`. */
export interface RouteAccessEntry {
  method: 'GET' | 'POST';
  path: string;
  access: RouteAccess;
}

/** Every route of the API with the access it needs. */
export const ROUTE_ACCESS: readonly RouteAccessEntry[] = [
  { method: 'GET', path: '/health', access: 'public' },
  { method: 'GET', path: '/openapi.json', access: 'public' },
  { method: 'POST', path: '/jobs', access: 'submit' },
  { method: 'GET', path: '/jobs/{jobId}', access: 'read' },
  { method: 'GET', path: '/jobs/{jobId}/tasks/{taskId}', access: 'read' },
  { method: 'GET', path: '/jobs/{jobId}/result', access: 'read' },
  { method: 'GET', path: '/tokens/{token}', access: 'read' },
  { method: 'GET', path: '/executors/{target}', access: 'read' },
  // Read, not list: an IAM grant of `GET /jobs/*` (read) matches `GET /jobs/counts` whatever the table says, and a
  // JWT route `GET /jobs/{jobId}` of its own would catch it too. Counts name no job, so read is also fair.
  { method: 'GET', path: '/jobs/counts', access: 'read' },
  { method: 'GET', path: '/jobs', access: 'list' },
  { method: 'GET', path: '/tokens', access: 'list' },
  { method: 'GET', path: '/executors', access: 'list' },
  { method: 'POST', path: '/jobs/{jobId}/tasks/{taskId}/skip', access: 'control' },
  { method: 'POST', path: '/jobs/{jobId}/tasks/{taskId}/retry', access: 'control' },
  { method: 'POST', path: '/jobs/{jobId}/pause', access: 'control' },
  { method: 'POST', path: '/jobs/{jobId}/resume', access: 'control' },
  { method: 'POST', path: '/jobs/{jobId}/discard', access: 'control' },
  { method: 'POST', path: '/workers/{workerId}/claim', access: 'worker' },
  { method: 'POST', path: '/task-tokens/heartbeat', access: 'worker' },
  { method: 'POST', path: '/task-tokens/success', access: 'worker' },
  { method: 'POST', path: '/task-tokens/failure', access: 'worker' },
];

/** A route by method and path template (`{param}` for a path parameter). */
export interface RouteKey {
  method: 'GET' | 'POST';
  path: string;
}

/**
 * The routes served by the wait function instead of the API function (`lib/wait-function.ts`,
 * `functions/handlers/http-wait.ts`): the result long-poll, whose requests spend their time waiting on DynamoDB
 * reads, so they run at a small memory size, and the API's OpenAPI description, so the API function's bundle does
 * without the code that builds it. API Gateway picks the function by method and path only, so `POST /jobs?wait=N`
 * stays on the API function (callers who want the cheap wait submit, then long-poll the result). The local gateway
 * calls, and bills, the function that would serve each request on AWS by the same list.
 */
export const WAIT_ROUTES: readonly RouteKey[] = [
  { method: 'GET', path: '/jobs/{jobId}/result' },
  { method: 'GET', path: '/openapi.json' },
];

/** {@link WAIT_ROUTES} as matchers, built once (the local gateway asks on every request). */
const WAIT_MATCHERS = WAIT_ROUTES.map((r) => ({ method: r.method, pattern: new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));

/** Whether a request (`/jobs/J1/result`) or a route template (`/jobs/{jobId}/result`) is one of {@link WAIT_ROUTES}. */
export function isWaitRoute(method: string, path: string): boolean {
  const m = method.toUpperCase();
  return WAIT_MATCHERS.some((r) => r.method === m && r.pattern.test(path));
}

/**
 * The execute-api resource paths of one access kind (`{param}` becomes `*`, except `{workerId}`, which becomes
 * `workerId` when one is given: a worker is granted its own claims only).
 */
export function accessPaths(access: Exclude<RouteAccess, 'public'>, workerId?: string): Array<{ method: 'GET' | 'POST'; path: string }> {
  return ROUTE_ACCESS.filter((r) => r.access === access).map((r) => ({
    method: r.method,
    path: r.path.replace('{workerId}', workerId ?? '*').replace(/\{[^}]+\}/g, '*'),
  }));
}
