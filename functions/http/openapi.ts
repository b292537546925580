/**
 * The OpenAPI 3.1 document of the API (`GET /openapi.json`). Its schemas are generated from the zod schemas that
 * validate requests and describe responses (see `openapi-components.ts`); this file lays out the operations:
 * every route of the router, every status each can answer with, its parameters with their patterns and limits.
 * Built once per process, on first request. A test generates a client from it and drives every route with it.
 * @module
 */
import { TASK_TOKEN_HEADER } from '../core/task-token';
import { MAX_OUTPUT_BYTES } from '../engine/run-task';
import { ERROR_SCHEMA_NAMES, componentSchemas, inlineInput, ref, type JsonObject } from './openapi-components';
import type { JobxErrorCode } from '../core/errors';
import { ERROR_STATUS, codesOf, type ErrorStatus } from './response-schemas';
import { ROUTE_ACCESS, type RouteAccess } from './route-access';
import { INBOX_TARGET_PATTERN, JOB_ID_PATTERN, MAX_BODY_BYTES, MAX_BODY_DEPTH, MAX_DEPTH, MAX_JOB_PAYLOAD_BYTES, MAX_RETRY_EDIT_BYTES, NAME_PATTERN, TASK_TOKEN_PATTERN, countQuerySchema, listQuerySchema, tokenListQuerySchema, waitSchema } from './schemas';
import { TAGGED_CACHE_CONTROL } from './conditional';
import { MAX_EXECUTORS, OFFERS_SHOWN, RECENT_CLAIMS } from '../engine/executors';

const json = (schema: JsonObject) => ({ 'application/json': { schema } });
const ok = (description: string, schema: JsonObject) => ({ description, content: json(schema) });

const ERROR_TEXT: Record<ErrorStatus, string> = {
  400: 'bad request',
  403: 'not allowed',
  404: 'not found',
  409: 'the action does not apply to the current status',
  413: 'payload too large',
  500: 'internal error',
};

/** An error response of the API with the codes this operation can answer with (all of the status's by default). */
function apiError(status: ErrorStatus, codes: readonly JobxErrorCode[] = codesOf(status), why = ''): JsonObject {
  // The body's schema lists every code of the status; a code listed here under another status would be a lie.
  const misplaced = codes.filter((code) => ERROR_STATUS[code] !== status);
  if (misplaced.length > 0) throw new Error(`${misplaced.join(', ')} is not a ${status} code`);
  return { description: `${ERROR_TEXT[status]}: ${codes.join(', ')}${why ? `. ${why}` : ''}`, content: json(ref(ERROR_SCHEMA_NAMES[status])) };
}

// What API Gateway answers by itself, before the API's function runs: `{ message }`, not the API's error body.
const gatewayError = ref('GatewayError');
const UNAUTHORIZED = { description: 'JWT authorization: the bearer token is missing, expired or not for this API (answered by API Gateway)', content: json(gatewayError) };
const TOO_MANY = { description: "throttled (answered by API Gateway): over the stage's rate and burst limits, or every execution the API function may have is busy (its reserved concurrency); retry later", content: json(gatewayError) };
const INTERNAL = { description: "INTERNAL from the API (an unexpected failure; nothing a client sends causes one), or API Gateway's own answer when the function could not run", content: json({ oneOf: [ref('InternalError'), gatewayError] }) };
const forbidden = (ownerBinding: boolean) =>
  ownerBinding
    ? { description: 'refused by API Gateway (IAM: the caller has no grant for this route; JWT: a missing scope), or FORBIDDEN from the API: with owner binding, the job (or the owner the body names) is not the caller\'s', content: json({ oneOf: [ref('ForbiddenError'), gatewayError] }) }
    : { description: 'refused by API Gateway (IAM: the caller has no grant for this route; JWT: a missing scope)', content: json(gatewayError) };

// Over API Gateway's own 10 MB limit the request never reaches the API: the gateway answers `{ message }`.
const TOO_LARGE = {
  description: 'payload too large: PAYLOAD_TOO_LARGE from the API (details.bytes and details.limit); a body over 10 MB is refused by API Gateway itself',
  content: json({ oneOf: [ref('PayloadTooLargeError'), gatewayError] }),
};

/** Responses every operation can get, whatever it is. */
const common = (ownerBinding = false) => ({ 401: UNAUTHORIZED, 403: forbidden(ownerBinding), 429: TOO_MANY, 500: INTERNAL });

// Path ids carry the patterns the routes enforce: an id outside them names nothing (404; a worker id: 400).
// Malformed percent-encoding in any path parameter is 400 VALIDATION_FAILED.
const pathParam = (name: string, pattern: RegExp, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string', pattern: pattern.source } });
const jobIdParam = pathParam('jobId', JOB_ID_PATTERN, 'a job id (a root id, then `.<n>` per child level); any other value is 404');
const taskIdParam = pathParam('taskId', NAME_PATTERN, "`t1`, `t2`, … in pipeline order, or the task's name (an id wins over a task named like one); any other value is 404");
const tokenParam = pathParam('token', NAME_PATTERN, 'a token name; any other value is 404');
const workerIdParam = pathParam('workerId', NAME_PATTERN, 'the worker (executor) id, the charset of `preLock`: a task pinned with `preLock: <id>` is claimed here; any other value is 400');
// A task token is a bearer secret: it travels in a header, never in the path (paths go to the access logs).
const taskTokenParam = {
  name: TASK_TOKEN_HEADER,
  in: 'header',
  required: true,
  description: 'the task token (base64url) of the attempt (from a claim, or given to an asynchronous provider); absent is 400, any other value is 404',
  schema: { type: 'string', pattern: TASK_TOKEN_PATTERN.source },
};
const waitParam = (what: string) => ({ name: 'wait', in: 'query', required: false, description: `seconds to wait ${what} (cut to what the invocation has left)`, schema: inlineInput(waitSchema) });
const NAME = NAME_PATTERN.source.slice(1, -1);
const providersParam = {
  name: 'providers',
  in: 'query',
  required: false,
  description: 'comma-separated names of external providers this worker also serves (unpinned tasks of those providers), at most 50; white space around each is ignored',
  schema: { type: 'string', pattern: `^\\s*(?:${NAME}\\s*)?(?:,\\s*(?:${NAME}\\s*)?)*$` },
};
// Built with the document (not at module load: the API function's cold start does not pay for it).
const queryParams = (schema: Parameters<typeof inlineInput>[0]) => Object.entries((inlineInput(schema).properties ?? {}) as Record<string, JsonObject>).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
const targetParam = pathParam('target', INBOX_TARGET_PATTERN, "a worker inbox: `exec:<id>` (an executor's) or `prov:<name>` (an external provider's); any other value is 404");

// Conditional GETs (`conditional.ts`): the 200 carries a strong ETag, and a request naming it gets a bodiless 304.
const ETAG_HEADER = { description: 'strong entity tag of this body (sorted-key JSON): send it back in `If-None-Match`', schema: { type: 'string', pattern: '^"[A-Za-z0-9_-]{27}"$' } };
const CACHE_CONTROL_HEADER = { description: `\`${TAGGED_CACHE_CONTROL}\`: a browser may keep the answer but asks again, conditionally, before using it`, schema: { type: 'string' } };
const ifNoneMatchParam = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: 'entity tags of answers the client has (`"…"`, `W/"…"`, comma-separated, or `*`): when one matches the current answer, the API answers 304 without a body',
  schema: { type: 'string' },
};
/** A read operation with conditional GETs: the If-None-Match parameter, the 200's ETag and the 304. */
function conditionalGet(op: Operation): Operation {
  const { 200: answer, ...rest } = op.responses;
  return {
    ...op,
    description: `${op.description ? `${op.description}\n\n` : ''}Conditional: the answer carries an \`ETag\`; a request whose \`If-None-Match\` names it gets 304 Not Modified without a body. That saves the transfer and the client's work; the API still reads what the answer is made of.`,
    parameters: [...(op.parameters ?? []), ifNoneMatchParam],
    responses: {
      200: { ...answer, headers: { ETag: ETAG_HEADER, 'Cache-Control': CACHE_CONTROL_HEADER } },
      304: { description: 'Not Modified: the answer is the one the `If-None-Match` tag names (no body)', headers: { ETag: ETAG_HEADER, 'Cache-Control': CACHE_CONTROL_HEADER } },
      ...rest,
    },
  };
}

const kib = (bytes: number) => `${bytes / 1024} KiB`;
const BODY_RULES = `The body is at most ${kib(MAX_BODY_BYTES)} (413 PAYLOAD_TOO_LARGE) and nests at most ${MAX_BODY_DEPTH} levels (400 VALIDATION_FAILED); no body at all is the same as \`{}\`.`;
const body = (schema: string, required: boolean, description: string, limits: Record<string, number> = {}) => ({
  required,
  description: `${description} ${BODY_RULES}`,
  content: json(ref(schema)),
  'x-jobx-limits': { maxBodyBytes: MAX_BODY_BYTES, maxBodyDepth: MAX_BODY_DEPTH, ...limits },
});
const emptyBody = body('EmptyRequest', false, 'None, or an empty object.');

const ACCESS_TEXT: Record<RouteAccess, string> = {
  public: 'no jobx grant (an IAM caller needs `execute-api:Invoke` on it from a policy of its own)',
  submit: '`grantSubmit`',
  read: '`grantRead`',
  list: '`grantList`',
  control: '`grantControl`',
  worker: '`grantWorker`',
};

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: JsonObject[];
  requestBody?: JsonObject;
  responses: Record<string, JsonObject>;
}

/** The operations by path and method (lower case, as OpenAPI spells them). */
function operations(): Record<string, Record<string, Operation>> {
  const control = (status: 'paused' | 'running' | 'failed' | 'any') => apiError(409, ['INVALID_STATE', 'CONFLICT'], `INVALID_STATE when the action does not apply${status === 'any' ? '' : ` (e.g. the job is not ${status})`}: details.status is the status found; CONFLICT when the job kept changing while the action was applied (try again)`);
  const badBody = apiError(400, ['VALIDATION_FAILED', 'MALFORMED_JSON']);
  const badPath = apiError(400, ['VALIDATION_FAILED'], 'a path parameter is not valid percent-encoding');
  const tokenErrors = {
    404: apiError(404, ['NOT_FOUND'], 'no attempt has this task token'),
    409: apiError(409, ['INVALID_STATE'], 'the attempt is over (ended, or its lease lapsed): the token no longer applies'),
    413: TOO_LARGE,
  };
  return {
    '/health': { get: { operationId: 'health', summary: 'Is the API up', tags: ['meta'], responses: { 200: ok('the API is up', ref('Health')), ...common() } } },
    '/openapi.json': { get: { operationId: 'openApi', summary: 'This document', tags: ['meta'], responses: { 200: ok('this document', { type: 'object' }), ...common() } } },
    '/jobs': {
      post: {
        operationId: 'submitJob',
        summary: 'Submit a job',
        description:
          `A pipeline of tasks or a parent of child jobs (children nest at most ${MAX_DEPTH} levels below the root); each job's input, env and tasks take at most ${kib(MAX_JOB_PAYLOAD_BYTES)}. ` +
          "A task's `timeoutSeconds` must fit what its provider's function can run (else 400 VALIDATION_FAILED with details.max), and every provider must exist (else 400 UNKNOWN_PROVIDER). " +
          'With `wait`, answers once the job has finished or the time is up, finished or not. ' +
          'With owner binding on (the construct\'s owner option), `owner` is the caller: the body may leave it out, and any other owner is 403 FORBIDDEN.',
        tags: ['jobs'],
        parameters: [waitParam('for the job to finish before answering')],
        requestBody: body('JobSpec', true, 'The job.', { maxJobPayloadBytes: MAX_JOB_PAYLOAD_BYTES, maxChildDepth: MAX_DEPTH }),
        responses: {
          201: ok('created', ref('Job')),
          200: ok('a job with this bizId exists, submitted with the same spec', ref('Job')),
          400: apiError(400, ['VALIDATION_FAILED', 'MALFORMED_JSON', 'UNKNOWN_PROVIDER']),
          409: apiError(409, ['BIZ_ID_CONFLICT'], 'the bizId names a job submitted with another spec (details.jobId)'),
          413: TOO_LARGE,
          ...common(true),
        },
      },
      get: conditionalGet({
        operationId: 'listJobs',
        summary: 'List root jobs, newest first',
        tags: ['jobs'],
        parameters: queryParams(listQuerySchema),
        responses: { 200: ok('one page of root jobs, newest first', ref('JobList')), 400: apiError(400, ['VALIDATION_FAILED']), ...common() },
      }),
    },
    '/jobs/counts': {
      get: conditionalGet({
        operationId: 'countJobs',
        summary: 'Count root jobs by status among the newest',
        description:
          'Reads the newest `window` roots through the list index, like the list (never a Scan), and counts those that match `owner` and `name` by status. ' +
          'A window is the honest design: counting every job there ever was would need a Scan, or a counter written on every status change (a write on the engine\'s hot path). `complete` says whether the window covered every root. Each root in the window is one item read.',
        tags: ['jobs'],
        parameters: queryParams(countQuerySchema),
        responses: { 200: ok('the counts', ref('JobCounts')), 400: apiError(400, ['VALIDATION_FAILED']), ...common() },
      }),
    },
    '/jobs/{jobId}': { get: conditionalGet({ operationId: 'getJob', summary: 'A job with its tasks or children', tags: ['jobs'], parameters: [jobIdParam], responses: { 200: ok('the job', ref('Job')), 400: badPath, 404: apiError(404, ['NOT_FOUND']), ...common() } }) },
    '/jobs/{jobId}/result': {
      get: {
        operationId: 'getResult',
        summary: "A job's result",
        tags: ['jobs'],
        parameters: [jobIdParam, waitParam('for the job to finish')],
        responses: { 200: ok('finished', ref('Result')), 202: ok('not finished yet', ref('PendingResult')), 400: apiError(400, ['VALIDATION_FAILED']), 404: apiError(404, ['NOT_FOUND']), ...common() },
      },
    },
    '/jobs/{jobId}/tasks/{taskId}': {
      get: conditionalGet({ operationId: 'getTask', summary: 'A task with every attempt', tags: ['jobs'], parameters: [jobIdParam, taskIdParam], responses: { 200: ok('the task with every attempt, oldest first', ref('TaskDetail')), 400: badPath, 404: apiError(404, ['NOT_FOUND']), ...common() } }),
    },
    '/jobs/{jobId}/tasks/{taskId}/skip': {
      post: {
        operationId: 'skipTask',
        summary: 'Skip a task',
        description: `A failed, pending or retrying task is marked skipped and the pipeline goes on with \`output\` (at most ${kib(MAX_OUTPUT_BYTES)}).`,
        tags: ['control'],
        parameters: [jobIdParam, taskIdParam],
        requestBody: body('SkipRequest', false, 'Why, and the output the pipeline continues with.', { maxOutputBytes: MAX_OUTPUT_BYTES }),
        responses: { 200: ok('the skipped task', ref('TaskDetail')), 400: badBody, 404: apiError(404, ['NOT_FOUND']), 409: control('any'), 413: TOO_LARGE, ...common(true) },
      },
    },
    '/jobs/{jobId}/tasks/{taskId}/retry': {
      post: {
        operationId: 'retryTask',
        summary: 'Retry a task by hand',
        description: `A new manual attempt, with input and env edited (together at most ${kib(MAX_RETRY_EDIT_BYTES)}).`,
        tags: ['control'],
        parameters: [jobIdParam, taskIdParam],
        requestBody: body('RetryRequest', false, 'Edited input and env for the new attempt.', { maxRetryEditBytes: MAX_RETRY_EDIT_BYTES }),
        responses: { 200: ok('the queued task', ref('TaskDetail')), 400: badBody, 404: apiError(404, ['NOT_FOUND']), 409: control('any'), 413: TOO_LARGE, ...common(true) },
      },
    },
    '/jobs/{jobId}/pause': {
      post: {
        operationId: 'pauseJob',
        summary: 'Pause a job',
        tags: ['control'],
        parameters: [jobIdParam],
        requestBody: emptyBody,
        responses: { 200: ok('the paused job', ref('Job')), 400: apiError(400, ['VALIDATION_FAILED', 'MALFORMED_JSON', 'NOT_PAUSABLE']), 404: apiError(404, ['NOT_FOUND']), 409: control('running'), 413: TOO_LARGE, ...common(true) },
      },
    },
    '/jobs/{jobId}/resume': {
      post: {
        operationId: 'resumeJob',
        summary: 'Resume a paused job',
        tags: ['control'],
        parameters: [jobIdParam],
        requestBody: emptyBody,
        responses: { 200: ok('the resumed job', ref('Job')), 400: apiError(400, ['VALIDATION_FAILED', 'MALFORMED_JSON', 'NOT_PAUSABLE']), 404: apiError(404, ['NOT_FOUND']), 409: control('paused'), 413: TOO_LARGE, ...common(true) },
      },
    },
    '/jobs/{jobId}/discard': {
      post: {
        operationId: 'discardJob',
        summary: 'Discard a job',
        tags: ['control'],
        parameters: [jobIdParam],
        requestBody: body('DiscardRequest', false, 'Why.'),
        responses: { 200: ok('the discarded job', ref('Job')), 400: badBody, 404: apiError(404, ['NOT_FOUND']), 409: control('any'), 413: TOO_LARGE, ...common(true) },
      },
    },
    '/tokens': {
      get: conditionalGet({
        operationId: 'listTokens',
        summary: 'Tokens in use, in name order',
        description:
          'Tokens held or waited for, each with its holder and how many roots wait, a page at a time in name order. Listed through the sparse `active` index, so a token taken or given back a moment ago may show as it was; ' +
          'each holder is then read as it is now, and a token with neither holder nor waiters left is left out (a page may hold fewer than `limit`).',
        tags: ['tokens'],
        parameters: queryParams(tokenListQuerySchema),
        responses: { 200: ok('one page of tokens in use', ref('TokenPage')), 400: apiError(400, ['VALIDATION_FAILED']), ...common() },
      }),
    },
    '/tokens/{token}': {
      get: conditionalGet({ operationId: 'getToken', summary: 'Holder and queue of a token', tags: ['tokens'], parameters: [tokenParam], responses: { 200: ok('who holds the token and who waits for it, in order', ref('TokenView')), 400: badPath, 404: apiError(404, ['NOT_FOUND'], 'nobody holds or waits for the token'), ...common() } }),
    },
    '/executors': {
      get: conditionalGet({
        operationId: 'listExecutors',
        summary: 'Worker inboxes: offers waiting and recent claims',
        description:
          `Every worker inbox the deployment declares (an external provider's, an executor's with a provider deployment) or that was offered a task, in name order (at most ${MAX_EXECUTORS}), with the offers waiting in it and its last ${RECENT_CLAIMS} claims of the day. ` +
          'Tasks run by Lambda providers have no inbox and do not show here.',
        tags: ['workers'],
        responses: { 200: ok('the worker inboxes', ref('ExecutorList')), ...common() },
      }),
    },
    '/executors/{target}': {
      get: conditionalGet({
        operationId: 'getExecutor',
        summary: 'A worker inbox with its waiting offers',
        description: `The inbox's first ${OFFERS_SHOWN} waiting offers by visible time, and its last ${RECENT_CLAIMS} claims of the day.`,
        tags: ['workers'],
        parameters: [targetParam],
        responses: { 200: ok('the worker inbox', ref('ExecutorDetail')), 400: badPath, 404: apiError(404, ['NOT_FOUND'], 'no such inbox: neither declared nor ever offered a task'), ...common() },
      }),
    },
    '/workers/{workerId}/claim': {
      post: {
        operationId: 'claimTask',
        summary: 'Claim a task (external worker)',
        description: 'Long-polls for a task pinned to this worker id, or an unpinned task of one of `providers`; no request body.',
        tags: ['workers'],
        parameters: [workerIdParam, waitParam('for a task'), providersParam],
        responses: { 200: ok('a claimed task with its task token', ref('ClaimedTask')), 204: { description: 'no task came in time' }, 400: apiError(400, ['VALIDATION_FAILED']), ...common() },
      },
    },
    '/task-tokens/heartbeat': {
      post: { operationId: 'heartbeat', summary: "Renew an attempt's lease", tags: ['workers'], parameters: [taskTokenParam], requestBody: emptyBody, responses: { 200: ok('lease renewed', ref('TokenReport')), 400: badBody, ...tokenErrors, ...common() } },
    },
    '/task-tokens/success': {
      post: {
        operationId: 'succeed',
        summary: 'End an attempt with an output',
        tags: ['workers'],
        parameters: [taskTokenParam],
        requestBody: body('SuccessRequest', false, `The output (at most ${kib(MAX_OUTPUT_BYTES)}).`, { maxOutputBytes: MAX_OUTPUT_BYTES }),
        responses: { 200: ok('attempt ended', ref('TokenReport')), 400: badBody, ...tokenErrors, ...common() },
      },
    },
    '/task-tokens/failure': {
      post: {
        operationId: 'fail',
        summary: 'End an attempt with an error',
        description: "Retried by the task's retry policy unless `retryable` is false.",
        tags: ['workers'],
        parameters: [taskTokenParam],
        requestBody: body('FailureRequest', true, 'The error.'),
        responses: { 200: ok('attempt ended', ref('TokenReport')), 400: badBody, ...tokenErrors, ...common() },
      },
    },
  };
}

/** Each operation says which grant lets a caller reach it (the route groups of `route-access.ts`). */
function withAccess(paths: Record<string, Record<string, Operation>>): Record<string, Record<string, Operation>> {
  for (const { method, path, access } of ROUTE_ACCESS) {
    const op = paths[path]?.[method.toLowerCase()];
    if (!op) throw new Error(`route ${method} ${path} has no operation in the OpenAPI document`);
    const jwt = access === 'public' ? '`api.jwt.scopes`' : `\`api.jwt.routeScopes.${access}\` (else \`api.jwt.scopes\`)`;
    const rule = `Access \`${access}\`: with IAM authorization, granted by ${ACCESS_TEXT[access]}; with JWT authorization, the token needs the scopes of ${jwt}.`;
    Object.assign(op, { 'x-jobx-access': access, description: `${op.description ? `${op.description}\n\n` : ''}${rule}` });
  }
  return paths;
}

let cached: JsonObject | undefined;

/** The OpenAPI document. */
export function openApiDocument(): JsonObject {
  if (cached) return cached;
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'jobx',
      version: '0.1.0',
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'Serverless asynchronous jobs: pipelines of tasks and nested child jobs.\n\n' +
        "Errors of the API are `{ error: { code, message, details? } }`; an unknown method or path is 404 `ROUTE_NOT_FOUND`. API Gateway's own refusals (401, 403, 429, and some 500s) are `{ message }`.\n\n" +
        'Times are ISO 8601 UTC with milliseconds. Authorization is one of the two schemes, as the deployment chose (`authMode`); the local stack checks none.',
    },
    servers: [
      { url: 'https://{apiId}.execute-api.{region}.amazonaws.com', description: "a deployment (API Gateway HTTP API, `$default` stage): the construct's `apiUrl`", variables: { apiId: { default: 'abc123', description: 'the HTTP API id' }, region: { default: 'us-east-1' } } },
      { url: 'http://127.0.0.1:3000', description: 'the local stack (`jobx dev`; `PORT` changes the port)' },
    ],
    security: [{ sigv4: [] }, { jwt: [] }],
    tags: [
      { name: 'jobs', description: 'submit and read jobs' },
      { name: 'control', description: 'manual actions: skip, retry, pause, resume, discard' },
      { name: 'tokens', description: 'tokens: who holds them, who waits' },
      { name: 'workers', description: 'external workers, their inboxes and task tokens' },
      { name: 'meta', description: 'health and this document' },
    ],
    paths: withAccess(operations()),
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'IAM authorization (`authMode: iam`, the default): every request signed with AWS Signature Version 4 for service `execute-api` ' +
            '(the `Authorization`, `X-Amz-Date` and, with temporary credentials, `X-Amz-Security-Token` headers). The caller needs `execute-api:Invoke` on the route: ' +
            "the construct's `grantSubmit`, `grantRead`, `grantList`, `grantControl` and `grantWorker` grant the routes of each operation's `x-jobx-access`.",
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        jwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'JWT authorization (`authMode: jwt`): a token of the configured issuer and audience in `Authorization: Bearer …`, with the scopes the deployment requires ' +
            "(`api.jwt.scopes`, or `api.jwt.routeScopes` for each operation's `x-jobx-access` group). The token's subject is the caller (`jwt:<subject>`).",
        },
      },
    },
  };
  return cached;
}
