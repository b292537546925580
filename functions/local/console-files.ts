/**
 * The console's built files (`dist/console`, `npm run build:console`) served by the local gateway at `/console`,
 * from the API's own origin. Any path under `/console/` that is not a file is the app itself (its deep links,
 * `/console/jobs/{jobId}`, are rendered in the browser from the API).
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** Where the built console is: beside the sources in this repository, or beside the bundled CLI in the package. */
export function consoleDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [path.resolve(here, '../../dist/console'), path.resolve(here, 'console')].find((d) => existsSync(path.join(d, 'index.html')));
}

/** A file of the console for a request path under `/console`, or undefined when the path is not the console's. */
export function consoleFile(urlPath: string, dir = consoleDir()): { status: number; type: string; body: Buffer | string } | undefined {
  if (urlPath !== '/console' && !urlPath.startsWith('/console/')) return undefined;
  if (!dir) return { status: 503, type: 'text/plain; charset=utf-8', body: 'the console is not built: run npm run build:console' };
  const rel = decodeURIComponent(urlPath.slice('/console'.length)).replace(/^\/+/, '');
  const file = path.resolve(dir, rel);
  // Only files inside the console's directory; anything else (a deep link) is the app's index.
  const inside = file.startsWith(dir + path.sep) && existsSync(file) && statSync(file).isFile();
  const chosen = inside ? file : path.join(dir, 'index.html');
  return { status: 200, type: TYPES[path.extname(chosen)] ?? 'application/octet-stream', body: readFileSync(chosen) };
}
