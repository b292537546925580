/**
 * A root pipeline's first task, sent by the API call that creates the job instead of by the stream's reaction to
 * the creation: every job starts one stream hop sooner (on AWS a DynamoDB Streams hop is a few hundred ms; here,
 * at 50 jobs in flight, about a fifth of a 3-task job's time from submit to result).
 *
 * The root is written marked `firstTaskSent`, so the stream sends nothing for its creation; the API then sends the
 * very message the stream would have sent. If the API stops between the write and the send (a crash, a timeout,
 * a refused send), the job's first task has no record and the sweeper sends it after its grace, as for any lost
 * message (`decidePipelineRepair`). A duplicate is harmless as ever: the claim is a conditional put.
 *
 * Only roots that start running at once with a task to run, whose creation the stream would have answered with a
 * single immediate dispatch: a root waiting for its tokens, a paused root, a parent, a staged submission and every
 * child keep their stream reactions. Pure: the API plans, writes, then sends.
 * @module
 */
import type { JobRecord, TaskMessage } from './model';
import { buildTaskMessage, reactToJobChange } from './reactions';

/** The root as it is written (marked) and the message its creator sends once the write is committed. */
export interface FirstTaskPlan {
  root: JobRecord;
  message: TaskMessage;
}

/**
 * Decides whether the creator of `root` sends its first task itself.
 * @returns the marked root and the message, or undefined: the stream reacts to the creation as for any job
 */
export function planFirstTask(root: JobRecord): FirstTaskPlan | undefined {
  if (root.parentId !== undefined || root.kind !== 'pipeline' || root.staging !== undefined) return undefined;
  // What the stream would do for the unmarked root: exactly one dispatch, now.
  const effects = reactToJobChange(undefined, root);
  const effect = effects.length === 1 ? effects[0] : undefined;
  if (effect?.kind !== 'dispatch' || effect.notBefore !== undefined) return undefined;
  // The same message, built from the record as written (a message carries its small job, `core/carried-job.ts`).
  const marked: JobRecord = { ...root, firstTaskSent: true };
  return { root: marked, message: buildTaskMessage(marked, 0, 1, {}, false) };
}
