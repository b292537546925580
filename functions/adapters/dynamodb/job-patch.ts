/**
 * The conditional update expression of a job transition (shared by single updates and transaction items).
 * @module
 */
import type { JobPatch, TxOp } from '../../ports';
import type { JobStatus } from '../../core/statuses';
import { JOB_PAUSABLE, jobInStatus } from './conditions';
import { TERMINAL, isRoot } from './item-codec';
import { activeShardOf } from './keys';

/** Extra effects of a job transition written by a manual action. */
export type JobPatchOptions = Pick<Extract<TxOp, { op: 'updateJob' }>, 'reopen' | 'requirePausable' | 'preSkipped' | 'uncountChildIndex' | 'run' | 'keepActive'>;

/**
 * The conditional update of a job transition: status from one of `from` to `patch.status`, the patch's fields,
 * and the bookkeeping that goes with it (a finished root leaves the active index; a reopened one returns to it).
 */
export function jobPatchExpression(jobId: string, from: readonly JobStatus[], patch: JobPatch, opts: JobPatchOptions = {}) {
  // Placeholders for every name: several (output, reason, …) are DynamoDB reserved words.
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':to': patch.status, ':now': new Date().toISOString() };
  const placeholders = from.map((st, i) => {
    values[`:from${i}`] = st;
    return `:from${i}`;
  });
  const sets = ['#status = :to', 'updatedAt = :now'];
  const removes: string[] = [];
  for (const field of ['output', 'reason', 'startedAt', 'endedAt'] as const) {
    if (patch[field] !== undefined) {
      names[`#${field}`] = field;
      sets.push(`#${field} = :${field}`);
      values[`:${field}`] = patch[field];
    } else if (opts.reopen && field !== 'startedAt') {
      // The job runs again: its end, reason and output belong to the run that ended.
      names[`#${field}`] = field;
      removes.push(`#${field}`);
    }
  }
  if (opts.preSkipped) {
    sets.push('preSkipped = :true');
    values[':true'] = true;
  }
  if (opts.run !== undefined) {
    names['#run'] = 'run';
    sets.push('#run = :run');
    values[':run'] = opts.run;
  }
  if ((opts.reopen || opts.keepActive) && isRoot(jobId)) {
    sets.push('activeShard = :shard');
    values[':shard'] = activeShardOf(jobId);
  } else if (!opts.reopen && TERMINAL.has(patch.status) && isRoot(jobId)) {
    // A finished root leaves the sweeper's index in the same write (no separate clean-up write).
    removes.push('activeShard');
  }
  let deletes = '';
  if (opts.uncountChildIndex !== undefined) {
    deletes = ' DELETE doneBuckets :bucketSet, failedBuckets :bucketSet';
    values[':bucketSet'] = new Set([Math.floor((opts.uncountChildIndex - 1) / 100)]);
  }
  let condition = jobInStatus(placeholders);
  if (opts.requirePausable) {
    condition = `${condition} AND ${JOB_PAUSABLE}`;
    values[':true'] = true;
  }
  return {
    ConditionExpression: condition,
    UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}${deletes}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
