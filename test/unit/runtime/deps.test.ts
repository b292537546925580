/**
 * Each function's wiring (`functions/runtime/deps.ts`) has the ports it calls; a port it never calls says so
 * when called, rather than reaching a client its bundle does not carry.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TaskMessage } from '../../../functions/core/model';

beforeEach(() => {
  vi.resetModules();
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('JOBX_JOBS_TABLE', 'jobs');
  vi.stubEnv('JOBX_RESULTS_TABLE', 'results');
  vi.stubEnv('JOBX_ROUTES', 'demo');
  vi.stubEnv('JOBX_QUEUE_URL_PREFIX', 'http://127.0.0.1:1/000000000000/jobx-');
  vi.stubEnv('JOBX_QUEUE_ARN_PREFIX', 'arn:aws:sqs:us-east-1:000000000000:jobx-');
  vi.stubEnv('JOBX_EXTERNAL_PROVIDERS', 'ext');
});
afterEach(() => vi.unstubAllEnvs());

const message = { jobId: 'j', taskId: 't', attempt: 1 } as unknown as TaskMessage;

describe('apiDeps', () => {
  it('knows the routes (submissions are checked against them), sends one message at a time (a first task) and schedules and publishes nothing', async () => {
    const { apiDeps } = await import('../../../functions/runtime/deps');
    const deps = apiDeps();
    expect(deps.queue.hasProvider('demo')).toBe(true);
    expect(deps.queue.hasProvider('other')).toBe(false);
    expect(deps.queue.isExternal('ext')).toBe(true);
    await expect(deps.queue.sendMany([message])).rejects.toThrow(/the API function has no batch sends/);
    await expect(deps.queue.waiting('demo')).rejects.toThrow(/the API function has no queue reads/);
    await expect(deps.scheduler.scheduleAt('n', 0, message)).rejects.toThrow(/the API function has no scheduler client/);
    await expect(deps.events.publish([])).rejects.toThrow(/the API function has no event bus/);
  });
});

describe('sweeperDeps', () => {
  it('dispatches as the stream does and publishes no lifecycle event', async () => {
    vi.stubEnv('JOBX_SCHEDULER', 'table');
    vi.stubEnv('JOBX_TIMERS_TABLE', 'timers');
    const { sweeperDeps } = await import('../../../functions/runtime/deps');
    const deps = sweeperDeps();
    expect(deps.queue.hasProvider('demo')).toBe(true);
    await expect(deps.events.publish([])).rejects.toThrow(/the sweeper function has no event bus/);
  });
});
