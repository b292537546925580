/**
 * Request helpers: body parsing (a bodyless request is valid), query values, path parameters. Everything here
 * runs before any store call, so a request that cannot be valid is answered without touching DynamoDB.
 * @module
 */
import { TASK_TOKEN_HEADER } from '../core/task-token';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod';
import { JobxError } from '../core/errors';
import { withinDepth } from './json-limits';
import { INBOX_TARGET_PATTERN, JOB_ID_PATTERN, MAX_BODY_BYTES, MAX_BODY_DEPTH, NAME_PATTERN, TASK_TOKEN_PATTERN } from './schemas';

/** Parses the JSON body; `undefined` when there is none. Malformed JSON is 400 MALFORMED_JSON; too large is 413. */
export function jsonBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BODY_BYTES) {
    throw new JobxError('PAYLOAD_TOO_LARGE', `request body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES}`, { bytes, limit: MAX_BODY_BYTES });
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw new JobxError('MALFORMED_JSON', `request body is not valid JSON: ${(err as Error).message}`);
  }
  // Before any schema recurses through it: a body nested a million levels deep would overflow zod's stack.
  if (!withinDepth(value, MAX_BODY_DEPTH)) throw new JobxError('VALIDATION_FAILED', `request body nests deeper than ${MAX_BODY_DEPTH} levels`, { limit: MAX_BODY_DEPTH });
  return value;
}

/**
 * 413 PAYLOAD_TOO_LARGE when `value` serialises to more than `limit` bytes of JSON (a part of the body with a
 * limit of its own, such as a task output).
 */
export function assertSize(what: string, value: unknown, limit: number): void {
  if (value === undefined) return;
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > limit) throw new JobxError('PAYLOAD_TOO_LARGE', `${what} is ${bytes} bytes; the limit is ${limit}`, { bytes, limit });
}

/** Validates a query parameter with a schema (400 VALIDATION_FAILED naming the parameter). */
export function queryParam<T>(event: APIGatewayProxyEventV2, name: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(event.queryStringParameters?.[name]);
  if (!parsed.success) throw new JobxError('VALIDATION_FAILED', `query parameter ${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** A path parameter, percent-decoded (always present on a matched route). Malformed percent-encoding is 400. */
export function pathParam(event: APIGatewayProxyEventV2, name: string): string {
  const value = event.pathParameters?.[name];
  if (value === undefined) throw new JobxError('VALIDATION_FAILED', `missing path parameter ${name}`);
  try {
    return decodeURIComponent(value);
  } catch {
    // `%E0%A4%A` and the like: decodeURIComponent throws URIError, which is the client's fault, not ours.
    throw new JobxError('VALIDATION_FAILED', `path parameter ${name} is not valid percent-encoding`, { parameter: name });
  }
}

/** A path parameter validated with a schema (400 VALIDATION_FAILED naming the parameter). */
export function validPathParam<T>(event: APIGatewayProxyEventV2, name: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(pathParam(event, name));
  if (!parsed.success) throw new JobxError('VALIDATION_FAILED', `path parameter ${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { parameter: name });
  return parsed.data;
}

/** Longest id echoed back in a 404 (a 10,000-character id is not worth sending back in full). */
const SHOWN_ID_CHARS = 128;
const shown = (id: string) => (id.length > SHOWN_ID_CHARS ? `${id.slice(0, SHOWN_ID_CHARS)}…` : id);

// An id that cannot name anything (wrong charset, longer than a key could hold) is a 404 like any unknown id
// (the contract: "404 unknown job, task or token, whatever the id looks like"), answered without a read.

/** The `jobId` path parameter; 404 NOT_FOUND when it cannot name a job. */
export function jobIdParam(event: APIGatewayProxyEventV2): string {
  const jobId = pathParam(event, 'jobId');
  if (!JOB_ID_PATTERN.test(jobId)) throw new JobxError('NOT_FOUND', `job ${shown(jobId)} not found`, { jobId: shown(jobId) });
  return jobId;
}

/**
 * The `taskId` path parameter: a task id (`t1`, `t2`, …) or a task name, which the engine resolves in the job;
 * 404 NOT_FOUND when it can be neither (task names follow the same pattern).
 */
export function taskIdParam(event: APIGatewayProxyEventV2, jobId: string): string {
  const taskId = pathParam(event, 'taskId');
  if (!NAME_PATTERN.test(taskId)) throw new JobxError('NOT_FOUND', `task ${shown(taskId)} not found in job ${jobId}`, { jobId, taskId: shown(taskId) });
  return taskId;
}

/** The `token` path parameter (a token name); 404 NOT_FOUND when no job could hold a token of that name. */
export function tokenParam(event: APIGatewayProxyEventV2): string {
  const token = pathParam(event, 'token');
  if (!NAME_PATTERN.test(token)) throw new JobxError('NOT_FOUND', `token ${shown(token)} is neither held nor awaited`, { token: shown(token) });
  return token;
}

/** The `target` path parameter (a worker inbox); 404 NOT_FOUND when it cannot name one. */
export function inboxTargetParam(event: APIGatewayProxyEventV2): string {
  const target = pathParam(event, 'target');
  if (!INBOX_TARGET_PATTERN.test(target)) throw new JobxError('NOT_FOUND', `no worker inbox ${shown(target)}`, { target: shown(target) });
  return target;
}

/**
 * The task token of a request, from its {@link TASK_TOKEN_HEADER} header: 400 VALIDATION_FAILED when absent,
 * 404 NOT_FOUND (like any unknown token) when it is not base64url of a sane length.
 */
export function taskTokenHeader(event: APIGatewayProxyEventV2): string {
  const token = event.headers?.[TASK_TOKEN_HEADER];
  if (token === undefined || token === '') throw new JobxError('VALIDATION_FAILED', `the task token goes in the ${TASK_TOKEN_HEADER} header`);
  if (!TASK_TOKEN_PATTERN.test(token)) throw new JobxError('NOT_FOUND', 'unknown task token');
  return token;
}
