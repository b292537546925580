/**
 * The HTTP API (API Gateway HTTP API, payload v2, `$default` stage). The local gateway calls this same handler.
 * @module
 */
import middy from '@middy/core';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiErrors, json } from '../http/api-errors';
import { openApiDocument } from '../http/openapi';
import { health } from '../http/routes/health';
import { discard, pause, resume, retry, skip } from '../http/routes/control';
import { getJob, getResult, getTask, list, submit } from '../http/routes/jobs';
import { getToken } from '../http/routes/tokens';
import { claim, failure, heartbeat, success } from '../http/routes/workers';

type ApiRoute = Route<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

/** The route table. */
export const routes: ApiRoute[] = [
  { method: 'GET', path: '/health', handler: health },
  { method: 'GET', path: '/openapi.json', handler: async () => json(200, openApiDocument()) },
  { method: 'POST', path: '/jobs', handler: submit },
  { method: 'GET', path: '/jobs/{jobId}', handler: getJob },
  { method: 'GET', path: '/jobs/{jobId}/tasks/{taskId}', handler: getTask },
  { method: 'GET', path: '/jobs/{jobId}/result', handler: getResult },
  { method: 'GET', path: '/jobs', handler: list },
  { method: 'POST', path: '/jobs/{jobId}/tasks/{taskId}/skip', handler: skip },
  { method: 'POST', path: '/jobs/{jobId}/tasks/{taskId}/retry', handler: retry },
  { method: 'POST', path: '/jobs/{jobId}/pause', handler: pause },
  { method: 'POST', path: '/jobs/{jobId}/resume', handler: resume },
  { method: 'POST', path: '/jobs/{jobId}/discard', handler: discard },
  { method: 'GET', path: '/tokens/{token}', handler: getToken },
  { method: 'POST', path: '/workers/{workerId}/claim', handler: claim },
  { method: 'POST', path: '/task-tokens/heartbeat', handler: heartbeat },
  { method: 'POST', path: '/task-tokens/success', handler: success },
  { method: 'POST', path: '/task-tokens/failure', handler: failure },
];

/** Lambda handler. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({ timeoutEarlyInMillis: 0 })
  .use(apiErrors())
  .handler(httpRouterHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(routes));
