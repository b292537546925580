import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  resolveRetryPolicy,
  retryDelayMs,
  type RetryPolicy,
  type RetryPolicyInput,
} from '../../../functions/core/retry-policy';
import { eachCase, seededRandom } from '../../helpers/core-factories';

/** The largest double below 1: the top of the [0, 1) range `random` is drawn from. */
const JUST_BELOW_ONE = 1 - Number.EPSILON / 2;

const exponential = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => resolveRetryPolicy({ backoff: 'exponential', ...overrides });

describe('DEFAULT_RETRY_POLICY', () => {
  it('is the original library default: 3 retries, a 10 s gap, linear backoff, a 1 h cap', () => {
    // Assess
    expect(DEFAULT_RETRY_POLICY).toEqual({ count: 3, gapSeconds: 10, backoff: 'linear', maxDelaySeconds: 3600 });
  });

  it('is frozen so no caller can change the defaults of every other job', () => {
    // Assess
    expect(Object.isFrozen(DEFAULT_RETRY_POLICY)).toBe(true);
  });
});

describe('resolveRetryPolicy', () => {
  it('with no layers resolves to the defaults', () => {
    // Act
    const policy = resolveRetryPolicy();

    // Assess
    expect(policy).toEqual(DEFAULT_RETRY_POLICY);
  });

  it('returns a fresh object: changing it leaves the defaults alone', () => {
    // Prepare
    const policy = resolveRetryPolicy();

    // Act
    policy.count = 99;

    // Assess
    expect(DEFAULT_RETRY_POLICY.count).toBe(3);
    expect(resolveRetryPolicy().count).toBe(3);
  });

  const cases: Array<{ name: string; layers: Array<RetryPolicyInput | undefined>; expected: RetryPolicy }> = [
    {
      name: 'undefined and empty layers change nothing',
      layers: [undefined, {}, undefined],
      expected: { count: 3, gapSeconds: 10, backoff: 'linear', maxDelaySeconds: 3600 },
    },
    {
      name: 'one layer overrides only the fields it sets',
      layers: [{ count: 5 }],
      expected: { count: 5, gapSeconds: 10, backoff: 'linear', maxDelaySeconds: 3600 },
    },
    {
      name: 'a later layer wins field by field, earlier fields it does not set survive',
      layers: [{ count: 5, gapSeconds: 2 }, { gapSeconds: 7, backoff: 'exponential' }],
      expected: { count: 5, gapSeconds: 7, backoff: 'exponential', maxDelaySeconds: 3600 },
    },
    {
      name: 'job chain then task: the task layer wins',
      layers: [{ count: 1, maxDelaySeconds: 60 }, { count: 2 }, { count: 4, maxDelaySeconds: 30 }],
      expected: { count: 4, gapSeconds: 10, backoff: 'linear', maxDelaySeconds: 30 },
    },
    {
      name: 'zero is a value, not a missing field (count 0 = no retries, gap 0 = retry at once)',
      layers: [{ count: 0, gapSeconds: 0, maxDelaySeconds: 0 }],
      expected: { count: 0, gapSeconds: 0, backoff: 'linear', maxDelaySeconds: 0 },
    },
    {
      name: 'an explicit undefined field does not erase an earlier layer',
      layers: [{ count: 7 }, { count: undefined }],
      expected: { count: 7, gapSeconds: 10, backoff: 'linear', maxDelaySeconds: 3600 },
    },
  ];
  eachCase(cases, (c) => `${c.name}`, ({ layers, expected }) => {
    // Act
    const policy = resolveRetryPolicy(...layers);

    // Assess
    expect(policy).toEqual(expected);
  });
});

describe('retryDelayMs: linear backoff', () => {
  const defaults = resolveRetryPolicy();

  eachCase([
    { retry: 1, ms: 10_000 },
    { retry: 2, ms: 20_000 },
    { retry: 3, ms: 30_000 },
  ], (c) => `with the defaults the retry ${c.retry} waits ${c.ms} ms (the gap grows by the gap)`, ({ retry, ms }) => {
    // Act / Assess
    expect(retryDelayMs(defaults, retry, 0.5)).toBe(ms);
  });

  eachCase([
    { gapSeconds: 5, retry: 4, ms: 20_000 },
    { gapSeconds: 2.5, retry: 3, ms: 7_500 },
    { gapSeconds: 0, retry: 3, ms: 0 },
    { gapSeconds: 0.0015, retry: 1, ms: 2 },
  ], (c) => `a gap of ${c.gapSeconds} s makes retry ${c.retry} wait gap × retry = ${c.ms} ms (rounded to whole ms)`, ({ gapSeconds, retry, ms }) => {
    // Act / Assess
    expect(retryDelayMs(resolveRetryPolicy({ gapSeconds }), retry, 0)).toBe(ms);
  });

  it('ignores the random number (no jitter on linear backoff)', () => {
    // Act
    const delays = [0, 0.25, 0.5, JUST_BELOW_ONE].map((r) => retryDelayMs(defaults, 2, r));

    // Assess
    expect(new Set(delays)).toEqual(new Set([20_000]));
  });

  it('is not capped by maxDelaySeconds (the cap is for exponential backoff)', () => {
    // Act / Assess
    expect(retryDelayMs(resolveRetryPolicy({ gapSeconds: 100, maxDelaySeconds: 60 }), 3, 0)).toBe(300_000);
  });
});

describe('retryDelayMs: exponential backoff with full jitter', () => {
  it.each([1, 2, 3, 5, 10, 20])('random = 0 gives no delay at retry %i', (retry) => {
    // Act / Assess
    expect(retryDelayMs(exponential(), retry, 0)).toBe(0);
  });

  eachCase([
    { retry: 1, ceilingSeconds: 10 },
    { retry: 2, ceilingSeconds: 20 },
    { retry: 3, ceilingSeconds: 40 },
    { retry: 9, ceilingSeconds: 2560 },
    { retry: 10, ceilingSeconds: 3600 }, // 10 × 2^9 = 5120 > 3600: capped
    { retry: 30, ceilingSeconds: 3600 },
  ], (c) => `retry ${c.retry}: random = 0.5 waits half of min(maxDelaySeconds, gap × 2^(retry-1)) = ${c.ceilingSeconds} s`, ({ retry, ceilingSeconds }) => {
    // Act / Assess
    expect(retryDelayMs(exponential(), retry, 0.5)).toBe(ceilingSeconds * 500);
  });

  eachCase([
    { retry: 1, ceilingSeconds: 10 },
    { retry: 4, ceilingSeconds: 80 },
    { retry: 12, ceilingSeconds: 3600 },
  ], (c) => `retry ${c.retry}: random just below 1 stays strictly below the ceiling of ${c.ceilingSeconds} s`, ({ retry, ceilingSeconds }) => {
    // Act
    const delay = retryDelayMs(exponential(), retry, JUST_BELOW_ONE);

    // Assess
    expect(delay).toBeLessThan(ceilingSeconds * 1000);
    expect(delay).toBeGreaterThanOrEqual(ceilingSeconds * 1000 - 1);
  });

  it('a cap below the gap caps even the first retry', () => {
    // Act / Assess
    expect(retryDelayMs(exponential({ gapSeconds: 30, maxDelaySeconds: 5 }), 1, 0.5)).toBe(2_500);
  });

  eachCase([
    { gapSeconds: 10, maxDelaySeconds: 3600 },
    { gapSeconds: 1, maxDelaySeconds: 60 },
    { gapSeconds: 0.3, maxDelaySeconds: 7 },
    { gapSeconds: 45, maxDelaySeconds: 100_000 },
  ], (c) => `gap ${c.gapSeconds} s, cap ${c.maxDelaySeconds} s: every delay is a whole number of ms in [0, min(cap, gap × 2^(k-1)) s) for random in [0, 1)`, ({ gapSeconds, maxDelaySeconds }) => {
      // Prepare
      const policy = exponential({ gapSeconds, maxDelaySeconds });
      const random = seededRandom(gapSeconds * 1000 + maxDelaySeconds);

      const violations: string[] = [];

      for (let retry = 1; retry <= 16; retry++) {
        const ceilingMs = Math.min(maxDelaySeconds, gapSeconds * 2 ** (retry - 1)) * 1000;
        for (const r of [0, JUST_BELOW_ONE, ...Array.from({ length: 50 }, random)]) {
          // Act
          const delay = retryDelayMs(policy, retry, r);

          // Assess (collected, then checked once)
          if (!Number.isInteger(delay) || delay < 0 || delay >= ceilingMs) violations.push(`retry ${retry}, random ${r}: ${delay} ms, ceiling ${ceilingMs} ms`);
        }
      }
      expect(violations).toEqual([]);
    },
  );

  it('grows with the random number (more jitter → a longer wait, never shorter)', () => {
    // Prepare
    const policy = exponential();
    const rs = [0, 0.1, 0.2, 0.5, 0.9, JUST_BELOW_ONE];

    // Act
    const delays = rs.map((r) => retryDelayMs(policy, 4, r));

    // Assess
    expect([...delays].sort((a, b) => a - b)).toEqual(delays);
  });
});
