/** Routes of `/jobs`. @module */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { getJobView, getTaskView, submitJob, submittedJobView, waitForResult } from '../../engine/jobs-service';
import { apiDeps } from '../../runtime/deps';
import { logger } from '../../runtime/logger';
import { waitWithin } from './result';
import { json } from '../api-errors';
import { jobIdParam, jsonBody, queryParam, taskIdParam } from '../request';
import { listJobs } from '../../engine/list-jobs';
import { countJobs } from '../../engine/job-counts';
import { boundOwner, callerOf, ownerBound } from '../caller';
import { MAX_DEPTH, MAX_JOB_PAYLOAD_BYTES, countQuerySchema, jobSpecSchema, listQuerySchema, waitSchema } from '../schemas';

type Handler = (event: APIGatewayProxyEventV2, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<APIGatewayProxyStructuredResultV2>;

/** POST /jobs: 201 created, 200 for an existing bizId; `?wait=N` returns the job once finished (or after N s). */
export const submit: Handler = async (event, context) => {
  const wait = queryParam(event, 'wait', waitSchema);
  const caller = callerOf(event);
  const body = (jsonBody(event) ?? {}) as Record<string, unknown>;
  // Owner binding: the owner is the caller (the body may leave it out, or name the caller).
  if (ownerBound()) body.owner = boundOwner(caller, typeof body.owner === 'string' ? body.owner : undefined);
  const spec = jobSpecSchema.parse(body);
  const deps = apiDeps();
  const { created, jobId, written, firstTaskSent } = await submitJob(deps, spec, { maxDepth: MAX_DEPTH, maxJobPayloadBytes: MAX_JOB_PAYLOAD_BYTES }, caller.id);
  if (firstTaskSent === false) logger.warn('first task not sent at submit; the sweeper sends it after its grace', { jobId });
  if (wait) await waitForResult(deps, jobId, waitWithin(wait, context));
  // Without a wait, a new job is answered as written (no read back); after a wait, as it is now.
  return json(created ? 201 : 200, await submittedJobView(deps, jobId, spec, wait ? undefined : written));
};

/** GET /jobs/{jobId}. */
export const getJob: Handler = async (event) => {
  const jobId = jobIdParam(event);
  return json(200, await getJobView(apiDeps(), jobId));
};

/** GET /jobs/{jobId}/tasks/{taskId}. */
export const getTask: Handler = async (event) => {
  const jobId = jobIdParam(event);
  const taskId = taskIdParam(event, jobId);
  return json(200, await getTaskView(apiDeps(), jobId, taskId));
};

/** GET /jobs?owner=&status=&name=&bizId=&limit=&cursor= — root jobs newest first. */
export const list: Handler = async (event) => {
  const query = listQuerySchema.parse(event.queryStringParameters ?? {});
  return json(200, await listJobs(apiDeps(), query));
};

/** GET /jobs/counts?owner=&name=&window= — root jobs by status among the newest `window` roots. */
export const counts: Handler = async (event) => {
  const query = countQuerySchema.parse(event.queryStringParameters ?? {});
  return json(200, await countJobs(apiDeps(), query));
};
