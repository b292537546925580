/**
 * Manual control routes: skip, retry, pause, resume, discard. Each answers 200 once its transaction committed.
 * Every check on the request (ids, body, sizes) happens here, before the engine reads anything.
 * @module
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { discardJob, pauseJob, resumeJob, retryTask, skipTask } from '../../engine/control';
import { MAX_OUTPUT_BYTES } from '../../engine/run-task';
import { engineDeps } from '../../runtime/deps';
import { json } from '../api-errors';
import { assertSize, jobIdParam, jsonBody, taskIdParam } from '../request';
import { MAX_RETRY_EDIT_BYTES, discardSchema, emptySchema, retryActionSchema, skipSchema } from '../schemas';

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** POST /jobs/{jobId}/tasks/{taskId}/skip. The output is a task output: the same 128 KB limit as a provider's. */
export const skip: Handler = async (event) => {
  const jobId = jobIdParam(event);
  const taskId = taskIdParam(event, jobId);
  const body = skipSchema.parse(jsonBody(event) ?? {});
  assertSize('output', body.output, MAX_OUTPUT_BYTES);
  return json(200, await skipTask(engineDeps(), jobId, taskId, body));
};

/** POST /jobs/{jobId}/tasks/{taskId}/retry. The edits are stored on the new attempt, hence their own limit. */
export const retry: Handler = async (event) => {
  const jobId = jobIdParam(event);
  const taskId = taskIdParam(event, jobId);
  const body = retryActionSchema.parse(jsonBody(event) ?? {});
  assertSize('input and env', body.input === undefined && body.env === undefined ? undefined : { input: body.input, env: body.env }, MAX_RETRY_EDIT_BYTES);
  return json(200, await retryTask(engineDeps(), jobId, taskId, body));
};

/** POST /jobs/{jobId}/pause. */
export const pause: Handler = async (event) => {
  const jobId = jobIdParam(event);
  emptySchema.parse(jsonBody(event) ?? {});
  return json(200, await pauseJob(engineDeps(), jobId));
};

/** POST /jobs/{jobId}/resume. */
export const resume: Handler = async (event) => {
  const jobId = jobIdParam(event);
  emptySchema.parse(jsonBody(event) ?? {});
  return json(200, await resumeJob(engineDeps(), jobId));
};

/** POST /jobs/{jobId}/discard. */
export const discard: Handler = async (event) => {
  const jobId = jobIdParam(event);
  const body = discardSchema.parse(jsonBody(event) ?? {});
  return json(200, await discardJob(engineDeps(), jobId, body));
};
