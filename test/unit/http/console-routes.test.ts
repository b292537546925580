/**
 * The console's routes through the real API handler: queries and path values that cannot be valid are answered
 * before any store call; `/jobs/counts` is the literal route (never the job `counts`); a tagged read answers 304
 * to its own tag through the router.
 */
import { describe, expect, it } from 'vitest';
import { call, fakeTable, refuseStoreCalls } from './harness';

describe('console routes: refused before any read', () => {
  it.each([
    ['/jobs/counts?window=0', 400],
    ['/jobs/counts?window=2001', 400],
    ['/jobs/counts?status=running', 400],
    ['/tokens?limit=0', 400],
    ['/tokens?limit=101', 400],
    ['/tokens?cursor=not%20a%20cursor', 400],
    // Base64url of a name outside the token charset: a cursor the API never wrote.
    [`/tokens?cursor=${Buffer.from('a b').toString('base64url')}`, 400],
    ['/executors/edge-1', 404],
    ['/executors/exec:a%2Fb', 404],
    ['/executors/exec:%E0%A4%A', 400],
  ])('GET %s → %i', async (target, status) => {
    refuseStoreCalls();
    expect((await call('GET', target)).status).toBe(status);
  });
});

describe('console routes against a table', () => {
  it('/jobs/counts is the counts route, not a job named `counts`', async () => {
    fakeTable();
    const res = await call('GET', '/jobs/counts');
    expect(res).toEqual({ status: 200, body: { counts: { discarded: 0, failed: 0, paused: 0, pending: 0, running: 0, succeeded: 0 }, scanned: 0, complete: true } });
  });

  it('a tagged read answers its own tag with 304 and no body, through the router', async () => {
    fakeTable();
    const { apiHandler, apiEvent } = await import('./harness');
    const first = await apiHandler(apiEvent('GET', '/jobs?limit=5'), {} as never);
    expect(first.statusCode).toBe(200);
    const etag = String(first.headers?.etag);
    const second = await apiHandler(apiEvent('GET', '/jobs?limit=5', undefined, { 'If-None-Match': etag }), {} as never);
    expect(second).toEqual({ statusCode: 304, headers: { etag, 'cache-control': 'no-cache' }, body: '' });
  });
});
