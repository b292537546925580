/** GET /tokens/{token}: the holder and the queue of a token. @module */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { tokenView } from '../../engine/token-views';
import { engineDeps } from '../../runtime/deps';
import { json } from '../api-errors';
import { tokenParam } from '../request';

/** GET /tokens/{token}. */
export const getToken = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const token = tokenParam(event);
  return json(200, await tokenView(engineDeps(), token));
};
