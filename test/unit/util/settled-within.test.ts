/** succeededWithin: a send's outcome within a time budget (a hung send never holds a submit's answer). */
import { describe, expect, it } from 'vitest';
import { succeededWithin } from '../../../functions/util/settled-within';

describe('succeededWithin', () => {
  it('true when the work resolves in time, false when it rejects', async () => {
    expect(await succeededWithin(Promise.resolve('ok'), 1_000)).toBe(true);
    expect(await succeededWithin(Promise.reject(new Error('no')), 1_000)).toBe(false);
  });

  it('false once the time is up while the work is still pending, without waiting for it', async () => {
    const started = Date.now();
    expect(await succeededWithin(new Promise(() => undefined), 30)).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
