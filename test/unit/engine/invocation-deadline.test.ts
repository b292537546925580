/**
 * A provider never loses an attempt to its invocation's end (issue 10): an attempt still running when the
 * invocation is about to end is stopped and recorded as timed out (retryable), so the task retries instead of
 * waiting for its lease; with no time left at all, the task is not claimed and its message stays in the queue.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine } from '../../../functions/adapters/memory';
import { InvocationEndingError, runTask } from '../../../functions/engine/run-task';
import { submitJob } from '../../../functions/engine/jobs-service';
import { onChange } from '../../../functions/engine/on-change';

async function firstMessage() {
  const changes: Parameters<typeof onChange>[1][] = [];
  const w = createMemoryEngine({ routes: ['demo'], onChange: (c) => changes.push(c) });
  const { jobId } = await submitJob(w.deps, { name: 'j', owner: 'o', tasks: [{ name: 'slow', provider: 'demo', timeoutSeconds: 300 }] }, { maxDepth: 8, maxJobPayloadBytes: 256 * 1024 });
  while (changes.length) await onChange(w.deps, changes.shift()!);
  return { w, jobId, message: w.queue.sent[0]!.message };
}

const slow = async ({ signal }: { signal: AbortSignal }) =>
  new Promise<Record<string, never>>((resolve, reject) => {
    const timer = setTimeout(() => resolve({}), 5_000);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('aborted'))));
  });

describe('the invocation deadline', () => {
  it('stops an attempt that would outlive the invocation and records it as a retryable timeout naming the cause', async () => {
    const { w, jobId, message } = await firstMessage();
    const started = Date.now();
    const outcome = await runTask(w.deps, message, slow, { deadline: Date.now() + 200 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(outcome).toBe('failed');
    const task = await w.store.getTask(jobId, 0);
    expect(task!.attempts[0]!.error).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(task!.attempts[0]!.error!.message).toMatch(/invocation was ending \(the task's timeout is 300 s/);
    expect(task!.status).toBe('retrying');
  });

  it('with no time left, the task is not claimed: its message stays for another invocation', async () => {
    const { w, jobId, message } = await firstMessage();
    await expect(runTask(w.deps, message, slow, { deadline: Date.now() - 1 })).rejects.toBeInstanceOf(InvocationEndingError);
    expect(await w.store.getTask(jobId, 0)).toBeUndefined();
  });

  it('without a deadline (or with time to spare) the task keeps its own timeout', async () => {
    const { w, message } = await firstMessage();
    expect(await runTask(w.deps, message, async () => ({ ok: 1 }), { deadline: Date.now() + 60_000 })).toBe('succeeded');
  });
});
