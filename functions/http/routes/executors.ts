/** `GET /executors` and `GET /executors/{target}`: the worker inboxes. @module */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { executorView, listExecutors as listInboxes } from '../../engine/executors';
import { apiDeps } from '../../runtime/deps';
import { json } from '../api-errors';
import { inboxTargetParam } from '../request';

/** GET /executors. */
export const listExecutors = async (): Promise<APIGatewayProxyStructuredResultV2> => json(200, await listInboxes(apiDeps()));

/** GET /executors/{target} (`exec:<id>` or `prov:<name>`). */
export const getExecutor = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const target = inboxTargetParam(event);
  return json(200, await executorView(apiDeps(), target));
};
