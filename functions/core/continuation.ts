/**
 * Continuing a pipeline in the invocation that ran its last step. When an attempt succeeds and the job's next
 * step is a task of the same provider deployment, the invocation that ran it may claim and run that task itself,
 * instead of the stream sending a message through SQS for another invocation to claim. The next task's message
 * is the one the stream would send (`reactToTaskChange` on the job as read and the end as it will be written),
 * and its claim is the one any message makes (a conditional put: a pause, a discard, a skip or a duplicate that
 * wrote the task's record first makes it fail, and nothing runs).
 *
 * The end of the attempt records `continued` when the invocation means to claim the next task, so the stream
 * does not send that message too (its claim would only fail). If the invocation dies between that end and the
 * claim, the sweeper sends the message after its grace (`decidePipelineRepair`: the next task has no record and
 * the previous one ended long enough ago). Pure: the engine reads, calls this, and commits.
 * @module
 */
import type { JobRecord, TaskMessage, TaskRecord } from './model';
import { reactToTaskChange, type Effect } from './reactions';
import { queueRouteOf } from './routing';

/** Tasks an invocation runs at most after the one its message asked for; then the next goes through the stream. */
export const MAX_CONTINUED_STEPS = 25;

/** Time an invocation keeps, beyond a task's whole timeout, before it continues with that task (ms). */
export const CONTINUE_MARGIN_MS = 5_000;

/** What a continuation is decided from besides the records. */
export interface ContinuationContext {
  /** Now (ms since epoch). */
  now: number;
  /** When the invocation ends (ms since epoch, less what recording an end takes); undefined: never continue. */
  deadline?: number;
  /** Tasks this invocation already ran after the one its message asked for. */
  continued: number;
  /** @default MAX_CONTINUED_STEPS */
  maxSteps?: number;
}

/**
 * Decides whether the invocation that ran `message`'s attempt goes on with the pipeline's next task.
 * @param job - the job, read (strongly consistent) after the attempt ran, or as its message carried it (`core/carried-job.ts`)
 * @param ended - the task as its end will be written (from `finishAttempt`)
 * @returns the next task's message (the very one the stream would send), or undefined: the stream sends it
 */
export function decideContinuation(job: JobRecord | undefined, before: TaskRecord, ended: TaskRecord, message: TaskMessage, ctx: ContinuationContext): TaskMessage | undefined {
  if (!job || ended.status !== 'succeeded' || job.kind !== 'pipeline') return undefined;
  if (ctx.deadline === undefined || ctx.continued >= (ctx.maxSteps ?? MAX_CONTINUED_STEPS)) return undefined;
  const effects = reactToTaskChange(job, before, ended);
  const effect = effects.length === 1 ? effects[0] : undefined;
  if (effect?.kind !== 'dispatch' || effect.notBefore !== undefined) return undefined;
  const next = effect.message;
  if (next.attempt !== 1 || next.taskIndex !== message.taskIndex + 1 || next.manual) return undefined;
  // Only what this function serves: the same queue route (same provider, same pinned executor).
  if (queueRouteOf(next) !== queueRouteOf(message)) return undefined;
  // The next task's whole lease must fit in what is left of the invocation: it is never cut short for continuing.
  if (ctx.now + next.timeoutSeconds * 1000 + CONTINUE_MARGIN_MS > ctx.deadline) return undefined;
  return next;
}

/**
 * Decides whether the invocation that ran a pipeline's last task finishes the job itself, as the stream would
 * (`reactToTaskChange` on the job as read and the end as it will be written): then the end says `continued` and
 * the stream does nothing for it. The finish is the stream's own conditional write (from `running`): a pause or
 * discard since the read makes it a no-op (a resume walks the pipeline and finishes it), and if the invocation dies
 * before it, the sweeper finishes the job (a running pipeline whose tasks are all done).
 * @returns the `finishJob` effect to write after the end, or undefined: the stream finishes the job, as usual
 */
export function decideFinish(job: JobRecord | undefined, before: TaskRecord, ended: TaskRecord, ctx: Pick<ContinuationContext, 'deadline'>): Extract<Effect, { kind: 'finishJob' }> | undefined {
  if (!job || ended.status !== 'succeeded' || job.kind !== 'pipeline' || ctx.deadline === undefined) return undefined;
  const effects = reactToTaskChange(job, before, ended);
  const effect = effects.length === 1 ? effects[0] : undefined;
  return effect?.kind === 'finishJob' && effect.status === 'succeeded' ? effect : undefined;
}

/** The end of an attempt as written when the invocation goes on with the next task itself. */
export function markContinued(ended: TaskRecord): TaskRecord {
  return { ...ended, continued: true };
}
