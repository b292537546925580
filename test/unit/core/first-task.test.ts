/**
 * A new root pipeline's first task is sent by the submit that creates it (core/first-task.ts). What must hold:
 * the message is the one the stream would have sent; the root is written marked, so the stream sends nothing for
 * its creation (one send per task start, not two); only roots that start at once with a task to run qualify.
 */
import { describe, expect, it } from 'vitest';
import { planFirstTask } from '../../../functions/core/first-task';
import { reactToJobChange } from '../../../functions/core/reactions';
import { childJob, parentJob, pipelineJob } from '../../helpers/core-factories';

describe('planFirstTask', () => {
  it('a root pipeline created running: marked, with the very message the stream would send for it', () => {
    const root = pipelineJob();
    const plan = planFirstTask(root)!;
    expect(plan.root).toEqual({ ...root, firstTaskSent: true });
    const [streamWould] = reactToJobChange(undefined, root);
    expect(streamWould?.kind).toBe('dispatch');
    const { carriedJob: carried, ...message } = plan.message;
    const { carriedJob: _streamCarried, ...streamMessage } = (streamWould as Extract<typeof streamWould, { kind: 'dispatch' }>).message;
    expect(message).toEqual(streamMessage);
    // It carries the job as written, mark included (the invocation decides its continuation from it).
    expect(carried).toEqual(plan.root);
  });

  it('the stream sends nothing for the creation of a marked root (no second message for the same start)', () => {
    expect(reactToJobChange(undefined, planFirstTask(pipelineJob())!.root)).toEqual([]);
  });

  it('roots that do not start a task at once keep the stream reaction: tokens to take, paused, a parent, a child, a staged root, no task', () => {
    expect(planFirstTask(pipelineJob({ status: 'pending', tokens: ['t'] }))).toBeUndefined();
    expect(planFirstTask(pipelineJob({ status: 'paused' }))).toBeUndefined();
    expect(planFirstTask(parentJob())).toBeUndefined();
    expect(planFirstTask(childJob(parentJob(), 1, { status: 'running' }))).toBeUndefined();
    expect(planFirstTask(pipelineJob({ staging: { nonce: 'n', parts: 1 } as never }))).toBeUndefined();
    expect(planFirstTask(pipelineJob({ tasks: [] }))).toBeUndefined();
  });
});
