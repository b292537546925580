/**
 * The console function (`functions/handlers/console.ts`) as API Gateway calls it (payload v2 events of
 * `GET /console` and `GET /console/{proxy+}`), over a built console of its own in a temp directory: the index,
 * hashed assets with their type and a year of caching, deep links answered with the index, `config.json` from
 * the environment, and paths that try to leave the directory. The local gateway's answers come from the same code
 * (`functions/runtime/console-files.ts`), with `{ auth: 'none' }` for config.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createConsoleHandler, handler } from '../../../functions/handlers/console';
import { consoleFile as localConsoleFile } from '../../../functions/local/console-files';
import { ENV } from '../../../functions/runtime/env-names';

const INDEX = '<!doctype html><html><head><script type="module" src="/console/assets/index-AbC123.js"></script></head><body><div id="app"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;

let root: string;
let dir: string;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'jobx-console-handler-'));
  dir = path.join(root, 'console');
  mkdirSync(path.join(dir, 'assets'), { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), INDEX);
  writeFileSync(path.join(dir, 'assets', 'index-AbC123.js'), SCRIPT);
  writeFileSync(path.join(dir, 'assets', 'index-Zz9.css'), 'body{margin:0}');
  writeFileSync(path.join(dir, 'icon.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]));
  // Beside the console's directory, never to be served.
  writeFileSync(path.join(root, 'secret.txt'), 'do not serve');
  writeFileSync(path.join(root, 'console-secret.txt'), 'do not serve either');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

afterEach(() => vi.unstubAllEnvs());

/** A payload v2 event as HTTP API sends it for one of the console's routes. */
function event(rawPath: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  const proxy = rawPath.startsWith('/console/') ? rawPath.slice('/console/'.length) : undefined;
  return {
    version: '2.0',
    routeKey: proxy === undefined ? 'GET /console' : 'GET /console/{proxy+}',
    rawPath,
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.us-east-1.amazonaws.com', ...headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'GET', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' },
      requestId: 'r1',
      routeKey: proxy === undefined ? 'GET /console' : 'GET /console/{proxy+}',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(proxy ? { pathParameters: { proxy } } : {}),
    isBase64Encoded: false,
  };
}

const settings = () => ({ auth: 'oidc', issuer: 'https://issuer.example.com', clientId: 'console-client', scopes: ['openid', 'jobx/read'], redirectPath: '/console/' }) as const;
const get = async (rawPath: string, headers?: Record<string, string>) => createConsoleHandler({ dir, config: () => ({ ...settings(), scopes: [...settings().scopes] }) })(event(rawPath, headers));
const text = (r: APIGatewayProxyStructuredResultV2) => (r.isBase64Encoded ? Buffer.from(r.body ?? '', 'base64').toString('utf8') : (r.body ?? ''));

describe('the console function', () => {
  it('answers /console and /console/ with the index, revalidated on every load', async () => {
    for (const p of ['/console', '/console/']) {
      const r = await get(p);
      expect(r.statusCode, p).toBe(200);
      expect(r.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
      expect(text(r)).toBe(INDEX);
    }
  });

  it('answers a hashed asset with its content type and a year of immutable caching; gzip when the browser accepts it', async () => {
    const plain = await get('/console/assets/index-AbC123.js');
    expect(plain.statusCode).toBe(200);
    expect(plain.headers).toMatchObject({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable', vary: 'accept-encoding' });
    expect(plain.body).toBe(SCRIPT);
    const zipped = await get('/console/assets/index-AbC123.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(zipped.headers).toMatchObject({ 'content-encoding': 'gzip', 'content-type': 'text/javascript; charset=utf-8' });
    expect(zipped.isBase64Encoded).toBe(true);
    expect(gunzipSync(Buffer.from(zipped.body!, 'base64')).toString('utf8')).toBe(SCRIPT);
    const css = await get('/console/assets/index-Zz9.css', { 'accept-encoding': 'gzip' });
    expect(css.headers).toMatchObject({ 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable' });
    expect(css.headers).not.toHaveProperty('content-encoding'); // too small to be worth it
    expect(css.body).toBe('body{margin:0}');
  });

  it('sends binary files base64-encoded, as payload v2 requires', async () => {
    const r = await get('/console/icon.png');
    expect(r.headers).toMatchObject({ 'content-type': 'image/png', 'cache-control': 'no-cache' });
    expect(r.isBase64Encoded).toBe(true);
    expect([...Buffer.from(r.body!, 'base64')]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);
  });

  it('answers a deep link with the index (the app renders it from the API)', async () => {
    for (const p of ['/console/jobs/01JABCDEF', '/console/jobs/01JABCDEF/tasks/t1', '/console/jobs/B0123456789abcdef0123456789/']) {
      const r = await get(p);
      expect(r.statusCode, p).toBe(200);
      expect(r.headers?.['content-type'], p).toBe('text/html; charset=utf-8');
      expect(text(r), p).toBe(INDEX);
    }
  });

  it('answers a hashed asset of another build with 404, not the index under a script name', async () => {
    const r = await get('/console/assets/index-Old999.js');
    expect(r.statusCode).toBe(404);
    expect(r.headers?.['cache-control']).toBe('no-store');
  });

  it('answers config.json with the sign-in settings, never cached', async () => {
    const r = await get('/console/config.json');
    expect(r.statusCode).toBe(200);
    expect(r.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(JSON.parse(text(r))).toEqual({ auth: 'oidc', issuer: 'https://issuer.example.com', clientId: 'console-client', scopes: ['openid', 'jobx/read'], redirectPath: '/console/' });
  });

  it('never serves a file outside its directory: traversal is the index or a 404', async () => {
    const attempts = [
      '/console/../secret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/%2E%2E%2Fsecret.txt',
      '/console/..%2fsecret.txt',
      '/console/assets/../../secret.txt',
      '/console/assets/%2e%2e/%2e%2e/secret.txt',
      '/console/..%5csecret.txt',
      '/console/%00/../secret.txt',
      '/console/%E0%A4%A',
      '/console-secret.txt',
      '/console/' + encodeURIComponent(path.join(root, 'secret.txt')),
    ];
    for (const p of attempts) {
      const r = await get(p);
      const body = text(r);
      expect(body, p).not.toContain('do not serve');
      expect([200, 404], p).toContain(r.statusCode);
      if (r.statusCode === 200) expect(body, p).toBe(INDEX);
    }
  });

  it('the Lambda handler reads the settings from the environment the construct sets, and fails loudly without them', async () => {
    vi.stubEnv(ENV.consoleIssuer, 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc');
    vi.stubEnv(ENV.consoleClientId, 'abc123client');
    vi.stubEnv(ENV.consoleScopes, 'openid jobx/read jobx/control');
    const context = {} as Context;
    const ok = (await handler(event('/console/config.json'), context)) as APIGatewayProxyStructuredResultV2;
    expect(JSON.parse(ok.body!)).toEqual({ auth: 'oidc', issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc', clientId: 'abc123client', scopes: ['openid', 'jobx/read', 'jobx/control'], redirectPath: '/console/' });
    vi.stubEnv(ENV.consoleClientId, '');
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const failed = (await handler(event('/console/config.json'), context)) as APIGatewayProxyStructuredResultV2;
    expect(failed.statusCode).toBe(500);
    expect(error.mock.calls.join(' ')).toContain(ENV.consoleClientId);
    error.mockRestore();
  });

  it('says what to run when the console is not built', async () => {
    const r = await createConsoleHandler({ dir: undefined })(event('/console/'));
    expect(r.statusCode).toBe(503);
    expect(r.body).toMatch(/npm run build:console/);
  });
});

describe('the local gateway, from the same code', () => {
  it('tells the console not to sign in, and serves files and deep links as the function does', () => {
    const config = localConsoleFile('/console/config.json', dir)!;
    expect(config.type).toBe('application/json');
    expect(JSON.parse(String(config.body))).toEqual({ auth: 'none' });
    expect(String(localConsoleFile('/console/jobs/01J', dir)!.body)).toBe(INDEX);
    expect(localConsoleFile('/console/assets/index-AbC123.js', dir)).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(localConsoleFile('/jobs', dir)).toBeUndefined();
    expect(localConsoleFile('/console-secret.txt', dir)).toBeUndefined();
  });
});
