/**
 * A pipeline's end: one conditional transition of the job from `running` (and, for a failure, of the task the
 * decision was made from still being as read). Shared by the stream, the sweeper and a provider invocation that
 * ends the pipeline's last task itself (`core/continuation.ts`); only the store and the clock.
 * @module
 */
import type { Effect } from '../core/reactions';
import type { TaskDeps } from '../ports';

/** Writes a `finishJob` effect; false when the job no longer runs (or the guarded task moved): nothing written. */
export async function finishJob(deps: TaskDeps, effect: Extract<Effect, { kind: 'finishJob' }>): Promise<boolean> {
  return deps.store.transitionJob(
    effect.jobId,
    ['running'],
    {
      status: effect.status,
      endedAt: new Date(deps.clock.now()).toISOString(),
      ...(effect.output !== undefined ? { output: effect.output } : {}),
      ...(effect.reason !== undefined ? { reason: effect.reason } : {}),
    },
    effect.guard,
  );
}
