/**
 * The console's sign-in end to end, in Chromium (playwright-core, as `console.test.ts` launches it): a tiny OIDC
 * issuer on one origin (discovery; an authorize endpoint that approves at once and redirects back with a code; a
 * token endpoint that checks the PKCE verifier against the challenge) and, on another origin, the console's origin:
 * `/console/config.json` naming that issuer, a page running `functions/console/src/auth.ts` (bundled with esbuild)
 * the way the console does, and an API route that wants the issued bearer token. Deep links survive the round
 * trip; a kept token is reused; a 401 or an expired token signs in again; a 401 right after a sign-in does not loop;
 * an answer with another sign-in's state is refused.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { consoleDir, consoleFile } from '../../functions/runtime/console-files';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CLIENT_ID = 'console-test';
const SCOPES = ['openid', 'jobx/read'];

/** What the page does with auth.ts: what the console's main.tsx and api.ts do, reduced to one API call. */
const PAGE_SCRIPT = `
import { authHeaders, bootAuth, onUnauthorized, signOut } from './auth';
const out = document.getElementById('out');
async function callApi() {
  const res = await fetch('/jobs', { headers: authHeaders() });
  if (res.status === 401) onUnauthorized();
  out.textContent = JSON.stringify({ status: res.status, at: location.pathname + location.search + location.hash });
}
window.jobxTest = { callApi, signOut };
bootAuth().then(callApi, (err) => { out.textContent = 'error: ' + err.message; });
`;

interface Authorization {
  query: Record<string, string>;
  code: string;
}

/** The issuer: what it was asked, and the codes and tokens it gave. */
const issuer = {
  url: '',
  authorizations: [] as Authorization[],
  exchanges: [] as Array<{ form: Record<string, string>; ok: boolean }>,
  codes: new Map<string, { challenge: string; redirectUri: string; clientId: string }>(),
  tokens: new Set<string>(),
};
/** The console's origin: what its API saw, and tokens it no longer accepts. */
const app = { url: '', script: '', apiCalls: [] as Array<string | undefined>, revoked: new Set<string>() };
let servers: Server[] = [];
let browser: Browser;

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** The issuer's side: discovery, authorize (approves at once), token (checks PKCE). CORS as a real issuer answers a SPA. */
function issuerRoutes(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', issuer.url);
  const cors = { 'access-control-allow-origin': '*' };
  if (url.pathname === '/.well-known/openid-configuration') {
    return send(res, 200, { issuer: issuer.url, authorization_endpoint: `${issuer.url}/authorize`, token_endpoint: `${issuer.url}/token` }, cors);
  }
  if (url.pathname === '/authorize') {
    const query = Object.fromEntries(url.searchParams);
    const code = randomUUID();
    issuer.authorizations.push({ query, code });
    issuer.codes.set(code, { challenge: query.code_challenge ?? '', redirectUri: query.redirect_uri ?? '', clientId: query.client_id ?? '' });
    res.writeHead(302, { location: `${query.redirect_uri}?code=${code}&state=${encodeURIComponent(query.state ?? '')}` });
    return void res.end();
  }
  if (url.pathname === '/token' && req.method === 'POST') {
    const form = Object.fromEntries(new URLSearchParams(body));
    const issued = issuer.codes.get(form.code ?? '');
    issuer.codes.delete(form.code ?? ''); // one use
    const verified = createHash('sha256').update(form.code_verifier ?? '').digest('base64url') === issued?.challenge;
    const ok = !!issued && verified && form.grant_type === 'authorization_code' && form.redirect_uri === issued.redirectUri && form.client_id === issued.clientId;
    issuer.exchanges.push({ form, ok });
    if (!ok) return send(res, 400, { error: 'invalid_grant' }, cors);
    const token = `tok-${randomUUID()}`;
    issuer.tokens.add(token);
    return send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 }, cors);
  }
  send(res, 404, { error: 'not found' });
}

/** `real`: the console's origin serves the built console as the console function does, instead of the test page. */
let real = false;

/** The console's origin: its settings, the page, and one API route behind the bearer token. */
function appRoutes(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', app.url);
  if (real && (url.pathname === '/console' || url.pathname.startsWith('/console/'))) {
    const file = consoleFile(url.pathname, consoleDir(), { auth: 'oidc', issuer: issuer.url, clientId: CLIENT_ID, scopes: SCOPES, redirectPath: '/console/' })!;
    res.writeHead(file.status, { 'content-type': file.type, 'cache-control': file.cacheControl });
    return void res.end(file.body);
  }
  if (real) {
    // Any API call: the console's reads answered empty, once it brings the token.
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    app.apiCalls.push(bearer);
    if (bearer === undefined || !issuer.tokens.has(bearer)) return send(res, 401, { message: 'Unauthorized' });
    return url.pathname.startsWith('/jobs') ? send(res, 200, { items: [], counts: {} }) : send(res, 404, { error: { code: 'NOT_FOUND', message: 'not in this test' } });
  }
  if (url.pathname === '/console/config.json') {
    return send(res, 200, { auth: 'oidc', issuer: issuer.url, clientId: CLIENT_ID, scopes: SCOPES, redirectPath: '/console/' }, { 'cache-control': 'no-store' });
  }
  if (url.pathname === '/console/sign-in-test.js') return send(res, 200, app.script, { 'content-type': 'text/javascript' });
  if (url.pathname === '/console' || url.pathname.startsWith('/console/')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'referrer-policy': 'no-referrer' });
    return void res.end('<!doctype html><html><body><pre id="out">loading</pre><script src="/console/sign-in-test.js"></script></body></html>');
  }
  if (url.pathname === '/jobs') {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    app.apiCalls.push(bearer);
    const accepted = bearer !== undefined && issuer.tokens.has(bearer) && !app.revoked.has(bearer);
    return accepted ? send(res, 200, { items: [] }) : send(res, 401, { message: 'Unauthorized' });
  }
  send(res, 404, { error: 'not found' });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
  const bundled = await build({ stdin: { contents: PAGE_SCRIPT, resolveDir: path.join(ROOT, 'functions/console/src'), loader: 'ts' }, bundle: true, format: 'iife', target: 'es2022', write: false, logLevel: 'silent' });
  app.script = bundled.outputFiles[0]!.text;
  issuer.url = await listen(issuerRoutes);
  app.url = await listen((req, res) => appRoutes(req, res));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())))));
  servers = [];
});

beforeEach(() => {
  issuer.authorizations.length = 0;
  issuer.exchanges.length = 0;
  app.apiCalls.length = 0;
});

/** The page's outcome once it has one: the API's answer and where the page is, or the sign-in's error. */
async function outcome(page: Page): Promise<{ status: number; at: string } | string> {
  const out = page.locator('#out');
  await expect.poll(() => out.innerText(), { timeout: 15_000 }).not.toBe('loading');
  const text = await out.innerText();
  return text.startsWith('{') ? (JSON.parse(text) as { status: number; at: string }) : text;
}

/** Waits until the page shows an outcome matching `pattern` (through any redirects on the way). */
async function until(page: Page, pattern: RegExp): Promise<void> {
  await expect.poll(() => page.locator('#out').innerText().catch(() => ''), { timeout: 15_000 }).toMatch(pattern);
}

// Page scripts are strings: this file is type-checked for Node, where the page's globals do not exist.

/** Runs one of the page's test hooks; the page may be leaving for the issuer meanwhile. */
const run = (page: Page, hook: 'callApi' | 'signOut') => page.evaluate(`window.jobxTest.${hook}()`).catch(() => undefined);

/** The tab's kept token and pending sign-in, as auth.ts stores them. */
const stored = (page: Page) => page.evaluate(`({ token: sessionStorage.getItem('jobx.console.token'), pending: sessionStorage.getItem('jobx.console.signin') })`) as Promise<{ token: string | null; pending: string | null }>;

/** Changes fields of the kept token (its times, to make it old or expired). */
const patchToken = (page: Page, patch: Record<string, number>) =>
  page.evaluate(`(() => { const k = 'jobx.console.token'; sessionStorage.setItem(k, JSON.stringify({ ...JSON.parse(sessionStorage.getItem(k)), ...${JSON.stringify(patch)} })); })()`);

describe('console sign-in (authorization code with PKCE)', () => {
  it('signs in from a deep link, calls the API with the bearer token, lands back on the deep link; a reload reuses the token', async () => {
    const page = await browser.newPage();
    const deepLink = '/console/jobs/01JDEEPLINK/tasks/t1?view=attempts#attempt-2';
    await page.goto(`${app.url}${deepLink}`);
    expect(await outcome(page)).toEqual({ status: 200, at: deepLink });

    expect(issuer.authorizations).toHaveLength(1);
    const q = issuer.authorizations[0]!.query;
    expect(q).toMatchObject({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: `${app.url}/console/`, scope: SCOPES.join(' '), code_challenge_method: 'S256' });
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.state).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // The token endpoint got the verifier of that challenge, as a public client (no secret), and gave a token.
    expect(issuer.exchanges).toHaveLength(1);
    expect(issuer.exchanges[0]).toMatchObject({ ok: true, form: { grant_type: 'authorization_code', client_id: CLIENT_ID, redirect_uri: `${app.url}/console/` } });
    expect(issuer.exchanges[0]!.form).not.toHaveProperty('client_secret');
    expect(app.apiCalls).toHaveLength(1);
    expect(issuer.tokens.has(app.apiCalls[0]!)).toBe(true);
    // The spent code is out of the address bar and the history; the token is kept for the tab, no pending sign-in.
    expect(page.url()).toBe(`${app.url}${deepLink}`);
    const kept = await stored(page);
    expect(JSON.parse(kept.token!)).toMatchObject({ accessToken: app.apiCalls[0], expiresAt: expect.any(Number) });
    expect(kept.pending).toBeNull();

    await page.reload();
    expect(await outcome(page)).toEqual({ status: 200, at: deepLink });
    expect(issuer.authorizations).toHaveLength(1);
    expect(app.apiCalls[1]).toBe(app.apiCalls[0]);
    await page.close();
  });

  it('a 401 for a token held a while signs in again and comes back; one right after a sign-in does not loop', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/console/jobs/01JAGAIN`);
    expect(await outcome(page)).toMatchObject({ status: 200 });
    const first = app.apiCalls[0]!;

    // Refused right after the sign-in (a scope or audience the API wants): shown, not retried.
    app.revoked.add(first);
    await run(page, 'callApi');
    await until(page, /"status":401/);
    await page.waitForTimeout(500);
    expect(issuer.authorizations).toHaveLength(1);

    // The same refusal for a token held over the guard: a fresh sign-in, back to the same page, a new token.
    await patchToken(page, { obtainedAt: Date.now() - 10 * 60_000 });
    await run(page, 'callApi');
    await until(page, /"status":200/);
    expect(await outcome(page)).toEqual({ status: 200, at: '/console/jobs/01JAGAIN' });
    expect(page.url()).toBe(`${app.url}/console/jobs/01JAGAIN`);
    expect(issuer.authorizations).toHaveLength(2);
    const second = app.apiCalls.at(-1)!;
    expect(second).not.toBe(first);
    expect(issuer.tokens.has(second)).toBe(true);
    await page.close();
  });

  it('an expired token signs in again before calling the API', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/console/`);
    expect(await outcome(page)).toMatchObject({ status: 200 });
    const calls = app.apiCalls.length;
    await patchToken(page, { obtainedAt: Date.now() - 7200_000, expiresAt: Date.now() - 1000 });
    await page.goto(`${app.url}/console/jobs/01JEXPIRED`);
    expect(await outcome(page)).toEqual({ status: 200, at: '/console/jobs/01JEXPIRED' });
    expect(issuer.authorizations).toHaveLength(2);
    // The expired token never reached the API.
    expect(app.apiCalls.slice(calls)).toHaveLength(1);
    await page.close();
  });

  it("refuses an answer carrying another sign-in's state, without exchanging its code", async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/console/`);
    expect(await outcome(page)).toMatchObject({ status: 200 });
    const pending = { state: 'the-state-this-tab-sent', verifier: 'v', returnTo: '/console/', tokenEndpoint: 'http://127.0.0.1:9/token', redirectUri: 'x', clientId: 'x' };
    await page.evaluate(`sessionStorage.removeItem('jobx.console.token'); sessionStorage.setItem('jobx.console.signin', ${JSON.stringify(JSON.stringify(pending))})`);
    const exchanges = issuer.exchanges.length;
    await page.goto(`${app.url}/console/?code=stolen&state=someone-elses`);
    expect(await outcome(page)).toMatch(/^error: .*state differs/);
    expect(issuer.exchanges.length).toBe(exchanges);
    expect((await stored(page)).pending).toBeNull();
    await page.close();
  });

  it('signOut forgets the token: the next visit signs in again, asking the issuer for credentials (prompt=login)', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/console/`);
    expect(await outcome(page)).toMatchObject({ status: 200 });
    expect(issuer.authorizations[0]!.query).not.toHaveProperty('prompt');
    await run(page, 'signOut');
    await expect.poll(() => issuer.authorizations.length, { timeout: 15_000 }).toBe(2);
    expect(issuer.authorizations[1]!.query.prompt).toBe('login');
    await until(page, /"status":200/);
    expect(await outcome(page)).toEqual({ status: 200, at: '/console/' });
    // Only the sign-in right after the sign-out asks again.
    await patchToken(page, { obtainedAt: Date.now() - 7200_000, expiresAt: Date.now() - 1000 });
    await page.reload();
    await expect.poll(() => issuer.authorizations.length, { timeout: 15_000 }).toBe(3);
    expect(issuer.authorizations[2]!.query).not.toHaveProperty('prompt');
    await page.close();
  });
});

describe('the built console', () => {
  it('signs in from a deep link as deployed, and every API call it makes carries the token', async () => {
    real = true;
    try {
      const page = await browser.newPage();
      await page.goto(`${app.url}/console/jobs/01JBUILT`);
      await expect.poll(() => app.apiCalls.length, { timeout: 15_000 }).toBeGreaterThan(0);
      await expect.poll(() => page.url(), { timeout: 15_000 }).toBe(`${app.url}/console/jobs/01JBUILT`);
      expect(issuer.authorizations).toHaveLength(1);
      expect(issuer.exchanges).toEqual([expect.objectContaining({ ok: true })]);
      for (const bearer of app.apiCalls) expect(issuer.tokens.has(bearer ?? '')).toBe(true);
      await page.close();
    } finally {
      real = false;
    }
  });
});
