/**
 * Request schemas (zod): the single definition that validates requests and types them. Every value they accept
 * can be stored in DynamoDB as it is (see `json-limits.ts` for payload JSON, and the name rules below for what
 * ends up in keys), so nothing a client sends can fail later with a 500 or leave a job that can never run.
 * @module
 */
import * as z from 'zod';
import type { JobSpec } from '../core/model';
import { JOB_STATUSES } from '../core/statuses';
import { DEFAULT_COUNT_WINDOW, MAX_COUNT_WINDOW } from '../engine/job-counts';
import { payloadObjectSchema, textProblem } from './json-limits';

/** Largest accepted request body (bytes): room for a parent of 5,000 small children. Larger bodies get 413. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Largest payload of one job (its input, env and task specs, without its children), as stored in one item.
 * Keeps every item well under DynamoDB's 400 KB. Larger jobs get 413 PAYLOAD_TOO_LARGE.
 */
export const MAX_JOB_PAYLOAD_BYTES = 256 * 1024;
/** Largest `input` plus `env` of a manual retry (bytes); it is stored on the task's new attempt. Larger edits get 413. */
export const MAX_RETRY_EDIT_BYTES = 128 * 1024;
/** Most tasks in one pipeline. */
export const MAX_TASKS = 500;
/** Most children of one parent. */
export const MAX_CHILDREN = 10_000;
/** Deepest nesting of child jobs (the root is depth 0). */
export const MAX_DEPTH = 8;
/**
 * Deepest nesting of a whole request body. Checked before any schema walks the body (a recursive schema would
 * overflow the stack on a body nested a million levels deep); generous enough for 8 levels of children with a
 * task whose input nests the full 16 levels.
 */
export const MAX_BODY_DEPTH = 64;

/**
 * Names that become part of DynamoDB keys, SQS routes and URL paths: executors (`preLock`, worker ids),
 * providers, tokens, task names. One charset for all of them, so a task pinned to an executor can always be
 * claimed by a worker of that id (`X#exec:<id>`, `/workers/{id}/claim`), and a provider or executor name can
 * never contain the `@` of a `provider@executor` route.
 */
export const NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
/**
 * Job ids in paths: a root id (26 letters and digits today) and `.<n>` per child level, short enough for a
 * DynamoDB partition key. Anything else names no job (404).
 */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}(\.[1-9][0-9]{0,5}){0,16}$/;
/** Task tokens in paths: base64url (see core/task-token.ts); a real one is a few hundred characters. */
export const TASK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,1024}$/;

/** Most UTF-8 bytes of a job name, owner or bizId (DynamoDB's limit on a sort key). */
export const MAX_LABEL_BYTES = 1024;

const NAME_RULE = 'letters, digits and _ . : - (1-128 characters)';

/**
 * A name of {@link NAME_PATTERN}; `what` names it in the message.
 * @example
 * nameOf('worker ids').parse('edge-1');
 */
export const nameOf = (what: string, opts: { trim?: boolean } = {}) => {
  const schema = (opts.trim ? z.string().trim() : z.string()).regex(NAME_PATTERN, `${what} use ${NAME_RULE}`);
  // The document describes what a client may send: white space around a trimmed name is accepted (and dropped),
  // so its pattern allows it. JavaScript's trim() removes exactly what `\s` matches.
  return opts.trim ? schema.meta({ pattern: `^\\s*${NAME_PATTERN.source.slice(1, -1)}\\s*$`, description: `${NAME_RULE}; white space around it is removed` }) : schema;
};

/** Free text stored as it is (descriptions, reasons): well-formed Unicode, nothing SQS refuses. */
const text = (max: number, min = 0) =>
  z
    .string()
    .min(min)
    .max(max)
    .superRefine((value, ctx) => {
      const problem = textProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `text ${problem}` });
    })
    .meta({ description: 'text: well-formed Unicode without U+FFFE or U+FFFF' });

/**
 * A short label (job name, owner, bizId): printable text of at most `max` characters and {@link MAX_LABEL_BYTES}
 * UTF-8 bytes, so it fits a DynamoDB sort key should an index ever use it.
 */
const label = (max: number, opts: { trim?: boolean } = {}) =>
  (opts.trim ? z.string().trim() : z.string())
    .min(1)
    .max(max)
    .superRefine((value, ctx) => {
      if (/\p{Cc}/u.test(value)) ctx.addIssue({ code: 'custom', message: 'control characters are not allowed' });
      const problem = textProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `text ${problem}` });
      if (Buffer.byteLength(value, 'utf8') > MAX_LABEL_BYTES) ctx.addIssue({ code: 'custom', message: `at most ${MAX_LABEL_BYTES} UTF-8 bytes` });
    })
    .meta({
      description: `printable text: no control characters, well-formed Unicode without U+FFFE or U+FFFF, at most ${MAX_LABEL_BYTES} UTF-8 bytes${opts.trim ? `; white space around it is removed first, then 1-${max} characters must remain` : ''}`,
      // Trimmed: the limits apply to what remains, so the document states them as a pattern on what is sent.
      ...(opts.trim ? { minLength: undefined, maxLength: undefined, pattern: `^\\s*\\S(?:[\\s\\S]{0,${max - 2}}\\S)?\\s*$` } : {}),
    });

const jsonObject = payloadObjectSchema;
const name = label(256, { trim: true });
const executor = nameOf('executor names (preLock)');

/** Retry policy of a job or task. */
export const retrySchema = z
  .object({
    count: z.number().int().min(0).max(100).optional(),
    gapSeconds: z.number().min(0).max(31_536_000).optional(),
    backoff: z.enum(['linear', 'exponential']).optional(),
    maxDelaySeconds: z.number().min(0).max(31_536_000).optional(),
  })
  .strict();

/** One task of a pipeline. */
export const taskSpecSchema = z
  .object({
    name: nameOf('task names', { trim: true }),
    provider: nameOf('provider names', { trim: true }),
    desc: text(4096).optional(),
    input: jsonObject.optional(),
    env: jsonObject.optional(),
    retry: retrySchema.optional(),
    timeoutSeconds: z.number().int().min(1).max(43_200).optional(),
    preLock: executor.optional(),
  })
  .strict();

/** A job spec (recursive through `children`). */
export const jobSpecSchema: z.ZodType<JobSpec> = z.lazy(() =>
  z
    .object({
      name,
      owner: label(256, { trim: true }),
      desc: text(4096).optional(),
      bizId: label(512).optional(),
      input: jsonObject.optional(),
      env: jsonObject.optional(),
      pausable: z.boolean().optional(),
      retry: retrySchema.optional(),
      tokens: z
        .array(nameOf('token names'))
        .max(16)
        // One token twice would be two writes to one item in the all-or-nothing acquisition: refused up front.
        .refine((tokens) => new Set(tokens).size === tokens.length, 'a token is listed twice')
        .optional(),
      preLock: executor.optional(),
      tasks: z.array(taskSpecSchema).max(MAX_TASKS).optional(),
      children: z.array(jobSpecSchema).max(MAX_CHILDREN).optional(),
    })
    .strict()
    .superRefine((job, ctx) => {
      const tasks = job.tasks?.length ?? 0;
      const children = job.children?.length ?? 0;
      if (tasks > 0 && children > 0) ctx.addIssue({ code: 'custom', message: 'a job has tasks or children, not both', path: ['children'] });
      if (tasks === 0 && children === 0) ctx.addIssue({ code: 'custom', message: 'a job needs at least one task or one child', path: ['tasks'] });
      const dup = (names: string[]) => names.find((n, i) => names.indexOf(n) !== i);
      const dupTask = dup((job.tasks ?? []).map((t) => t.name));
      if (dupTask !== undefined) ctx.addIssue({ code: 'custom', message: `task name ${dupTask} is used twice`, path: ['tasks'] });
      const dupChild = dup((job.children ?? []).map((c) => c.name));
      if (dupChild !== undefined) ctx.addIssue({ code: 'custom', message: `child name ${dupChild} is used twice (a parent's output maps child names)`, path: ['children'] });
    }),
);

/** `?wait=N` on submit and result: 0–25 seconds. */
export const waitSchema = z.coerce.number().min(0).max(25).optional();

/** Body of `POST /jobs/{jobId}/tasks/{taskId}/skip`. */
export const skipSchema = z.object({ reason: text(4096).optional(), output: jsonObject.optional() }).strict();

/** Body of `POST /jobs/{jobId}/tasks/{taskId}/retry`. */
export const retryActionSchema = z.object({ input: jsonObject.optional(), env: jsonObject.optional(), replace: z.boolean().optional() }).strict();

/** Body of `POST /jobs/{jobId}/discard`. */
export const discardSchema = z.object({ reason: text(4096).optional() }).strict();

/** Body of pause and resume: none, or an empty object. */
export const emptySchema = z.object({}).strict();

/** A job's status (a filter of `GET /jobs`, and in every job the API answers with). */
export const jobStatusSchema = z.enum(JOB_STATUSES);

/** Query of `GET /jobs`. */
export const listQuerySchema = z
  .object({
    owner: label(256).optional(),
    status: jobStatusSchema.optional(),
    name: label(256).optional(),
    bizId: label(512).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    // Opaque to the API; the store decodes it and refuses anything it did not write (400 VALIDATION_FAILED).
    cursor: z.string().regex(/^[A-Za-z0-9_-]{1,2048}$/, 'not a cursor this API returned').optional(),
  })
  .strict();

/** Query of `GET /jobs/counts`. */
export const countQuerySchema = z
  .object({
    owner: label(256).optional(),
    name: label(256).optional(),
    window: z.coerce.number().int().min(1).max(MAX_COUNT_WINDOW).default(DEFAULT_COUNT_WINDOW).meta({ description: 'how many of the newest roots to look at' }),
  })
  .strict();

/** Query of `GET /tokens`. */
export const tokenListQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().regex(/^[A-Za-z0-9_-]{1,2048}$/, 'not a cursor this API returned').optional(),
  })
  .strict();

/** A worker inbox in a path: an executor's (`exec:<id>`) or an external provider's (`prov:<name>`). */
export const INBOX_TARGET_PATTERN = /^(?:exec|prov):[A-Za-z0-9_.:-]{1,128}$/;

/** A worker id (the executor a task is pinned to with preLock). */
export const workerIdSchema = nameOf('worker ids');

/** Body of `POST /task-tokens/success`. */
export const successSchema = z.object({ output: jsonObject.optional() }).strict();

/** Body of `POST /task-tokens/failure`. */
export const failureSchema = z
  .object({
    error: z.union([text(4096, 1), z.object({ message: text(4096, 1), code: text(128).optional() }).strict()]),
    retryable: z.boolean().optional(),
  })
  .strict();
