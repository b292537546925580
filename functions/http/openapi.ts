/**
 * The OpenAPI 3.1 document of the API, built from the same zod schemas that validate requests (zod's own JSON
 * Schema output, which is OpenAPI 3.1's schema dialect). Built once per process, on first request.
 * @module
 */
import { TASK_TOKEN_HEADER } from '../core/task-token';
import { z } from 'zod';
import { JOB_ID_PATTERN, NAME_PATTERN, TASK_TOKEN_PATTERN, discardSchema, failureSchema, jobSpecSchema, listQuerySchema, retryActionSchema, skipSchema, successSchema } from './schemas';

type Json = Record<string, unknown>;

/**
 * A zod schema as a named component. zod's local references (`#`, `#/$defs/x`) point into the schema itself;
 * in a document they would point at the document root, so they are rewritten to component references.
 */
function component(name: string, schema: z.ZodType, into: Record<string, Json>): Json {
  const raw = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as Json;
  delete raw.$schema;
  const defs = (raw.$defs ?? {}) as Record<string, Json>;
  delete raw.$defs;
  const rewrite = (value: Json): Json =>
    JSON.parse(
      JSON.stringify(value)
        .replace(/"\$ref":"#\/\$defs\/([^"]+)"/g, (_m, def: string) => `"$ref":"#/components/schemas/${name}_${def}"`)
        .replace(/"\$ref":"#"/g, `"$ref":"#/components/schemas/${name}"`),
    ) as Json;
  for (const [def, body] of Object.entries(defs)) into[`${name}_${def}`] = rewrite(body);
  into[name] = rewrite(raw);
  return into[name]!;
}

const error = { $ref: '#/components/schemas/Error' };
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: { 400: 'bad request', 404: 'not found', 409: 'the action does not apply to the current status', 413: 'payload too large' }[c] ?? 'error', content: { 'application/json': { schema: error } } }]));
const jsonBody = (ref: string, required = true) => ({ required, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const ok = (description: string, schema: Json = { type: 'object' }) => ({ description, content: { 'application/json': { schema } } });
// Path ids carry the patterns the routes enforce: an id outside them names nothing (404; a worker id: 400).
const pathParam = (name: string, pattern: RegExp, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string', pattern: pattern.source } });
const jobIdParam = pathParam('jobId', JOB_ID_PATTERN, 'a job id (a root id, then `.<n>` per child level); any other value is 404');
const taskIdParam = pathParam('taskId', NAME_PATTERN, '`t1`, `t2`, … in pipeline order, or the task\'s name (an id wins over a task named like one); anything else is 404');
// A task token is a bearer secret: it travels in a header, never in the path (paths go to the access logs).
const taskTokenParam = {
  name: TASK_TOKEN_HEADER,
  in: 'header',
  required: true,
  description: 'the task token (base64url) given with the attempt; absent is 400, any other value is 404',
  schema: { type: 'string', pattern: TASK_TOKEN_PATTERN.source },
};
const tokenParam = pathParam('token', NAME_PATTERN, 'a token name; any other value is 404');
const workerIdParam = pathParam('workerId', NAME_PATTERN, 'the worker (executor) id, the same charset as `preLock`; any other value is 400');
const waitParam = { name: 'wait', in: 'query', required: false, schema: { type: 'number', minimum: 0, maximum: 25 } };

let cached: Json | undefined;

/** The OpenAPI document. */
export function openApiDocument(): Json {
  if (cached) return cached;
  const schemas: Record<string, Json> = {};
  for (const [name, schema] of [
    ['JobSpec', jobSpecSchema],
    ['SkipRequest', skipSchema],
    ['RetryRequest', retryActionSchema],
    ['DiscardRequest', discardSchema],
    ['SuccessRequest', successSchema],
    ['FailureRequest', failureSchema],
  ] as const) {
    component(name, schema, schemas);
  }
  const listQuery = component('ListQuery', listQuerySchema, {}) as { properties?: Record<string, Json> };
  cached = {
    openapi: '3.1.0',
    info: { title: 'jobx', version: '0.1.0', description: 'Serverless asynchronous jobs: pipelines of tasks and nested child jobs.' },
    paths: {
      '/health': { get: { operationId: 'health', responses: { 200: ok('the API is up') } } },
      '/jobs': {
        post: {
          operationId: 'submitJob',
          parameters: [waitParam],
          requestBody: jsonBody('JobSpec'),
          responses: {
            201: ok('created', { $ref: '#/components/schemas/Job' }),
            200: ok('a job with this bizId exists, submitted with the same spec', { $ref: '#/components/schemas/Job' }),
            ...errors(400, 413),
            409: { description: 'BIZ_ID_CONFLICT: the bizId names a job submitted with another spec (details.jobId)', content: { 'application/json': { schema: error } } },
          },
        },
        get: {
          operationId: 'listJobs',
          parameters: Object.entries(listQuery.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
          responses: { 200: ok('root jobs, newest first', { $ref: '#/components/schemas/JobList' }), ...errors(400) },
        },
      },
      '/jobs/{jobId}': { get: { operationId: 'getJob', parameters: [jobIdParam], responses: { 200: ok('the job', { $ref: '#/components/schemas/Job' }), ...errors(404) } } },
      '/jobs/{jobId}/result': {
        get: { operationId: 'getResult', parameters: [jobIdParam, waitParam], responses: { 200: ok('finished', { $ref: '#/components/schemas/Result' }), 202: ok('not finished yet'), ...errors(400, 404) } },
      },
      '/jobs/{jobId}/tasks/{taskId}': { get: { operationId: 'getTask', parameters: [jobIdParam, taskIdParam], responses: { 200: ok('the task with every attempt'), ...errors(404) } } },
      '/jobs/{jobId}/tasks/{taskId}/skip': { post: { operationId: 'skipTask', parameters: [jobIdParam, taskIdParam], requestBody: jsonBody('SkipRequest', false), responses: { 200: ok('the skipped task'), ...errors(400, 404, 409, 413) } } },
      '/jobs/{jobId}/tasks/{taskId}/retry': { post: { operationId: 'retryTask', parameters: [jobIdParam, taskIdParam], requestBody: jsonBody('RetryRequest', false), responses: { 200: ok('the queued task'), ...errors(400, 404, 409, 413) } } },
      '/jobs/{jobId}/pause': { post: { operationId: 'pauseJob', parameters: [jobIdParam], responses: { 200: ok('the paused job', { $ref: '#/components/schemas/Job' }), ...errors(400, 404, 409) } } },
      '/jobs/{jobId}/resume': { post: { operationId: 'resumeJob', parameters: [jobIdParam], responses: { 200: ok('the resumed job', { $ref: '#/components/schemas/Job' }), ...errors(400, 404, 409) } } },
      '/jobs/{jobId}/discard': { post: { operationId: 'discardJob', parameters: [jobIdParam], requestBody: jsonBody('DiscardRequest', false), responses: { 200: ok('the discarded job', { $ref: '#/components/schemas/Job' }), ...errors(400, 404, 409) } } },
      '/tokens/{token}': {
        get: { operationId: 'getToken', parameters: [tokenParam], responses: { 200: ok('holder and queue of the token'), ...errors(404) } },
      },
      '/workers/{workerId}/claim': {
        post: {
          operationId: 'claimTask',
          parameters: [workerIdParam, waitParam, { name: 'providers', in: 'query', required: false, schema: { type: 'string' } }],
          responses: { 200: ok('a claimed task with its task token'), 204: { description: 'no task came in time' }, ...errors(400) },
        },
      },
      '/task-tokens/heartbeat': { post: { operationId: 'heartbeat', parameters: [taskTokenParam], responses: { 200: ok('lease renewed'), ...errors(400, 404, 409) } } },
      '/task-tokens/success': { post: { operationId: 'succeed', parameters: [taskTokenParam], requestBody: jsonBody('SuccessRequest', false), responses: { 200: ok('attempt ended'), ...errors(400, 404, 409, 413) } } },
      '/task-tokens/failure': { post: { operationId: 'fail', parameters: [taskTokenParam], requestBody: jsonBody('FailureRequest'), responses: { 200: ok('attempt ended'), ...errors(400, 404, 409) } } },
      '/openapi.json': { get: { operationId: 'openApi', responses: { 200: ok('this document') } } },
    },
    components: {
      schemas: {
        ...schemas,
        Job: { type: 'object', required: ['jobId', 'name', 'owner', 'status', 'tasks', 'children'], properties: { jobId: { type: 'string' }, name: { type: 'string' }, owner: { type: 'string' }, status: { enum: ['pending', 'running', 'paused', 'succeeded', 'failed', 'discarded'] }, tasks: { type: 'array' }, children: { type: 'array' } } },
        Result: { type: 'object', required: ['jobId', 'status'], properties: { jobId: { type: 'string' }, status: { type: 'string' }, output: {}, reason: { type: 'string' } } },
        JobList: { type: 'object', required: ['items'], properties: { items: { type: 'array' }, cursor: { type: 'string' } } },
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } } } },
        },
      },
    },
  };
  return cached;
}
