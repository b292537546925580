/** Manual control routes: skip, retry, pause, resume, discard. Each answers 200 once its transaction committed. @module */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { discardJob, pauseJob, resumeJob, retryTask, skipTask } from '../../engine/control';
import { engineDeps } from '../../runtime/deps';
import { json } from '../api-errors';
import { jsonBody, pathParam } from '../request';
import { discardSchema, emptySchema, retryActionSchema, skipSchema } from '../schemas';

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** POST /jobs/{jobId}/tasks/{taskId}/skip. */
export const skip: Handler = async (event) => {
  const body = skipSchema.parse(jsonBody(event) ?? {});
  return json(200, await skipTask(engineDeps(), pathParam(event, 'jobId'), pathParam(event, 'taskId'), body));
};

/** POST /jobs/{jobId}/tasks/{taskId}/retry. */
export const retry: Handler = async (event) => {
  const body = retryActionSchema.parse(jsonBody(event) ?? {});
  return json(200, await retryTask(engineDeps(), pathParam(event, 'jobId'), pathParam(event, 'taskId'), body));
};

/** POST /jobs/{jobId}/pause. */
export const pause: Handler = async (event) => {
  emptySchema.parse(jsonBody(event) ?? {});
  return json(200, await pauseJob(engineDeps(), pathParam(event, 'jobId')));
};

/** POST /jobs/{jobId}/resume. */
export const resume: Handler = async (event) => {
  emptySchema.parse(jsonBody(event) ?? {});
  return json(200, await resumeJob(engineDeps(), pathParam(event, 'jobId')));
};

/** POST /jobs/{jobId}/discard. */
export const discard: Handler = async (event) => {
  const body = discardSchema.parse(jsonBody(event) ?? {});
  return json(200, await discardJob(engineDeps(), pathParam(event, 'jobId'), body));
};
