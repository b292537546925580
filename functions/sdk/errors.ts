/**
 * Errors the jobx SDK throws. Every failed call becomes a {@link JobxApiError} carrying the HTTP status and the
 * API's stable UPPER_SNAKE_CASE `code`, so callers branch on data, never on message text.
 * @module
 */

/**
 * Codes the SDK itself uses when the API did not answer with `{ error: { code } }`.
 * @example
 * ```ts
 * const retryable = (code: string) => (['NETWORK_ERROR', 'TIMEOUT', 'THROTTLED'] satisfies JobxClientErrorCode[]).includes(code as never);
 * ```
 */
export type JobxClientErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'BAD_RESPONSE' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'THROTTLED';

/**
 * Codes the jobx API answers with (see the API contract); other codes may be added, so `code` is a `string`.
 * @example
 * ```ts
 * const code: JobxErrorCode = 'INVALID_STATE';
 * ```
 */
export type JobxErrorCode =
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'INVALID_STATE'
  | 'CONFLICT'
  | 'BIZ_ID_CONFLICT'
  | 'NOT_PAUSABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNKNOWN_PROVIDER'
  | 'ROUTE_NOT_FOUND'
  | 'INTERNAL'
  | JobxClientErrorCode;

/**
 * Constructor fields of a {@link JobxApiError}.
 * @example
 * ```ts
 * const init: JobxApiErrorInit = { status: 404, code: 'NOT_FOUND', message: 'job x not found', method: 'GET', path: '/jobs/x' };
 * throw new JobxApiError(init);
 * ```
 */
export interface JobxApiErrorInit {
  /** HTTP status; `0` when no response arrived (network error, timeout). */
  status: number;
  /** Stable error code, e.g. `NOT_FOUND`, `INVALID_STATE`, `NETWORK_ERROR`. */
  code: JobxErrorCode | (string & {});
  message: string;
  /** The API's `error.details` (for `INVALID_STATE`: `{ status }`, the current status). */
  details?: Record<string, unknown>;
  /** The request that failed. */
  method: string;
  /** Path and query of the request that failed, e.g. `/jobs/01J…`. */
  path: string;
  /** API Gateway's request id, when the response carried one. */
  requestId?: string;
  cause?: unknown;
}

/**
 * A jobx API call failed: the API answered with an error status, or no answer arrived.
 *
 * `status` is the HTTP status (0 without a response), `code` the contract's stable code (`NOT_FOUND`,
 * `INVALID_STATE`, `VALIDATION_FAILED`, …) or one of the SDK's own (`NETWORK_ERROR`, `TIMEOUT`, `BAD_RESPONSE`,
 * `UNAUTHORIZED`, `FORBIDDEN`, `THROTTLED`), `details` the API's `error.details`.
 *
 * @example
 * ```ts
 * import { jobx, JobxApiError } from 'jobx/sdk';
 *
 * try {
 *   await jobx.skip(jobId, 't2', { reason: 'done by hand' });
 * } catch (err) {
 *   if (err instanceof JobxApiError && err.code === 'INVALID_STATE') {
 *     console.log(`t2 is ${String(err.details?.status)}, nothing to skip`);
 *   } else throw err;
 * }
 * ```
 * @public
 */
export class JobxApiError extends Error {
  override readonly name = 'JobxApiError';
  /** HTTP status; `0` when no response arrived. */
  readonly status: number;
  /** Stable error code. */
  readonly code: JobxErrorCode | (string & {});
  /** The API's `error.details`, if any. */
  readonly details: Record<string, unknown> | undefined;
  /** HTTP method of the failed request. */
  readonly method: string;
  /** Path (and query) of the failed request. */
  readonly path: string;
  /** API Gateway's request id, when known. */
  readonly requestId: string | undefined;

  /**
   * @param init - status, code, message, details and the failed request
   * @example
   * ```ts
   * new JobxApiError({ status: 409, code: 'INVALID_STATE', message: 'task t1 is succeeded', details: { status: 'succeeded' }, method: 'POST', path: '/jobs/x/tasks/t1/skip' });
   * ```
   */
  constructor(init: JobxApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.method = init.method;
    this.path = init.path;
    this.requestId = init.requestId;
  }
}

/**
 * True when `err` is a {@link JobxApiError}, optionally with the given code.
 * @example
 * ```ts
 * const job = await jobx.get(id).catch((err) => (isJobxApiError(err, 'NOT_FOUND') ? undefined : Promise.reject(err)));
 * ```
 */
export function isJobxApiError(err: unknown, code?: JobxErrorCode | (string & {})): err is JobxApiError {
  return err instanceof JobxApiError && (code === undefined || err.code === code);
}

function fallbackCode(status: number): string {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 429) return 'THROTTLED';
  return `HTTP_${status}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Turns an HTTP error response into a {@link JobxApiError}. The contract's `{ error: { code, message, details } }`
 * is used as is; other bodies (API Gateway's own `{ message }` for 403/429/5xx, HTML from a proxy) get a code derived
 * from the status.
 * @example
 * ```ts
 * const err = errorFromResponse({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'no job x' } }, method: 'GET', path: '/jobs/x' });
 * err.code; // 'NOT_FOUND'
 * ```
 */
export function errorFromResponse(res: { status: number; statusText?: string; body: unknown; text?: string; method: string; path: string; requestId?: string }): JobxApiError {
  const base = { status: res.status, method: res.method, path: res.path, ...(res.requestId ? { requestId: res.requestId } : {}) };
  const error = isRecord(res.body) ? res.body.error : undefined;
  if (isRecord(error) && typeof error.code === 'string') {
    return new JobxApiError({
      ...base,
      code: error.code,
      message: typeof error.message === 'string' ? error.message : error.code,
      ...(isRecord(error.details) ? { details: error.details } : {}),
    });
  }
  const message =
    isRecord(res.body) && typeof res.body.message === 'string'
      ? res.body.message
      : res.text && res.text.length > 0 && res.text.length < 300 && !res.text.trimStart().startsWith('<')
        ? res.text.trim()
        : `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  return new JobxApiError({ ...base, code: fallbackCode(res.status), message });
}
