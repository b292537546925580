/**
 * The wait function's handler (`lib/wait-function.ts`): the routes API Gateway sends to it instead of the API
 * function (`WAIT_ROUTES`). The result long-poll spends its time waiting on DynamoDB reads, at a small memory
 * size; the API's OpenAPI description is a large document built from the request and response schemas (zod's JSON
 * Schema output), asked for by tools, not by jobs. Serving both here keeps the code that waits and the code that
 * describes out of the API function's bundle, which every submit and action loads.
 * @module
 */
import middy from '@middy/core';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiErrors, json } from '../http/api-errors';
import { openApiDocument } from '../http/openapi';
import { getResult } from '../http/routes/result';

type WaitRoute = Route<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

/** Built once per execution environment: the document never changes while the function runs. */
let described: ReturnType<typeof openApiDocument> | undefined;

/** The wait function's route table: exactly `WAIT_ROUTES` (a unit test holds them equal). */
export const routes: WaitRoute[] = [
  { method: 'GET', path: '/openapi.json', handler: async () => json(200, (described ??= openApiDocument())) },
  { method: 'GET', path: '/jobs/{jobId}/result', handler: getResult },
];

/** Lambda handler. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({ timeoutEarlyInMillis: 0 })
  .use(apiErrors())
  .handler(httpRouterHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(routes));
