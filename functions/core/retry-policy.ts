/**
 * Automatic retry policy: how many retries a task gets and how long to wait before each.
 * Pure: randomness for jitter is passed in, never drawn here.
 * @module
 */

/** Backoff shape between automatic retries. */
export type Backoff = 'linear' | 'exponential';

/** A fully resolved retry policy. */
export interface RetryPolicy {
  /** Automatic retries after the first attempt of a run. @default 3 */
  count: number;
  /** Base gap in seconds. Linear: the k-th retry waits gap × k. @default 10 */
  gapSeconds: number;
  /** @default 'linear' */
  backoff: Backoff;
  /** Cap of one exponential delay (before jitter). @default 3600 */
  maxDelaySeconds: number;
}

/** A retry policy as submitted: every field optional. */
export type RetryPolicyInput = Partial<RetryPolicy>;

/** Defaults of the original library: 3 retries, a gap of 10 s growing by the gap each attempt. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  count: 3,
  gapSeconds: 10,
  backoff: 'linear',
  maxDelaySeconds: 3600,
});

/** Resolves a policy: later layers override earlier ones field by field. */
export function resolveRetryPolicy(...layers: Array<RetryPolicyInput | undefined>): RetryPolicy {
  const out: RetryPolicy = { ...DEFAULT_RETRY_POLICY };
  for (const layer of layers) {
    if (!layer) continue;
    if (layer.count !== undefined) out.count = layer.count;
    if (layer.gapSeconds !== undefined) out.gapSeconds = layer.gapSeconds;
    if (layer.backoff !== undefined) out.backoff = layer.backoff;
    if (layer.maxDelaySeconds !== undefined) out.maxDelaySeconds = layer.maxDelaySeconds;
  }
  return out;
}

/**
 * Delay in milliseconds before the `retryNumber`-th automatic retry (1-based).
 * Linear: gap × retryNumber. Exponential: full jitter over min(max, gap × 2^(retryNumber-1)).
 * @param random - a number in [0, 1), drawn by the caller (only exponential uses it)
 */
export function retryDelayMs(policy: RetryPolicy, retryNumber: number, random: number): number {
  if (policy.backoff === 'exponential') {
    const ceiling = Math.min(policy.maxDelaySeconds, policy.gapSeconds * 2 ** (retryNumber - 1));
    return Math.floor(random * ceiling * 1000);
  }
  return Math.round(policy.gapSeconds * retryNumber * 1000);
}
