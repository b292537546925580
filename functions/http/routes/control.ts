/**
 * Manual control routes: skip, retry, pause, resume, discard. Each answers 200 once its transaction committed.
 * Every check on the request (ids, body, sizes) happens here, before the engine reads anything.
 * @module
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { discardJob, pauseJob, resumeJob, retryTask, skipTask, type Actor } from '../../engine/control';
import { JobxError } from '../../core/errors';
import { rootIdOf } from '../../core/routing';
import type { EngineDeps } from '../../ports';
import { assertMayControl, callerOf, ownerBound } from '../caller';
import { MAX_OUTPUT_BYTES } from '../../engine/run-task';
import { apiDeps } from '../../runtime/deps';
import { json } from '../api-errors';
import { assertSize, jobIdParam, jsonBody, taskIdParam } from '../request';
import { MAX_RETRY_EDIT_BYTES, discardSchema, emptySchema, retryActionSchema, skipSchema } from '../schemas';

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The caller of a manual action, as recorded with it; under owner binding, checked against the owner of the
 * job's root first (a job and its children share their root's owner).
 */
async function actorFor(deps: EngineDeps, event: APIGatewayProxyEventV2, jobId: string): Promise<Actor> {
  const caller = callerOf(event);
  if (ownerBound()) {
    const root = await deps.store.getJob(rootIdOf(jobId));
    if (!root) throw new JobxError('NOT_FOUND', `job ${jobId} not found`, { jobId });
    assertMayControl(caller, root.owner);
  }
  return { by: caller.id };
}

/** POST /jobs/{jobId}/tasks/{taskId}/skip. The output is a task output: the same 128 KB limit as a provider's. */
export const skip: Handler = async (event) => {
  const jobId = jobIdParam(event);
  const taskId = taskIdParam(event, jobId);
  const body = skipSchema.parse(jsonBody(event) ?? {});
  assertSize('output', body.output, MAX_OUTPUT_BYTES);
  const deps = apiDeps();
  return json(200, await skipTask(deps, jobId, taskId, body, await actorFor(deps, event, jobId)));
};

/** POST /jobs/{jobId}/tasks/{taskId}/retry. The edits are stored on the new attempt, hence their own limit. */
export const retry: Handler = async (event) => {
  const jobId = jobIdParam(event);
  const taskId = taskIdParam(event, jobId);
  const body = retryActionSchema.parse(jsonBody(event) ?? {});
  assertSize('input and env', body.input === undefined && body.env === undefined ? undefined : { input: body.input, env: body.env }, MAX_RETRY_EDIT_BYTES);
  const deps = apiDeps();
  return json(200, await retryTask(deps, jobId, taskId, body, await actorFor(deps, event, jobId)));
};

/** POST /jobs/{jobId}/pause. */
export const pause: Handler = async (event) => {
  const jobId = jobIdParam(event);
  emptySchema.parse(jsonBody(event) ?? {});
  const deps = apiDeps();
  return json(200, await pauseJob(deps, jobId, await actorFor(deps, event, jobId)));
};

/** POST /jobs/{jobId}/resume. */
export const resume: Handler = async (event) => {
  const jobId = jobIdParam(event);
  emptySchema.parse(jsonBody(event) ?? {});
  const deps = apiDeps();
  return json(200, await resumeJob(deps, jobId, await actorFor(deps, event, jobId)));
};

/** POST /jobs/{jobId}/discard. */
export const discard: Handler = async (event) => {
  const jobId = jobIdParam(event);
  const body = discardSchema.parse(jsonBody(event) ?? {});
  const deps = apiDeps();
  return json(200, await discardJob(deps, jobId, body, await actorFor(deps, event, jobId)));
};
