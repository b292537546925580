/**
 * Limits on JSON that jobx stores (job and task `input`/`env`, task outputs, retry edits), so that whatever is
 * accepted can be stored in DynamoDB, sent through SQS and spread by the engine without failing later where no
 * client sees the error (a 500, or a job that can never run).
 *
 * Why each limit exists (every one was a 500 or a stuck job before):
 * - numbers: the document client refuses integers beyond ±(2^53−1) (they would lose precision) and DynamoDB
 *   refuses magnitudes below 1E-130 ("Number underflow"); JSON can spell both (`1e300`, `1e-200`).
 * - keys: DynamoDB refuses an empty attribute name anywhere in a map; an own `__proto__` marshals to an empty
 *   attribute value, an own `constructor` makes the marshaller take the object for a class instance, and all of
 *   `__proto__` / `constructor` / `prototype` invite prototype pollution in object spreads. Very long keys make
 *   DynamoDB (Local) fail with an internal error.
 * - depth: DynamoDB nests at most 32 levels in an item and the engine keeps user JSON a few levels down (a task
 *   item's `attempts[n].input…`), so user JSON gets 16.
 * - strings: lone surrogates are not Unicode (they cannot be stored as UTF-8 as they are), and SQS refuses
 *   U+FFFE and U+FFFF in a message body, which `JSON.stringify` does not escape.
 *
 * Pure (no zod, no I/O): the API's schemas apply it to what clients send (`functions/http/json-limits.ts`), and
 * the same checks suit anything else that stores JSON, such as a provider's output.
 * @module
 */
/** Deepest nesting of a JSON payload: the payload object itself is level 1, each object or array inside adds one. */
export const MAX_JSON_DEPTH = 16;
/** Largest magnitude of a JSON number: beyond it integers lose precision (and every double there is an integer). */
export const MAX_JSON_NUMBER = Number.MAX_SAFE_INTEGER;
/** Smallest non-zero magnitude of a JSON number (DynamoDB's lower bound). */
export const MIN_JSON_NUMBER = 1e-130;
/** Longest object key, in UTF-8 bytes. */
export const MAX_JSON_KEY_BYTES = 1024;
/** Object keys refused anywhere in a payload (the empty key too). */
export const FORBIDDEN_JSON_KEYS: readonly string[] = ['', '__proto__', 'constructor', 'prototype'];

/** A problem found in a JSON value, at a path relative to the value. */
export interface JsonProblem {
  path: Array<string | number>;
  message: string;
}

const LONE_SURROGATE = /\p{Cs}/u;
const SQS_NONCHARACTER = /[\uFFFE\uFFFF]/;

/** Why a string cannot be stored and sent as it is; undefined when it can. */
export function textProblem(text: string): string | undefined {
  if (LONE_SURROGATE.test(text)) return 'contains a lone surrogate (not well-formed Unicode)';
  if (SQS_NONCHARACTER.test(text)) return 'contains U+FFFE or U+FFFF (refused by SQS)';
  return undefined;
}

/** Why a number cannot be stored exactly; undefined when it can. */
export function numberProblem(n: number): string | undefined {
  if (!Number.isFinite(n)) return 'is not a finite number';
  const magnitude = Math.abs(n);
  if (magnitude > MAX_JSON_NUMBER) return `is beyond ±${MAX_JSON_NUMBER} (2^53−1): it would lose precision`;
  if (magnitude !== 0 && magnitude < MIN_JSON_NUMBER) return `is closer to 0 than ${MIN_JSON_NUMBER} (DynamoDB's smallest number)`;
  return undefined;
}

/** Why an object key is refused; undefined when it is fine. */
export function keyProblem(key: string): string | undefined {
  if (key === '') return 'empty keys are not allowed (DynamoDB refuses empty attribute names)';
  if (FORBIDDEN_JSON_KEYS.includes(key)) return `the key ${key} is reserved (prototype pollution)`;
  if (Buffer.byteLength(key, 'utf8') > MAX_JSON_KEY_BYTES) return `keys are at most ${MAX_JSON_KEY_BYTES} bytes`;
  const text = textProblem(key);
  return text === undefined ? undefined : `key ${text}`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every problem of a JSON value against the limits above, up to `max` of them. Iterative, and it never
 * descends below {@link MAX_JSON_DEPTH}, so a value nested a million levels deep costs nothing and cannot
 * overflow the stack (zod's own recursive JSON check would, which is why this runs first).
 * @param value - the parsed JSON (the payload object is depth 1)
 * @example
 * jsonProblems({ a: 2 ** 60 }); // [{ path: ['a'], message: 'is beyond ±9007199254740991 …' }]
 */
export function jsonProblems(value: unknown, max = 20): JsonProblem[] {
  const problems: JsonProblem[] = [];
  const stack: Array<{ value: unknown; path: Array<string | number>; depth: number }> = [{ value, path: [], depth: 1 }];
  while (stack.length > 0 && problems.length < max) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'number') {
      const problem = numberProblem(v);
      if (problem) problems.push({ path, message: `number ${problem}` });
    } else if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) problems.push({ path, message: `string ${problem}` });
    } else if (Array.isArray(v) || isPlainObject(v)) {
      if (depth > MAX_JSON_DEPTH) {
        problems.push({ path, message: `JSON nests deeper than ${MAX_JSON_DEPTH} levels` });
        continue;
      }
      // Own keys, `__proto__` included (JSON.parse makes it an own property; zod's record would drop it silently).
      const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((item, i) => [i, item]) : Object.keys(v).map((k) => [k, v[k]]);
      for (const [key, item] of entries) {
        if (typeof key === 'string') {
          const problem = keyProblem(key);
          if (problem) problems.push({ path: [...path, key], message: problem });
        }
        stack.push({ value: item, path: [...path, key], depth: depth + 1 });
      }
    }
    // Anything else (booleans, null, and the non-JSON types the schema behind this one refuses) has no limit here.
  }
  return problems;
}

/**
 * Checks the nesting of a whole request body before any schema walks it: a schema recursing through a body
 * nested a million levels deep would overflow the stack (a 500). Iterative; stops at the first level too deep.
 * @returns true when no object or array is nested deeper than `maxDepth`
 * @example
 * withinDepth(JSON.parse(body), 64);
 */
export function withinDepth(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > maxDepth) return false;
    for (const item of Array.isArray(v) ? v : Object.values(v)) stack.push({ value: item, depth: depth + 1 });
  }
  return true;
}
