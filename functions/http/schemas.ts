/**
 * Request schemas (zod): the single definition that validates requests and types them.
 * @module
 */
import { z } from 'zod';
import type { JobSpec } from '../core/model';

/** Largest accepted request body (bytes): room for a parent of 5,000 small children. Larger bodies get 413. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Largest payload of one job (its input, env and task specs, without its children), as stored in one item.
 * Keeps every item well under DynamoDB's 400 KB. Larger jobs get 413 PAYLOAD_TOO_LARGE.
 */
export const MAX_JOB_PAYLOAD_BYTES = 256 * 1024;
/** Most tasks in one pipeline. */
export const MAX_TASKS = 500;
/** Most children of one parent. */
export const MAX_CHILDREN = 10_000;
/** Deepest nesting of child jobs (the root is depth 0). */
export const MAX_DEPTH = 8;

const jsonObject = z.record(z.string(), z.json());
const name = z.string().trim().min(1).max(256);

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
    name: z.string().trim().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'task names use letters, digits and _ . : - (1-128 characters)'),
    provider: z.string().trim().min(1).max(128),
    desc: z.string().max(4096).optional(),
    input: jsonObject.optional(),
    env: jsonObject.optional(),
    retry: retrySchema.optional(),
    timeoutSeconds: z.number().int().min(1).max(43_200).optional(),
    preLock: z.string().min(1).max(256).optional(),
  })
  .strict();

/** A job spec (recursive through `children`). */
export const jobSpecSchema: z.ZodType<JobSpec> = z.lazy(() =>
  z
    .object({
      name,
      owner: z.string().trim().min(1).max(256),
      desc: z.string().max(4096).optional(),
      bizId: z.string().min(1).max(512).optional(),
      input: jsonObject.optional(),
      env: jsonObject.optional(),
      pausable: z.boolean().optional(),
      retry: retrySchema.optional(),
      tokens: z.array(z.string().min(1).max(256)).max(16).optional(),
      preLock: z.string().min(1).max(256).optional(),
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
export const skipSchema = z.object({ reason: z.string().max(4096).optional(), output: jsonObject.optional() }).strict();

/** Body of `POST /jobs/{jobId}/tasks/{taskId}/retry`. */
export const retryActionSchema = z.object({ input: jsonObject.optional(), env: jsonObject.optional(), replace: z.boolean().optional() }).strict();

/** Body of `POST /jobs/{jobId}/discard`. */
export const discardSchema = z.object({ reason: z.string().max(4096).optional() }).strict();

/** Body of pause and resume: none, or an empty object. */
export const emptySchema = z.object({}).strict();

/** Query of `GET /jobs`. */
export const listQuerySchema = z
  .object({
    owner: z.string().min(1).max(256).optional(),
    status: z.enum(['pending', 'running', 'paused', 'succeeded', 'failed', 'discarded']).optional(),
    name: z.string().min(1).max(256).optional(),
    bizId: z.string().min(1).max(512).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().min(1).max(2048).optional(),
  })
  .strict();

/** A worker id (the executor a task is pinned to with preLock). */
export const workerIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'worker ids use letters, digits and _ . : - (1-128 characters)');

/** Body of `POST /task-tokens/{token}/success`. */
export const successSchema = z.object({ output: jsonObject.optional() }).strict();

/** Body of `POST /task-tokens/{token}/failure`. */
export const failureSchema = z
  .object({
    error: z.union([z.string().min(1).max(4096), z.object({ message: z.string().min(1).max(4096), code: z.string().max(128).optional() }).strict()]),
    retryable: z.boolean().optional(),
  })
  .strict();
