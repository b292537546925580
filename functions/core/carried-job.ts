/**
 * A pipeline's job record carried in its task messages, so the invocation that runs a task decides whether to
 * continue with the next one (or to finish the job) without reading the job: one strongly consistent read per
 * message less, on the hot path of every pipeline.
 *
 * Why a copy from when the message was built is as good as a read after the attempt: what the next message is
 * built from never changes once the job exists (its spec: tasks, input, env, retry, pre-lock, pause chain), and
 * every move of the job that would stop a continuation (a pause, a discard, a skip ahead) writes the next task's
 * record first, so the claim of a message built from an older copy fails and nothing runs; a finish decided from
 * it is the stream's own conditional write from `running`, a no-op once the job moved (`core/continuation.ts`).
 * The stream, reading the job when it handles the end, walks on from there as before.
 *
 * Only small jobs travel: the copy must stay far below the queue's message limit and cost no extra 64 KB chunk.
 * Offers in a worker inbox and scheduled messages go without it (they are stored, and billed by size).
 * @module
 */
import type { JobRecord, TaskMessage } from './model';
import { jsonBytes } from './task-payload';

/** Largest job record a message carries, in bytes of JSON. */
export const MAX_CARRIED_JOB_BYTES = 4 * 1024;

/** Largest message, carried job included, that carries one: a single 64 KiB SQS billing chunk. */
const MAX_CARRYING_MESSAGE_BYTES = 64 * 1024;

/** `message` with its pipeline's job record when it is small enough to travel with it (else as it is). */
export function withCarriedJob(message: TaskMessage, job: JobRecord): TaskMessage {
  if (job.kind !== 'pipeline') return message;
  const jobBytes = jsonBytes(job);
  if (jobBytes > MAX_CARRIED_JOB_BYTES || jsonBytes(message) + jobBytes > MAX_CARRYING_MESSAGE_BYTES) return message;
  return { ...message, carriedJob: job };
}

/** `message` without a carried job (what is stored as an offer or a schedule). */
export function withoutCarriedJob(message: TaskMessage): TaskMessage {
  if (message.carriedJob === undefined) return message;
  const { carriedJob: _dropped, ...rest } = message;
  return rest;
}
