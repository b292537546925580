/**
 * The console's built files (`dist/console`, `npm run build:console`) as the API's origin serves them at
 * `/console`: by the local gateway on a laptop, and by the console function (`handlers/console.ts`) behind the
 * same HTTP API in a deployment. One answer for both, so the two cannot drift: any path under `/console/` that is
 * not a file is the app itself (its deep links, `/console/jobs/{jobId}`, are rendered in the browser from the
 * API), a missing hashed asset is a 404 (an HTML page in place of a script only hides the error), and
 * `/console/config.json` tells the app how to sign in.
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the console is served from, on the API's own origin. */
export const CONSOLE_PATH = '/console';

/** The path the sign-in returns to (the app client's redirect URI is the API's origin followed by this). */
export const CONSOLE_REDIRECT_PATH = `${CONSOLE_PATH}/`;

/** Where the app reads how to sign in ({@link ConsoleConfig}). */
export const CONSOLE_CONFIG_PATH = `${CONSOLE_PATH}/config.json`;

/** What `/console/config.json` says: sign in against an OIDC issuer, or not at all (the local stack). */
export type ConsoleConfig =
  | { readonly auth: 'none' }
  | {
      readonly auth: 'oidc';
      /** Issuer URL; its discovery document is `<issuer>/.well-known/openid-configuration`. */
      readonly issuer: string;
      /** The OIDC app client (public, no secret: authorization code with PKCE). */
      readonly clientId: string;
      /** Scopes the console asks for. */
      readonly scopes: readonly string[];
      /** Path of the redirect URI on the API's origin. */
      readonly redirectPath: string;
    };

/** One answer of the console's file server. */
export interface ConsoleFile {
  readonly status: number;
  readonly type: string;
  readonly body: Buffer | string;
  /** `cache-control` of the answer: hashed assets are immutable, everything else is revalidated. */
  readonly cacheControl: string;
  /** The built file answered (relative to the console's directory; the index for every deep link), if any. */
  readonly file?: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Vite names every built asset after its content (`assets/index-<hash>.js`): a year, never revalidated. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current assets: the browser must ask each time, or it keeps running an old build. */
const REVALIDATE = 'no-cache';
const NO_STORE = 'no-store';

/** Content type of a file name (`application/octet-stream` when unknown). */
export function contentTypeOf(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Where the built console is: beside the handler bundle on Lambda (`/var/task/console`) and beside the bundled
 * CLI in the package (`dist/console` next to `dist/cli.mjs`), or `dist/console` of this repository from source.
 */
export function consoleDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [path.resolve(here, 'console'), path.resolve(here, '../../dist/console')].find((d) => existsSync(path.join(d, 'index.html')));
}

/** The path under the console's directory a request names, or undefined when it cannot name a file there. */
function relativePath(urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.slice(CONSOLE_PATH.length));
  } catch {
    return undefined; // malformed %-escape: no file has that name
  }
  // A NUL byte or a backslash never names a built file; refusing them keeps path tricks out of the resolver.
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  return decoded.replace(/^\/+/, '');
}

/**
 * The answer for a GET of `urlPath`, or undefined when the path is not the console's (it belongs to the API).
 * Only files inside `dir` are ever read: a path that resolves outside it (`/console/../…`, `%2e%2e`) is the app's
 * index like any other path that is not a file.
 * @param urlPath - the request path, e.g. `/console/jobs/01J…` (no query string)
 * @param dir - the built console, {@link consoleDir}; undefined answers 503 with what to run
 * @param config - what `/console/config.json` answers
 */
export function consoleFile(urlPath: string, dir: string | undefined, config: ConsoleConfig): ConsoleFile | undefined {
  if (urlPath !== CONSOLE_PATH && !urlPath.startsWith(`${CONSOLE_PATH}/`)) return undefined;
  if (urlPath === CONSOLE_CONFIG_PATH) return { status: 200, type: TYPES['.json']!, body: JSON.stringify(config), cacheControl: NO_STORE };
  if (!dir) return { status: 503, type: TYPES['.txt']!, body: 'the console is not built: run npm run build:console', cacheControl: NO_STORE };
  const root = path.resolve(dir);
  const rel = relativePath(urlPath);
  const file = rel === undefined ? undefined : path.resolve(root, rel);
  const inside = file !== undefined && file.startsWith(root + path.sep) && existsSync(file) && statSync(file).isFile();
  if (inside) return { status: 200, type: contentTypeOf(file), body: readFileSync(file), cacheControl: rel!.startsWith('assets/') ? IMMUTABLE : REVALIDATE, file: path.relative(root, file) };
  // A hashed asset that is not there is an old build's: a 404, not the index under a script's name.
  if (rel?.startsWith('assets/')) return { status: 404, type: TYPES['.txt']!, body: 'not found', cacheControl: NO_STORE };
  return { status: 200, type: TYPES['.html']!, body: readFileSync(path.join(root, 'index.html')), cacheControl: REVALIDATE, file: 'index.html' };
}
