/**
 * The lifecycle events a flow publishes (issue 12: the events users subscribe to, with a lean default): whole jobs
 * run on the in-memory engine, every change through `onChange` with the flow's selection, and the events counted.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEngine, type MemoryChange } from '../../../functions/adapters/memory';
import { eventSelection, type EventSelection } from '../../../functions/core/lifecycle-events';
import type { JobSpec } from '../../../functions/core/model';
import { submitJob } from '../../../functions/engine/jobs-service';
import { onChange } from '../../../functions/engine/on-change';
import { runTask } from '../../../functions/engine/run-task';

const three = (name: string): JobSpec => ({ name, owner: 'o', tasks: ['t1', 't2', 't3'].map((t) => ({ name: t, provider: 'demo' })) });

/** Runs `spec` to its end and returns the types published, in order. */
async function publishedBy(spec: JobSpec, publish?: EventSelection, fn: () => Promise<Record<string, unknown>> = async () => ({})): Promise<string[]> {
  const changes: MemoryChange[] = [];
  const w = createMemoryEngine({ routes: ['demo'], onChange: (c) => changes.push(c) });
  const { jobId } = await submitJob(w.deps, spec, { maxDepth: 8, maxJobPayloadBytes: 256 * 1024 });
  for (let i = 0; i < 1_000 && (changes.length > 0 || w.queue.sent.length > 0); i++) {
    while (changes.length) await onChange(w.deps, changes.shift()!, ...(publish ? [publish] : []));
    const next = w.queue.sent[0];
    if (!next) continue;
    w.queue.delete(next.id);
    await runTask(w.deps, next.message, fn);
  }
  expect(['succeeded', 'failed']).toContain(w.store.jobs.get(jobId)?.status);
  return w.events.published.map((e) => e.type);
}

describe('published lifecycle events', () => {
  it('by default, a succeeded 3-task root pipeline publishes exactly one event: jobx.job.succeeded', async () => {
    expect(await publishedBy(three('p'))).toEqual(['jobx.job.succeeded']);
  });

  it("with 'all', the same pipeline publishes what it always did: started and succeeded", async () => {
    expect(await publishedBy(three('p'), eventSelection('all'))).toEqual(['jobx.job.started', 'jobx.job.succeeded']);
  });

  it('by default, a parent of 3 children publishes its own end only; with all, every job starts and ends', async () => {
    const parent: JobSpec = { name: 'parent', owner: 'o', children: [three('a'), three('b'), three('c')] };
    expect(await publishedBy(parent)).toEqual(['jobx.job.succeeded']);
    const all = await publishedBy(parent, eventSelection('all'));
    expect(all.filter((t) => t === 'jobx.job.started')).toHaveLength(4);
    expect(all.filter((t) => t === 'jobx.job.succeeded')).toHaveLength(4);
    expect(all).toHaveLength(8);
    // The types of the default, child jobs too: the children's ends, the parent's start left out.
    expect(await publishedBy(parent, eventSelection(undefined, true))).toEqual(Array(4).fill('jobx.job.succeeded'));
  });

  it('by default, a task failing for good publishes the task failure and its root failure, not the retries', async () => {
    const failing: JobSpec = { name: 'f', owner: 'o', children: [{ ...three('c'), retry: { count: 1, gapSeconds: 0 } }] };
    const boom = async (): Promise<Record<string, unknown>> => {
      throw new Error('boom');
    };
    expect(await publishedBy(failing, undefined, boom)).toEqual(['jobx.task.failed', 'jobx.job.failed']);
    const all = await publishedBy(failing, eventSelection('all'), boom);
    expect(all).toEqual(expect.arrayContaining(['jobx.task.retrying', 'jobx.task.failed', 'jobx.job.failed']));
    expect(all.filter((t) => t === 'jobx.job.failed')).toHaveLength(2);
  });

  it("'none' publishes nothing", async () => {
    expect(await publishedBy(three('p'), eventSelection('none'))).toEqual([]);
  });
});
