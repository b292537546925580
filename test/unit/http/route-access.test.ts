import { describe, expect, it } from 'vitest';
import { ROUTE_ACCESS, WAIT_ROUTES, accessPaths, isWaitRoute } from '../../../functions/http/route-access';
import { routes as apiRoutes } from '../../../functions/handlers/http-api';
import { routes as waitRoutes } from '../../../functions/handlers/http-wait';

const routes = [...apiRoutes, ...waitRoutes];

describe('route access (what grantSubmit, grantRead, grantList, grantControl and grantWorker cover)', () => {
  it('every route of the router is in exactly one access group, and every group entry is a route', () => {
    const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    expect(ROUTE_ACCESS.map(key).sort()).toEqual(routes.map(key).sort());
    expect(new Set(ROUTE_ACCESS.map(key)).size).toBe(ROUTE_ACCESS.length);
  });

  it('the wait function serves exactly WAIT_ROUTES and the API function none of them (API Gateway would never send them there)', () => {
    const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    expect(waitRoutes.map(key).sort()).toEqual(WAIT_ROUTES.map(key).sort());
    expect(apiRoutes.filter((r) => isWaitRoute(r.method, r.path)).map(key)).toEqual([]);
  });

  it('a worker is granted its own claims only; ids become wildcards elsewhere', () => {
    expect(accessPaths('worker', 'edge-1')).toContainEqual({ method: 'POST', path: '/workers/edge-1/claim' });
    expect(accessPaths('control')).toContainEqual({ method: 'POST', path: '/jobs/*/tasks/*/skip' });
    expect(accessPaths('list')).toEqual(['/jobs', '/tokens', '/executors'].map((path) => ({ method: 'GET', path })));
    expect(accessPaths('read')).toEqual(expect.arrayContaining([{ method: 'GET', path: '/executors/*' }, { method: 'GET', path: '/jobs/counts' }]));
  });

  it('no group reaches a route of another through its wildcards (IAM matches `*` across `/`)', () => {
    const glob = (p: string) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    for (const access of ['submit', 'read', 'list', 'control'] as const) {
      const granted = accessPaths(access).map((p) => ({ method: p.method, re: glob(p.path) }));
      for (const other of ROUTE_ACCESS.filter((r) => r.access !== access && r.access !== 'public')) {
        const concrete = other.path.replace(/\{[^}]+\}/g, 'x');
        expect(granted.some((g) => g.method === other.method && g.re.test(concrete)), `${access} grants ${other.method} ${other.path}`).toBe(false);
      }
    }
  });
});
