/**
 * Typed errors with stable UPPER_SNAKE codes. The HTTP layer maps each code to a status.
 * @module
 */

/** Stable error codes of jobx. */
export type JobxErrorCode =
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'INVALID_STATE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNKNOWN_PROVIDER'
  | 'NOT_PAUSABLE'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'BIZ_ID_CONFLICT'
  | 'INTERNAL';

/** The HTTP status of each code (the API's error mapping and its OpenAPI document both read it). */
export const HTTP_STATUS: Readonly<Record<JobxErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNKNOWN_PROVIDER: 400,
  NOT_PAUSABLE: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INVALID_STATE: 409,
  CONFLICT: 409,
  BIZ_ID_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  INTERNAL: 500,
};

/**
 * The one error type jobx throws on purpose. `code` is stable; `details` is JSON for the client.
 * @example
 * throw new JobxError('NOT_FOUND', `job ${jobId} not found`);
 */
export class JobxError extends Error {
  /** Stable machine-readable code. */
  readonly code: JobxErrorCode;
  /** Extra JSON-serialisable facts for the client (e.g. the current status on INVALID_STATE). */
  readonly details?: Record<string, unknown>;

  constructor(code: JobxErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JobxError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }

  /** The HTTP status this error maps to. */
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}
