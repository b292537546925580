/**
 * `jobx worker --id ID --providers FILE [--concurrency N] [--offer a,b] [--wait S] [--json]`: an external worker.
 *
 * It long-polls `POST /workers/{id}/claim` from `concurrency` slots, runs each claimed task with the provider of
 * that name from FILE (the same `defineProvider(...)` handlers a Lambda deployment uses), heartbeats while it runs
 * and reports the end through `/task-tokens/success|failure` (the token in the `x-jobx-task-token` header). SIGINT/SIGTERM stop claiming, let the tasks
 * in flight finish and report, then exit 0; a second signal exits at once with 1.
 * @module
 */
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import type { JsonObject } from '../../core/json';
import { PendingResult } from '../../core/pending';
import { TASK_TOKEN_HEADER } from '../../core/task-token';
import { NonRetryableError, RetryAfterError } from '../../core/provider-errors';
import { MAX_OUTPUT_BYTES, type ProviderFunction } from '../../engine/run-task';
import { errorFromResponse, JobxApiError } from '../../sdk/errors';
import { createSigner, regionFromUrl, type Signer } from '../../sdk/signer';
import { parsePositiveInt, parseSeconds, type CliContext } from '../context';
import { CliError, CliExit, EXIT } from '../io';
import type { Program } from '../program';

/** Defaults of the options. */
export const WORKER_DEFAULTS = { concurrency: 1, waitSeconds: 20 } as const;
/** Longest `?wait=` the claim endpoint accepts. */
const MAX_CLAIM_WAIT_SECONDS = 25;
/** Time limit of one request on top of its server-side wait. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Longest pause between two claims after errors (the pause doubles from 1 s). */
const MAX_BACKOFF_MS = 30_000;
/** Attempts at reporting an end when the API cannot be reached. */
const REPORT_ATTEMPTS = 5;
const WORKER_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A claimed task, as `POST /workers/{id}/claim` answers it (the server's own type). */
export type { ClaimedTask } from '../../engine/workers';
import type { ClaimedTask } from '../../engine/workers';

/** A provider found in the `--providers` module. */
export interface LoadedProvider {
  name: string;
  fn: ProviderFunction;
}

/** Options of {@link runWorker}. */
export interface WorkerOptions {
  id: string;
  providers: string;
  concurrency: number;
  offer: string[];
  wait: number;
  json: boolean;
}

/** One HTTP answer of the API. */
interface Answer {
  status: number;
  body: unknown;
}

type Request = (method: 'POST', path: string, opts?: { body?: unknown; waitSeconds?: number; signal?: AbortSignal; headers?: Record<string, string> }) => Promise<Answer>;

function isProvider(value: unknown): value is LoadedProvider {
  return typeof value === 'object' && value !== null && typeof (value as LoadedProvider).name === 'string' && typeof (value as LoadedProvider).fn === 'function';
}

/**
 * Imports a providers module and collects the `defineProvider(...)` definitions it exports, as named exports or a
 * default array (or a default definition); other exports are ignored.
 */
export async function loadProviders(file: string): Promise<Map<string, LoadedProvider>> {
  const path = resolvePath(process.cwd(), file);
  if (!existsSync(path)) throw new CliError('FILE_NOT_FOUND', `no such file: ${file}`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new CliError('PROVIDERS_UNLOADABLE', `cannot load ${file}: ${(err as Error)?.stack ?? String(err)}`);
  }
  const found = new Map<string, LoadedProvider>();
  const add = (value: unknown) => {
    if (!isProvider(value)) return;
    const known = found.get(value.name);
    if (known && known.fn !== value.fn) throw new CliError('DUPLICATE_PROVIDER', `${file} defines provider ${value.name} twice`);
    found.set(value.name, { name: value.name, fn: value.fn });
  };
  for (const [key, value] of Object.entries(mod)) {
    if (key === 'default' && Array.isArray(value)) value.forEach(add);
    else if (key === 'default' && typeof value === 'object' && value !== null && !isProvider(value)) {
      // A CommonJS module (a stock CDK app's provider file) imported from ESM: its exports are `default`'s keys.
      for (const inner of Object.values(value as Record<string, unknown>)) add(inner);
    } else add(value);
  }
  if (found.size === 0) throw new CliError('NO_PROVIDERS', `${file} exports no providers (export defineProvider(name, fn) definitions, or a default array of them)`);
  return found;
}

/**
 * The requests of the worker, with the base URL and authorization the other commands use (`--url`/`JOBX_URL`,
 * `--sigv4` with the `AWS_*` credentials, `JOBX_TOKEN` as a bearer token). The SDK has no worker calls, hence fetch.
 */
function requester(ctx: CliContext, globals: { sigv4?: boolean; region?: string }): Request {
  const env = ctx.io.env;
  // The client validates the options (credentials for --sigv4) and resolves the base URL exactly as elsewhere.
  const baseUrl = ctx.client().baseUrl;
  const sign = globals.sigv4 ?? (regionFromUrl(baseUrl) !== undefined && env.AWS_ACCESS_KEY_ID !== undefined);
  let signer: Signer | undefined;
  if (sign && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
    const region = globals.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? regionFromUrl(baseUrl) ?? 'us-east-1';
    signer = createSigner({ credentials, region });
  }
  const doFetch = ctx.io.fetch ?? globalThis.fetch;
  return async (method, path, opts = {}) => {
    const url = new URL(baseUrl + path);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    let headers: Record<string, string> = {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(env.JOBX_TOKEN ? { authorization: `Bearer ${env.JOBX_TOKEN}` } : {}),
      ...opts.headers,
    };
    if (signer) headers = await signer({ method, url, headers, ...(body !== undefined ? { body } : {}) });
    const limitMs = REQUEST_TIMEOUT_MS + (opts.waitSeconds ?? 0) * 1000;
    const timeout = AbortSignal.timeout(limitMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const where = url.pathname + url.search;
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, { method, headers, ...(body !== undefined ? { body } : {}), signal });
      text = await res.text();
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (timeout.aborted) throw new JobxApiError({ status: 0, code: 'TIMEOUT', message: `${method} ${where} got no answer within ${limitMs} ms`, method, path: where, cause: err });
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new JobxApiError({ status: 0, code: 'NETWORK_ERROR', message: `${method} ${url.origin}${where} failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`, method, path: where, cause: err });
    }
    let parsed: unknown;
    try {
      parsed = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.status >= 400) throw errorFromResponse({ status: res.status, statusText: res.statusText, body: parsed, text, method, path: where });
    return { status: res.status, body: parsed };
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** How an attempt ended, as the failure endpoint takes it. */
interface Failure {
  error: { message: string; code: string };
  retryable: boolean;
}

/** A provider's throw as a failure report (the same codes a Lambda provider records). */
export function failureOf(err: unknown): Failure {
  const e = err instanceof Error ? err : new Error(String(err));
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const message = clip(e.message || e.name || 'error', 4096);
  if (e instanceof NonRetryableError || e.name === 'NonRetryableError') {
    return { error: { message, code: clip(String((e as NonRetryableError).code ?? 'NON_RETRYABLE'), 128) }, retryable: false };
  }
  if (e instanceof RetryAfterError || e.name === 'RetryAfterError') return { error: { message, code: 'RETRY_AFTER' }, retryable: true };
  return { error: { message, code: clip(e.name && e.name !== 'Error' ? e.name : 'PROVIDER_ERROR', 128) }, retryable: true };
}

function isPending(value: unknown): boolean {
  return value instanceof PendingResult || (typeof value === 'object' && value !== null && value.constructor?.name === 'PendingResult');
}

/** What a provider returned as the task's output (nothing is `{}`, a non-object is `{ result }`). */
function outputOf(value: unknown): JsonObject {
  if (value === undefined || value === null) return {};
  if (typeof value === 'object' && !Array.isArray(value)) return JSON.parse(JSON.stringify(value)) as JsonObject;
  return { result: JSON.parse(JSON.stringify(value)) as JsonObject[string] };
}

/** The worker's output: lines on stderr for people, JSON lines on stdout with `--json`. */
function reporter(ctx: CliContext, json: boolean) {
  const c = ctx.errColors;
  return (event: string, fields: Record<string, unknown>, line: string, level: 'info' | 'ok' | 'bad' = 'info') => {
    if (json) {
      ctx.io.stdout.write(`${JSON.stringify({ event, at: new Date(ctx.now()).toISOString(), ...fields })}\n`);
      return;
    }
    ctx.err(level === 'ok' ? c.green(line) : level === 'bad' ? c.red(line) : line);
  };
}

/**
 * Runs the worker until SIGINT/SIGTERM (then finishes the tasks in flight) and returns the exit code; a second
 * signal exits the process at once with 1. A claim the API refuses (400: a bad id or provider name) ends it with 1.
 */
export async function runWorker(ctx: CliContext, request: Request, providers: Map<string, LoadedProvider>, opts: WorkerOptions): Promise<number> {
  const log = reporter(ctx, opts.json);
  const stop = new AbortController();
  let exitCode: number = EXIT.ok;
  const inFlight = new Set<string>();

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log('killed', { signal, inFlight: [...inFlight] }, `${signal} again: exiting now, ${inFlight.size} task(s) left unreported (they retry after their lease)`, 'bad');
      process.exit(EXIT.failed);
    }
    log('stopping', { signal, inFlight: [...inFlight] }, `${signal}: no more claims; finishing ${inFlight.size} task(s) in flight (again to exit at once)`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const query = new URLSearchParams({ wait: String(opts.wait) });
  if (opts.offer.length > 0) query.set('providers', opts.offer.join(','));
  const claimPath = `/workers/${encodeURIComponent(opts.id)}/claim?${query.toString()}`;

  const names = [...providers.keys()].sort();
  log(
    'started',
    { workerId: opts.id, providers: names, offer: opts.offer, concurrency: opts.concurrency },
    `worker ${opts.id}: providers ${names.join(', ')}; concurrency ${opts.concurrency}; ${opts.offer.length > 0 ? `offering ${opts.offer.join(', ')}` : 'pinned tasks only'}`,
  );

  /** Reports an end, retrying while the API cannot be reached. */
  const report = async (task: ClaimedTask, kind: 'success' | 'failure', body: unknown): Promise<'done' | 'refused' | 'error'> => {
    const where = `${task.jobId}/${task.taskId}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await request('POST', `/task-tokens/${kind}`, { body, headers: { [TASK_TOKEN_HEADER]: task.taskToken } });
        return 'done';
      } catch (err) {
        if (err instanceof JobxApiError && (err.status === 409 || err.status === 404)) {
          log('lease-lost', { jobId: task.jobId, taskId: task.taskId, attempt: task.attempt, code: err.code, message: err.message }, `${where} lease lost, result refused: ${err.message}`, 'bad');
          return 'refused';
        }
        const transient = err instanceof JobxApiError && (err.status === 0 || err.status === 429 || err.status >= 500);
        if (!transient || attempt >= REPORT_ATTEMPTS) {
          log('report-error', { jobId: task.jobId, taskId: task.taskId, attempt: task.attempt, message: (err as Error).message }, `${where} could not report ${kind}: ${(err as Error).message}`, 'bad');
          return 'error';
        }
        await sleep(500 * 2 ** (attempt - 1));
      }
    }
  };

  /** Runs one claimed task: heartbeats while it runs, then reports how it ended. */
  const runOne = async (task: ClaimedTask) => {
    const where = `${task.jobId}/${task.taskId}`;
    const ids = { jobId: task.jobId, taskId: task.taskId, attempt: task.attempt, provider: task.provider };
    log('claimed', { ...ids, taskName: task.taskName }, `claimed ${where} attempt ${task.attempt} (${task.provider})`);
    const provider = providers.get(task.provider);
    if (!provider) {
      const failure: Failure = { error: { message: `no provider ${task.provider} in this worker`, code: 'UNKNOWN_PROVIDER' }, retryable: false };
      if ((await report(task, 'failure', failure)) === 'done') log('failed', { ...ids, error: failure.error, retryable: false }, `${where} failed: ${failure.error.message}`, 'bad');
      return;
    }
    const abort = new AbortController();
    const beatMs = Math.max(200, (task.leaseSeconds * 1000) / 3);
    let beating = false;
    const beat = setInterval(() => {
      // One heartbeat at a time: a slow API must not pile them up.
      if (beating) return;
      beating = true;
      request('POST', '/task-tokens/heartbeat', { signal: abort.signal, headers: { [TASK_TOKEN_HEADER]: task.taskToken } }).then(() => (beating = false), (err: unknown) => {
        beating = false;
        if (abort.signal.aborted) return;
        if (err instanceof JobxApiError && (err.status === 409 || err.status === 404)) {
          // The attempt is over for the API (lease lapsed, job discarded): tell the provider to stop.
          clearInterval(beat);
          log('lease-lost', { ...ids, code: err.code, message: err.message }, `${where} lease lost: ${err.message}`, 'bad');
          abort.abort(new Error(`lease lost: ${err.message}`));
          return;
        }
        log('heartbeat-error', { ...ids, message: (err as Error).message }, `${where} heartbeat failed: ${(err as Error).message}`, 'bad');
      });
    }, beatMs);
    let value: unknown;
    let thrown: { err: unknown } | undefined;
    try {
      value = await provider.fn({
        input: task.input,
        env: task.env,
        context: task.context,
        job: task.job,
        task: { taskId: task.taskId, name: task.taskName, attempt: task.attempt },
        signal: abort.signal,
        taskToken: task.taskToken,
      });
    } catch (err) {
      thrown = { err };
    } finally {
      clearInterval(beat);
    }
    if (!thrown && isPending(value)) {
      log('pending', ids, `${where} pending: left for completion by its task token`);
      return;
    }
    let output: JsonObject | undefined;
    let failure: Failure | undefined;
    if (thrown) failure = failureOf(thrown.err);
    else {
      try {
        output = outputOf(value);
        const bytes = Buffer.byteLength(JSON.stringify(output), 'utf8');
        if (bytes > MAX_OUTPUT_BYTES) failure = { error: { message: `output is ${bytes} bytes; the limit is ${MAX_OUTPUT_BYTES}`, code: 'OUTPUT_TOO_LARGE' }, retryable: false };
      } catch (err) {
        failure = { error: { message: `output is not JSON: ${(err as Error).message}`, code: 'BAD_OUTPUT' }, retryable: false };
      }
    }
    if (failure) {
      if ((await report(task, 'failure', failure)) === 'done') {
        log('failed', { ...ids, error: failure.error, retryable: failure.retryable }, `${where} failed: ${failure.error.message}`, 'bad');
      }
    } else if ((await report(task, 'success', { output })) === 'done') {
      log('succeeded', { ...ids, output }, `${where} succeeded`, 'ok');
    }
    abort.abort();
  };

  const slot = async () => {
    let backoff = 0;
    while (!stop.signal.aborted) {
      let answer: Answer;
      try {
        // Not aborted on shutdown: the server may already have claimed a task for this poll; cutting the poll
        // would strand that task until its lease ran out. An open poll ends within --wait; what it brings is run.
        answer = await request('POST', claimPath, { waitSeconds: opts.wait });
        backoff = 0;
      } catch (err) {
        if (stop.signal.aborted) break;
        if (err instanceof JobxApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
          // A refusal no retry mends (a bad worker id or provider name, no authorization).
          if (exitCode === EXIT.ok) log('error', { code: err.code, message: err.message }, `error ${err.code}: ${err.message}`, 'bad');
          exitCode = EXIT.failed;
          stop.abort();
          break;
        }
        backoff = Math.min(MAX_BACKOFF_MS, backoff === 0 ? 1000 : backoff * 2);
        log('claim-error', { message: (err as Error).message, retryInMs: backoff }, `claim failed (${(err as Error).message}); again in ${backoff / 1000} s`, 'bad');
        await sleep(backoff, stop.signal);
        continue;
      }
      if (answer.status !== 200 || answer.body === undefined) continue;
      const task = answer.body as ClaimedTask;
      const key = `${task.jobId}/${task.taskId}#${task.attempt}`;
      inFlight.add(key);
      try {
        await runOne(task);
      } catch (err) {
        log('error', { jobId: task.jobId, taskId: task.taskId, message: (err as Error)?.message }, `${task.jobId}/${task.taskId}: ${(err as Error)?.stack ?? String(err)}`, 'bad');
      } finally {
        inFlight.delete(key);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: opts.concurrency }, () => slot()));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  log('stopped', { workerId: opts.id, exitCode }, `worker ${opts.id} stopped`);
  return exitCode;
}

function parseOffer(value: string): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('expected provider names separated by commas');
  return names;
}

function parseWait(value: string): number {
  const n = parseSeconds(value);
  if (n > MAX_CLAIM_WAIT_SECONDS) throw new InvalidArgumentError(`at most ${MAX_CLAIM_WAIT_SECONDS} seconds`);
  return n;
}

/** Registers `worker`. */
export function registerWorker(program: Program, ctx: CliContext): void {
  program
    .command('worker')
    .description('run an external worker: claim tasks pinned to --id (preLock) or of the --offer providers, run them with the providers of --providers FILE')
    .requiredOption('--id <workerId>', 'the executor id tasks are pinned to (preLock)')
    .requiredOption('--providers <file>', 'JS/TS module exporting defineProvider(name, fn) definitions (named exports or a default array)')
    .option('--concurrency <n>', 'tasks run at once', parsePositiveInt, WORKER_DEFAULTS.concurrency)
    .option('--offer <names>', 'also serve unpinned tasks of these external providers (comma-separated; default: pinned tasks only)', parseOffer)
    .option('--wait <seconds>', `long-poll of each claim (≤ ${MAX_CLAIM_WAIT_SECONDS})`, parseWait, WORKER_DEFAULTS.waitSeconds)
    .option('--json', 'print JSON lines (one per event) on stdout instead of lines on stderr')
    .addHelpText('after', '\nSIGINT/SIGTERM: stop claiming, finish the tasks in flight, exit 0; a second signal exits at once (1).')
    .action(async (opts) => {
      if (!WORKER_ID.test(opts.id)) throw new CliError('INVALID_WORKER_ID', 'worker ids use letters, digits and _ . : - (1-128 characters)', EXIT.usage);
      const providers = await loadProviders(opts.providers);
      const offer = opts.offer ?? [];
      const missing = offer.filter((name) => !providers.has(name));
      if (missing.length > 0) throw new CliError('UNKNOWN_PROVIDER', `--offer ${missing.join(', ')}: not in ${opts.providers} (it has ${[...providers.keys()].sort().join(', ')})`, EXIT.usage);
      const request = requester(ctx, program.opts());
      const code = await runWorker(ctx, request, providers, { id: opts.id, providers: opts.providers, concurrency: opts.concurrency, offer, wait: opts.wait, json: Boolean(opts.json) });
      if (code !== EXIT.ok) throw new CliExit(code);
    });
}
