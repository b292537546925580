/**
 * What every command gets: the client built from the global options, output helpers and colours.
 * @module
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { JobxClient, DEFAULT_BASE_URL } from '../sdk/client';
import { regionFromUrl } from '../sdk/signer';
import type { JsonObject } from '../sdk/types';
import { CliError, colorsFor, EXIT, type CliIo, type Colors } from './io';

/** The global options. */
export interface GlobalOptions {
  url?: string;
  sigv4?: boolean;
  region?: string;
}

/** Shared by every command. */
export interface CliContext {
  io: CliIo;
  /** Colours for stdout (TTY and NO_COLOR unset). */
  colors: Colors;
  /** Colours for stderr. */
  errColors: Colors;
  now(): number;
  /** A line on stdout. */
  out(line?: string): void;
  /** A line on stderr. */
  err(line?: string): void;
  /** Prints a value as JSON on stdout. */
  json(value: unknown): void;
  /** The client for the global options (`--url`, `--sigv4`). */
  client(): JobxClient;
  /** Reads a file (`-`: stdin); a missing file is `error FILE_NOT_FOUND`. */
  readFile(path: string): string;
}

/** Builds the context; `globals` is read when a command runs (after parsing). */
export function createContext(io: CliIo, globals: () => GlobalOptions): CliContext {
  const readFile = io.readFile ?? ((path: string) => readFileSync(path === '-' ? 0 : path, 'utf8'));
  let client: JobxClient | undefined;
  return {
    io,
    colors: colorsFor(io.stdout, io.env),
    errColors: colorsFor(io.stderr, io.env),
    now: io.now ?? Date.now,
    out: (line = '') => void io.stdout.write(`${line}\n`),
    err: (line = '') => void io.stderr.write(`${line}\n`),
    json: (value) => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    client() {
      if (client) return client;
      const g = globals();
      // An empty JOBX_URL is unset, as the SDK reads it.
      const baseUrl = g.url !== undefined ? checkApiUrl(g.url, '--url') : io.env.JOBX_URL ? checkApiUrl(io.env.JOBX_URL, 'JOBX_URL') : DEFAULT_BASE_URL;
      const sign = g.sigv4 ?? (regionFromUrl(baseUrl) !== undefined && io.env.AWS_ACCESS_KEY_ID !== undefined);
      let credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
      if (sign) {
        const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = io.env;
        if (!accessKeyId || !secretAccessKey) throw new CliError('NO_CREDENTIALS', '--sigv4 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) in the environment');
        credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
      }
      const region = g.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
      const token = io.env.JOBX_TOKEN;
      client = new JobxClient({
        baseUrl,
        ...(credentials ? { credentials } : {}),
        ...(region ? { region } : {}),
        ...(io.fetch ? { fetch: io.fetch } : {}),
        ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      });
      return client;
    },
    readFile(path) {
      try {
        return readFile(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new CliError('FILE_NOT_FOUND', `no such file: ${path}`);
        throw new CliError('FILE_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`);
      }
    },
  };
}

/**
 * Checks the API URL the user gave (`source` is `--url` or `JOBX_URL`): an http(s) URL, else `INVALID_URL` in one
 * line that says what to write. Without the check, `localhost:3000` reads as a URL of scheme `localhost:` and
 * `127.0.0.1:3000` as no URL at all, and the user gets a network error about `null3000` or a stack trace.
 * @example
 * checkApiUrl('127.0.0.1:3000', '--url'); // throws: --url 127.0.0.1:3000 has no scheme: use http://127.0.0.1:3000
 */
export function checkApiUrl(value: string, source: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return value;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new CliError('INVALID_URL', `${source} ${value} has no scheme: use http://${value.replace(/^\/+/, '')} (or https://)`, EXIT.usage);
  }
  throw new CliError('INVALID_URL', `${source} ${value} is not an http:// or https:// URL (e.g. ${DEFAULT_BASE_URL})`, EXIT.usage);
}

/** Option parser: a number of seconds ≥ 0. */
export function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds ≥ 0');
  return n;
}

/** Option parser: an integer ≥ 1. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer ≥ 1');
  return n;
}

/** Option parser: a JSON object (`'{"fail":false}'`). */
export function parseJsonObject(value: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new InvalidArgumentError(`not valid JSON (${(err as Error).message}); quote it for the shell, e.g. '{"fail":false}'`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object, e.g. \'{"fail":false}\'');
  return parsed as JsonObject;
}
