/**
 * The HTTP API (API Gateway HTTP API, payload v2, `$default` stage): every route but the wait function's
 * (`WAIT_ROUTES`: the result long-poll and the API's description, `handlers/http-wait.ts`), which API Gateway sends
 * to that function. The local gateway calls this same handler, and the wait handler for those routes.
 * @module
 */
import middy from '@middy/core';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiErrors } from '../http/api-errors';
import { health } from '../http/routes/health';
import { discard, pause, resume, retry, skip } from '../http/routes/control';
import { conditional } from '../http/conditional';
import { counts, getJob, getTask, list, submit } from '../http/routes/jobs';
import { getExecutor, listExecutors } from '../http/routes/executors';
import { getToken, listTokens } from '../http/routes/tokens';
import { claim, failure, heartbeat, success } from '../http/routes/workers';

type ApiRoute = Route<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

/**
 * The API function's route table (the wait function's routes are in `http-wait.ts`). Views a client polls answer conditional GETs (`conditional`: an ETag, and 304 when it did
 * not change). A literal path wins over a parameter here as on API Gateway (`/jobs/counts`, not job `counts`;
 * no job id can be `counts` anyway: root ids are ULIDs or `B` and 25 hex digits).
 */
export const routes: ApiRoute[] = [
  { method: 'GET', path: '/health', handler: health },
  { method: 'POST', path: '/jobs', handler: submit },
  { method: 'GET', path: '/jobs/counts', handler: conditional(counts) },
  { method: 'GET', path: '/jobs/{jobId}', handler: conditional(getJob) },
  { method: 'GET', path: '/jobs/{jobId}/tasks/{taskId}', handler: conditional(getTask) },
  { method: 'GET', path: '/jobs', handler: conditional(list) },
  { method: 'POST', path: '/jobs/{jobId}/tasks/{taskId}/skip', handler: skip },
  { method: 'POST', path: '/jobs/{jobId}/tasks/{taskId}/retry', handler: retry },
  { method: 'POST', path: '/jobs/{jobId}/pause', handler: pause },
  { method: 'POST', path: '/jobs/{jobId}/resume', handler: resume },
  { method: 'POST', path: '/jobs/{jobId}/discard', handler: discard },
  { method: 'GET', path: '/tokens', handler: conditional(listTokens) },
  { method: 'GET', path: '/tokens/{token}', handler: conditional(getToken) },
  { method: 'GET', path: '/executors', handler: conditional(listExecutors) },
  { method: 'GET', path: '/executors/{target}', handler: conditional(getExecutor) },
  { method: 'POST', path: '/workers/{workerId}/claim', handler: claim },
  { method: 'POST', path: '/task-tokens/heartbeat', handler: heartbeat },
  { method: 'POST', path: '/task-tokens/success', handler: success },
  { method: 'POST', path: '/task-tokens/failure', handler: failure },
];

/** Lambda handler. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({ timeoutEarlyInMillis: 0 })
  .use(apiErrors())
  .handler(httpRouterHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(routes));
