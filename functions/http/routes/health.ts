/** GET /health. @module */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ENV } from '../../runtime/env-names';
import { json } from '../api-errors';

/** 200 `{ status: 'ok' }`, plus the local stack's switches when it runs locally. */
export const health = async (): Promise<APIGatewayProxyStructuredResultV2> => {
  const local = process.env[ENV.localInfo];
  return json(200, { status: 'ok', ...(local ? { local: JSON.parse(local) as unknown } : {}) });
};
