/**
 * The zod schema of a JSON payload a client sends (job and task `input`/`env`, skip and task-token outputs,
 * retry edits): the limits of `core/json-limits.ts`, checked on the raw value, and documented in OpenAPI.
 * @module
 */
import * as z from 'zod';
import { FORBIDDEN_JSON_KEYS, MAX_JSON_DEPTH, MAX_JSON_KEY_BYTES, MIN_JSON_NUMBER, jsonProblems } from '../core/json-limits';

export { FORBIDDEN_JSON_KEYS, MAX_JSON_DEPTH, MAX_JSON_KEY_BYTES, MAX_JSON_NUMBER, MIN_JSON_NUMBER, jsonProblems, keyProblem, numberProblem, textProblem, withinDepth, type JsonProblem } from '../core/json-limits';

/** What the OpenAPI document says about a payload object (its limits, in words and as JSON Schema). */
const PAYLOAD_DOC = {
  description:
    `A JSON object. Limits (400 VALIDATION_FAILED otherwise): nested at most ${MAX_JSON_DEPTH} levels (this object is level 1); ` +
    `numbers within ±(2^53−1) and 0 or at least ${MIN_JSON_NUMBER} in magnitude; keys not empty, not __proto__, constructor or prototype, ` +
    `at most ${MAX_JSON_KEY_BYTES} UTF-8 bytes; strings and keys well-formed Unicode without U+FFFE or U+FFFF.`,
  propertyNames: { type: 'string', minLength: 1, not: { enum: FORBIDDEN_JSON_KEYS.filter((k) => k !== '') } },
  'x-jobx-max-depth': MAX_JSON_DEPTH,
} as const;

/**
 * Any JSON value. One instance, shared by request and response schemas, so the OpenAPI document names it once
 * (`Json`) instead of repeating a recursive definition per schema.
 */
export const jsonValueSchema = z.json();

/**
 * A JSON object payload within the limits of `core/json-limits.ts`, checked on the raw value before zod parses it
 * (a zod record drops an own `__proto__` key without a word, and recurses without a depth bound).
 * @example
 * payloadObjectSchema.parse({ url: 'https://…', sizes: [1, 2] });
 */
export const payloadObjectSchema = z
  .preprocess((value, ctx) => {
    for (const problem of jsonProblems(value)) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path, input: value });
    return value;
  }, z.record(z.string(), jsonValueSchema))
  .meta(PAYLOAD_DOC);

