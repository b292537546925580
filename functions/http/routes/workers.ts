/** External workers and task tokens: claim, heartbeat, success, failure. @module */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { failByToken, heartbeat as heartbeatByToken, succeedByToken } from '../../engine/task-tokens';
import { MAX_OUTPUT_BYTES } from '../../engine/run-task';
import { claimForWorker } from '../../engine/workers';
import { apiDeps } from '../../runtime/deps';
import { json } from '../api-errors';
import { assertSize, jsonBody, queryParam, taskTokenHeader, validPathParam } from '../request';
import { emptySchema, failureSchema, nameOf, successSchema, waitSchema, workerIdSchema } from '../schemas';

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const providersSchema = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(',').map((p) => p.trim()).filter(Boolean) : []))
  // Each becomes a worker inbox key (`prov:<name>`): the same charset as the provider names a job may use.
  .pipe(z.array(nameOf('provider names')).max(50));

/** POST /workers/{workerId}/claim?wait=N&providers=a,b: 200 with a task, or 204 when none came in time. */
export const claim: Handler = async (event) => {
  const workerId = validPathParam(event, 'workerId', workerIdSchema);
  const wait = queryParam(event, 'wait', waitSchema) ?? 0;
  const providers = queryParam(event, 'providers', providersSchema);
  const task = await claimForWorker(apiDeps(), workerId, providers, wait);
  return task ? json(200, task) : { statusCode: 204, headers: {}, body: '' };
};

/** POST /task-tokens/heartbeat (token in the `x-jobx-task-token` header). */
export const heartbeat: Handler = async (event) => {
  const token = taskTokenHeader(event);
  emptySchema.parse(jsonBody(event) ?? {});
  return json(200, await heartbeatByToken(apiDeps(), token));
};

/** POST /task-tokens/success `{ output? }` (token in the `x-jobx-task-token` header). */
export const success: Handler = async (event) => {
  const token = taskTokenHeader(event);
  const body = successSchema.parse(jsonBody(event) ?? {});
  assertSize('output', body.output, MAX_OUTPUT_BYTES);
  return json(200, await succeedByToken(apiDeps(), token, body.output ?? {}));
};

/** POST /task-tokens/failure `{ error, retryable? }` (token in the `x-jobx-task-token` header). */
export const failure: Handler = async (event) => {
  const token = taskTokenHeader(event);
  const body = failureSchema.parse(jsonBody(event) ?? {});
  const error = typeof body.error === 'string' ? { message: body.error } : body.error;
  return json(200, await failByToken(apiDeps(), token, { ...error, ...(body.retryable !== undefined ? { retryable: body.retryable } : {}) }));
};
