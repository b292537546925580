/**
 * Budgets that keep every write of an attempt's end inside DynamoDB's 400 KB item limit, whatever a provider
 * returns: an output that would not fit ends the attempt as a non-retryable failure whose reason names the
 * limit (so the provider never runs twice because its result could not be written), and error messages are cut.
 * @module
 */
import type { JsonObject } from './json';
import { jsonProblems } from './json-limits';
import { nextContext, type AttemptError, type TaskRecord } from './model';

/** Largest output of one attempt (bytes of JSON). */
export const MAX_OUTPUT_BYTES = 128 * 1024;
/**
 * Largest context a pipeline accumulates (bytes of JSON): the merged outputs of its tasks, which is also the
 * pipeline job's output, stored on the job beside its own payload (at most 256 KB).
 */
export const MAX_CONTEXT_BYTES = 128 * 1024;
/** Largest task record after an attempt ends (bytes of JSON), leaving DynamoDB's attribute overhead room under 400 KB. */
export const MAX_TASK_RECORD_BYTES = 380 * 1024;
/** Longest error message kept on an attempt (characters); longer ones are cut, with a note. */
export const MAX_ERROR_MESSAGE_CHARS = 8 * 1024;

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** An error as kept: its message cut to {@link MAX_ERROR_MESSAGE_CHARS}. */
export function boundedError(error: AttemptError): AttemptError {
  if (error.message.length <= MAX_ERROR_MESSAGE_CHARS) return error;
  return { ...error, message: `${error.message.slice(0, MAX_ERROR_MESSAGE_CHARS)}… (${error.message.length} characters, cut to ${MAX_ERROR_MESSAGE_CHARS})` };
}

/** Why an output cannot be kept by a task, or undefined when it fits every budget. */
export function outputProblem(task: TaskRecord, output: JsonObject): AttemptError | undefined {
  // What DynamoDB or SQS cannot hold (2^60, a `constructor` key, 30 levels of nesting …) is refused like a size.
  const [bad] = jsonProblems(output, 1);
  if (bad) return { message: `output ${bad.path.length ? `at ${bad.path.join('.')} ` : ''}${bad.message}`, code: 'OUTPUT_NOT_STORABLE', retryable: false };
  const size = bytes(output);
  if (size > MAX_OUTPUT_BYTES) return { message: `output is ${size} bytes; the limit is ${MAX_OUTPUT_BYTES}`, code: 'OUTPUT_TOO_LARGE', retryable: false };
  const context = bytes(nextContext(task.context, output));
  if (context > MAX_CONTEXT_BYTES) {
    return { message: `the pipeline's context would be ${context} bytes with this output; the limit is ${MAX_CONTEXT_BYTES}`, code: 'CONTEXT_TOO_LARGE', retryable: false };
  }
  const record = bytes(task) + size;
  if (record > MAX_TASK_RECORD_BYTES) {
    return { message: `the task's record would be ${record} bytes with this output; the limit is ${MAX_TASK_RECORD_BYTES}`, code: 'TASK_RECORD_TOO_LARGE', retryable: false };
  }
  return undefined;
}

/** Time a provider invocation keeps back at its end to record an attempt it stopped (the wrapper's reserve). */
export const INVOCATION_END_RESERVE_MS = 3_000;
