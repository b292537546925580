/**
 * Example provider `callback`: asynchronous completion. It hands its task token to `input.callbackUrl` (a webhook
 * that will finish the task later through `/task-tokens/success`, the token in the `x-jobx-task-token` header) and
 * leaves the task running.
 * @module
 */
import { NonRetryableError, defineProvider, pending } from '../define-provider';

/** The `callback` provider. */
export const callback = defineProvider('callback', async ({ input, taskToken, job, task }) => {
  if (typeof input.callbackUrl !== 'string') throw new NonRetryableError('input.callbackUrl is required');
  const res = await fetch(input.callbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ taskToken, jobId: job.jobId, taskId: task.taskId, attempt: task.attempt }),
  });
  if (!res.ok) throw new Error(`callback answered ${res.status}`);
  return pending(typeof input.heartbeatSeconds === 'number' ? { heartbeatSeconds: input.heartbeatSeconds } : {});
});

/** Lambda entry point. */
export const handler = callback.handler;
