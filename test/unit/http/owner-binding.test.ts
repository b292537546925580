import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, fakeTable } from './harness';
import { assertMayControl, boundOwner, callerOf } from '../../../functions/http/caller';
import { apiEvent } from './harness';

const spec = (owner?: string) => ({ name: 'bound', ...(owner !== undefined ? { owner } : {}), tasks: [{ name: 'a', provider: 'demo' }] });

describe('owner binding (JOBX_BIND_OWNER=true)', () => {
  beforeEach(() => {
    process.env.JOBX_BIND_OWNER = 'true';
    fakeTable();
  });
  afterEach(() => {
    delete process.env.JOBX_BIND_OWNER;
  });

  it('a submission is owned by its caller; naming another owner is 403 FORBIDDEN, nothing written', async () => {
    const mine = await call('POST', '/jobs', spec(), { 'x-jobx-caller': 'alice' });
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({ owner: 'jwt:alice', createdBy: 'jwt:alice' });
    const theirs = await call('POST', '/jobs', spec('bob'), { 'x-jobx-caller': 'alice' });
    expect(theirs.status).toBe(403);
    expect(theirs.body.error?.code).toBe('FORBIDDEN');
  });

  it('only the owner, or a caller with the control scope, acts on the job', async () => {
    const created = await call('POST', '/jobs', spec(), { 'x-jobx-caller': 'alice' });
    const jobId = String(created.body.jobId);
    const stranger = await call('POST', `/jobs/${jobId}/pause`, {}, { 'x-jobx-caller': 'mallory' });
    expect(stranger.status).toBe(403);
    expect(stranger.body.error?.code).toBe('FORBIDDEN');
    // The owner and an operator pass the check (what the action then does is the engine's business).
    expect((await call('POST', `/jobs/${jobId}/pause`, {}, { 'x-jobx-caller': 'alice' })).status).not.toBe(403);
    expect((await call('POST', `/jobs/${jobId}/pause`, {}, { 'x-jobx-caller': 'ops', 'x-jobx-scopes': 'jobx/control' })).status).not.toBe(403);
  });
});

describe('callers', () => {
  it('IAM principal ARN, JWT subject and scopes, or anonymous', () => {
    const iam = apiEvent('GET', '/jobs');
    (iam.requestContext as unknown as { authorizer: unknown }).authorizer = { iam: { userArn: 'arn:aws:iam::123456789012:user/alice' } };
    expect(callerOf(iam)).toEqual({ id: 'arn:aws:iam::123456789012:user/alice', scopes: [] });
    expect(callerOf(apiEvent('GET', '/jobs', undefined, { 'x-jobx-caller': 'bob', 'x-jobx-scopes': 'a b' }))).toEqual({ id: 'jwt:bob', scopes: ['a', 'b'] });
    expect(callerOf(apiEvent('GET', '/jobs'))).toEqual({ id: 'anonymous', scopes: [] });
  });

  it('without owner binding, the body names the owner and anyone granted the route may act', () => {
    delete process.env.JOBX_BIND_OWNER;
    expect(boundOwner({ id: 'jwt:alice', scopes: [] }, 'team-a')).toBe('team-a');
    expect(() => assertMayControl({ id: 'jwt:mallory', scopes: [] }, 'team-a')).not.toThrow();
  });
});
