/**
 * The HTTP API (API Gateway HTTP API, payload v2, `$default` stage). The local gateway calls this same handler.
 * @module
 */
import middy from '@middy/core';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiErrors } from '../http/api-errors';
import { health } from '../http/routes/health';
import { getJob, getResult, getTask, submit } from '../http/routes/jobs';

type ApiRoute = Route<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

/** The route table. */
export const routes: ApiRoute[] = [
  { method: 'GET', path: '/health', handler: health },
  { method: 'POST', path: '/jobs', handler: submit },
  { method: 'GET', path: '/jobs/{jobId}', handler: getJob },
  { method: 'GET', path: '/jobs/{jobId}/tasks/{taskId}', handler: getTask },
  { method: 'GET', path: '/jobs/{jobId}/result', handler: getResult },
];

/** Lambda handler. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({ timeoutEarlyInMillis: 0 })
  .use(apiErrors())
  .handler(httpRouterHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(routes));
