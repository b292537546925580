/**
 * Errors a provider throws to steer retries.
 * @module
 */

/**
 * Fails the task at once: no automatic retry, whatever budget is left.
 * @example
 * throw new NonRetryableError('customer not found');
 * @public
 */
export class NonRetryableError extends Error {
  /** Stable code recorded on the attempt. */
  readonly code: string;
  constructor(message: string, options?: ErrorOptions & { code?: string }) {
    super(message, options);
    this.name = 'NonRetryableError';
    this.code = options?.code ?? 'NON_RETRYABLE';
  }
}

/**
 * Retries after the given delay instead of the policy's gap (still counts against the retry budget).
 * @example
 * throw new RetryAfterError('rate limited', 30_000);
 * @public
 */
export class RetryAfterError extends Error {
  /** Delay before the next attempt, in milliseconds. */
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RetryAfterError';
    this.retryAfterMs = retryAfterMs;
  }
}
