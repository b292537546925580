/** A 400 from a schema stays small whatever the body: the first problems, and how many there were. */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { MAX_ISSUES, errorResponse } from '../../../functions/http/api-errors';

describe('VALIDATION_FAILED details', () => {
  const children = z.array(z.object({ owner: z.string() }));

  it('lists every problem when there are few', () => {
    const res = errorResponse(children.safeParse([{}, {}]).error);
    const body = JSON.parse(res.body!);
    expect(res.statusCode).toBe(400);
    expect(body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(['0.owner', '1.owner']);
    expect(body.error.details.issueCount).toBeUndefined();
  });

  it('lists the first 50 of 10,000 (one mistake in every child) and says how many there were', () => {
    const res = errorResponse(children.safeParse(Array.from({ length: 10_000 }, () => ({}))).error);
    const body = JSON.parse(res.body!);
    expect(body.error.details.issues).toHaveLength(MAX_ISSUES);
    expect(body.error.details.issueCount).toBe(10_000);
    expect(body.error.message).toBe('0.owner: Invalid input: expected string, received undefined');
    expect(res.body!.length).toBeLessThan(8_000);
  });
});
