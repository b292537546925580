/** `GET /tokens` (tokens in use) and `GET /tokens/{token}` (the holder and the queue of a token). @module */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { listTokens as listTokenPage, tokenView } from '../../engine/token-views';
import { apiDeps } from '../../runtime/deps';
import { json } from '../api-errors';
import { tokenParam } from '../request';
import { tokenListQuerySchema } from '../schemas';

/** GET /tokens/{token}. */
export const getToken = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const token = tokenParam(event);
  return json(200, await tokenView(apiDeps(), token));
};

/** GET /tokens?limit=&cursor= — tokens held or waited for, in name order. */
export const listTokens = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const query = tokenListQuerySchema.parse(event.queryStringParameters ?? {});
  return json(200, await listTokenPage(apiDeps(), query));
};
