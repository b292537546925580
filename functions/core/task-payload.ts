/**
 * What a task runs with: its `input` and `env`, and how each attempt keeps what it ran with.
 *
 * A task's ORIGINAL payload is what its spec gives (the job's input overlaid with the task's own; the job's
 * effective env overlaid with the task's). A manual retry may edit the task record's `input`/`env`: they are the
 * payload of the next run, nothing more. An attempt stores `input`/`env` only where they differ from what the
 * attempt before it ran with (the original, for the first attempt), so:
 * - what any attempt ran with follows from the spec and the attempts up to it, never from the task's current
 *   values: a retry that edits them leaves every ended attempt as it is (invariant 2);
 * - an edited payload is stored once, by the attempt that first ran with it, not again by each automatic retry
 *   of that run, nor copied into earlier attempts.
 * @module
 */
import { mergeEnv } from './env';
import type { Env, JsonObject } from './json';
import type { AttemptRecord, JobRecord } from './model';

/** The input and env of a task or of an attempt. */
export interface TaskPayload {
  input: JsonObject;
  env: Env;
}

/**
 * Budget of a task record, in bytes of JSON, checked by a manual retry that changes input or env: the record
 * as the retry leaves it plus the copy its next attempt will keep. The rest of DynamoDB's 400 KB item is left
 * for the attempt's output (at most 128 KB) and the attempts' own fields and errors.
 */
export const MAX_TASK_RECORD_BYTES = 256 * 1024;

/** Bytes of `value` as JSON (UTF-8). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** JSON with object keys in sorted order: DynamoDB keeps no key order in maps (a read may reorder them). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** The payload a task's spec gives it (before any edit), or undefined when the job has no such task. */
export function originalPayload(job: Pick<JobRecord, 'input' | 'env' | 'tasks'>, taskIndex: number): TaskPayload | undefined {
  const spec = job.tasks?.[taskIndex];
  if (!spec) return undefined;
  return { input: { ...job.input, ...(spec.input ?? {}) }, env: mergeEnv(job.env, spec.env) };
}

/** What each attempt ran with, in order, from the task's original payload and what the attempts kept. */
export function attemptPayloads(original: TaskPayload, attempts: ReadonlyArray<Pick<AttemptRecord, 'input' | 'env'>>): TaskPayload[] {
  let ran = original;
  return attempts.map((a) => (ran = { input: a.input ?? ran.input, env: a.env ?? ran.env }));
}

/** What the last of `attempts` ran with (the original payload when there is none). */
export function lastPayload(original: TaskPayload, attempts: ReadonlyArray<Pick<AttemptRecord, 'input' | 'env'>>): TaskPayload {
  return attemptPayloads(original, attempts).at(-1) ?? original;
}

/** What an attempt running with `payload` keeps, after attempts that last ran with `previous` (unknown: all). */
export function keptPayload(payload: TaskPayload, previous: TaskPayload | undefined): Partial<TaskPayload> {
  const kept: Partial<TaskPayload> = {};
  if (!previous || !sameJson(payload.input, previous.input)) kept.input = payload.input;
  if (!previous || !sameJson(payload.env, previous.env)) kept.env = payload.env;
  return kept;
}
