/**
 * Reports on an attempt by task token: heartbeat, success, failure. Used by external workers and by whoever
 * completes an asynchronous (`pending()`) provider. Each is one conditional write on the attempt the token names,
 * so a token replayed after the attempt ended, or whose lease lapsed, is refused with 409.
 * @module
 */
import { JobxError } from '../core/errors';
import type { JsonObject } from '../core/json';
import { DEFAULT_TASK_TIMEOUT_SECONDS, type AttemptError, type TaskRecord } from '../core/model';
import { taskRetryPolicy } from '../core/submission';
import { decodeTaskToken, type TaskTokenParts } from '../core/task-token';
import { finishAttempt, isRejection, type AttemptOutcome } from '../core/task-transitions';
import type { EngineDeps } from '../ports';
import { MAX_OUTPUT_BYTES } from './run-task';

/** What a token report answers. */
export interface TokenReport {
  jobId: string;
  taskId: string;
  attempt: number;
  status: TaskRecord['status'];
  leaseSeconds?: number;
}

async function resolve(deps: EngineDeps, token: string) {
  const parts = decodeTaskToken(token);
  if (!parts) throw new JobxError('NOT_FOUND', 'unknown task token');
  const [task, job] = await Promise.all([deps.store.getTask(parts.jobId, parts.taskIndex), deps.store.getJob(parts.jobId)]);
  if (!task || !job) throw new JobxError('NOT_FOUND', 'unknown task token');
  const current = task.attempts[parts.attempt - 1];
  if (!current || current.tokenNonce !== parts.nonce) throw new JobxError('NOT_FOUND', 'unknown task token');
  if (task.status !== 'running' || task.attemptCount !== parts.attempt) {
    throw new JobxError('INVALID_STATE', `attempt ${parts.attempt} of task ${task.taskId} is over (${current.status}); its token no longer applies`, { status: task.status, attempt: current.status });
  }
  return { parts, task, job };
}

function refused(parts: TaskTokenParts): JobxError {
  return new JobxError('INVALID_STATE', `attempt ${parts.attempt} is no longer running; its token no longer applies`, { status: 'ended' });
}

/** Renews the lease of the attempt a token names (by the task's timeout). */
export async function heartbeat(deps: EngineDeps, token: string): Promise<TokenReport> {
  const { parts, task, job } = await resolve(deps, token);
  const leaseSeconds = job.tasks?.[parts.taskIndex]?.timeoutSeconds ?? DEFAULT_TASK_TIMEOUT_SECONDS;
  if (!(await deps.store.extendLease(task, parts.attempt, parts.nonce, deps.clock.now() + leaseSeconds * 1000))) throw refused(parts);
  return { jobId: task.jobId, taskId: task.taskId, attempt: parts.attempt, status: 'running', leaseSeconds };
}

async function finish(deps: EngineDeps, token: string, outcome: AttemptOutcome): Promise<TokenReport> {
  const { parts, task, job } = await resolve(deps, token);
  const ended = finishAttempt(task, parts.attempt, outcome, taskRetryPolicy(job, parts.taskIndex), deps.clock.now(), deps.clock.random());
  if (isRejection(ended) || !(await deps.store.endAttempt(task, ended, { tokenNonce: parts.nonce }))) throw refused(parts);
  return { jobId: task.jobId, taskId: task.taskId, attempt: parts.attempt, status: ended.status };
}

/** Ends the attempt a token names with an output. */
export async function succeedByToken(deps: EngineDeps, token: string, output: JsonObject): Promise<TokenReport> {
  const bytes = Buffer.byteLength(JSON.stringify(output), 'utf8');
  if (bytes > MAX_OUTPUT_BYTES) throw new JobxError('PAYLOAD_TOO_LARGE', `output is ${bytes} bytes; the limit is ${MAX_OUTPUT_BYTES}`, { bytes, limit: MAX_OUTPUT_BYTES });
  return finish(deps, token, { ok: true, output });
}

/** Ends the attempt a token names with an error (retried by the task's policy unless `retryable` is false). */
export async function failByToken(deps: EngineDeps, token: string, error: AttemptError): Promise<TokenReport> {
  return finish(deps, token, { ok: false, error });
}
