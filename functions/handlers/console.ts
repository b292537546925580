/**
 * The console in a deployment: `GET /console` and `GET /console/{proxy+}` of the API's own HTTP API (payload v2,
 * no authorizer: a browser must load the app before it can sign in) answered with the built console bundled
 * beside this handler, and `/console/config.json` with the sign-in settings the construct put in the environment.
 * Every data route keeps its authorizer; this function reads no table and is granted nothing but its logs.
 * @module
 */
import { gzipSync } from 'node:zlib';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CONSOLE_CONFIG_PATH, CONSOLE_REDIRECT_PATH, consoleDir, consoleFile, type ConsoleConfig, type ConsoleFile } from '../runtime/console-files';
import { ENV, requireEnv } from '../runtime/env-names';

type Result = APIGatewayProxyStructuredResultV2;

/** Headers of every console answer: no sniffing, no framing (clickjacking on pause and discard), no referrer (the sign-in callback's URL carries a code). */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
} as const;

/** Below this, compressing costs more than it saves. */
const GZIP_MIN_BYTES = 1024;

/** Passed for paths other than config.json, which never answer it. */
const NOT_READ: ConsoleConfig = { auth: 'none' };

/** The sign-in settings from the environment the construct sets (`JOBX_CONSOLE_*`). */
export function configFromEnv(): ConsoleConfig {
  return {
    auth: 'oidc',
    issuer: requireEnv(ENV.consoleIssuer),
    clientId: requireEnv(ENV.consoleClientId),
    scopes: requireEnv(ENV.consoleScopes).split(' ').filter(Boolean),
    redirectPath: CONSOLE_REDIRECT_PATH,
  };
}

/** Whether the request accepts gzip (HTTP API passes headers lower-cased in payload v2). */
function acceptsGzip(event: APIGatewayProxyEventV2): boolean {
  return /\bgzip\b/.test(event.headers?.['accept-encoding'] ?? '');
}

/** Compressed built files by name, computed once per execution environment (the files never change under it). */
const gzipped = new Map<string, Buffer>();

/** Whether a content type is text (sent as it is; anything else base64, as payload v2 requires for binary). */
const isText = (type: string) => /^(text\/|application\/json|image\/svg)/.test(type);

function toResult(file: ConsoleFile, gzip: boolean): Result {
  const headers: Record<string, string> = { 'content-type': file.type, 'cache-control': file.cacheControl, ...SECURITY_HEADERS };
  const bytes = typeof file.body === 'string' ? Buffer.from(file.body) : file.body;
  if (file.file !== undefined && isText(file.type) && bytes.length >= GZIP_MIN_BYTES) {
    // HTTP API compresses nothing itself: the console's script is about a third of its size gzipped.
    headers.vary = 'accept-encoding';
    if (gzip) {
      let body = gzipped.get(file.file);
      if (!body) gzipped.set(file.file, (body = gzipSync(bytes)));
      return { statusCode: file.status, headers: { ...headers, 'content-encoding': 'gzip' }, body: body.toString('base64'), isBase64Encoded: true };
    }
  }
  return isText(file.type) ? { statusCode: file.status, headers, body: bytes.toString('utf8') } : { statusCode: file.status, headers, body: bytes.toString('base64'), isBase64Encoded: true };
}

/**
 * Builds the console handler over a directory of built files (tests pass their own).
 * @param options - `dir`: the built console (default: bundled beside the handler); `config`: what
 *   `/console/config.json` answers (default: read from the environment on each request)
 */
export function createConsoleHandler(options: { dir?: string | undefined; config?: () => ConsoleConfig } = {}): (event: APIGatewayProxyEventV2) => Promise<Result> {
  const dir = 'dir' in options ? options.dir : consoleDir();
  const config = options.config ?? configFromEnv;
  return async (event) => {
    const urlPath = event.rawPath;
    // The settings are read for config.json only: files need none (and a missing setting is a 500 worth logging).
    const file = consoleFile(urlPath, dir, urlPath === CONSOLE_CONFIG_PATH ? config() : NOT_READ);
    if (!file) return { statusCode: 404, headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }, body: 'not found' };
    return toResult(file, acceptsGzip(event));
  };
}

/** A failure is logged and answered as a plain 500 (API Gateway would otherwise answer its own, unlogged). */
function answerErrors(): MiddlewareObj<APIGatewayProxyEventV2, Result> {
  return {
    onError: async (request) => {
      console.error(JSON.stringify({ level: 'ERROR', message: 'console handler failed', error: String(request.error) }));
      request.response = { statusCode: 500, headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }, body: 'the console could not be served' };
    },
  };
}

/** Lambda handler. */
export const handler = middy<APIGatewayProxyEventV2, Result>({ timeoutEarlyInMillis: 0 }).use(answerErrors()).handler(createConsoleHandler());
