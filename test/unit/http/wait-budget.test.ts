/**
 * A sync wait never outlives its invocation (issue 10, safe defaults): the wait asked for is cut to the time the
 * function has left (the wait function's for the result long-poll, the API function's for a submit with a wait), less what it needs to answer, so a long-poll ends in a 202 rather than a Lambda timeout.
 */
import { describe, expect, it } from 'vitest';
import { createLambdaContext } from '../../../functions/local/lambda-context';
import { apiEvent, apiHandler, call, fakeTable, waitHandler } from './harness';

describe('sync waits and the function time left', () => {
  it('GET result?wait=25 with 4 s left answers 202 after about 2 s, not after 25 s', async () => {
    fakeTable();
    const created = await call('POST', '/jobs', { name: 'j', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] });
    expect(created.status).toBe(201);
    const started = Date.now();
    const res = await waitHandler(apiEvent('GET', `/jobs/${created.body.jobId as string}/result?wait=25`), createLambdaContext('jobx-wait', 4_000));
    const took = Date.now() - started;
    expect(res.statusCode).toBe(202);
    expect(took).toBeGreaterThanOrEqual(1_500);
    expect(took).toBeLessThan(3_500);
  });

  it('with no time left beyond the answer reserve it answers at once', async () => {
    fakeTable();
    const started = Date.now();
    const res = await apiHandler(apiEvent('POST', '/jobs?wait=10', JSON.stringify({ name: 'j', owner: 'o', tasks: [{ name: 'a', provider: 'demo' }] })), createLambdaContext('jobx-api', 1_000));
    expect(res.statusCode).toBe(201);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
