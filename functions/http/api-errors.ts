/**
 * One error middleware for the API: every failure becomes `{ error: { code, message, details? } }` with the
 * contract's status; unexpected errors become 500 INTERNAL without leaking internals.
 * @module
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { JobxError } from '../core/errors';
import { logger } from '../runtime/logger';

/** Schema problems a 400 lists at most (`details.issueCount` then says how many there were). */
export const MAX_ISSUES = 50;

/** A JSON response. */
export function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Maps any error to the contract's error response. */
export function errorResponse(err: unknown): APIGatewayProxyStructuredResultV2 {
  if (err instanceof JobxError) {
    return json(err.httpStatus, { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
  }
  if (err instanceof z.ZodError) {
    // The first MAX_ISSUES only: one mistake repeated over 10,000 children would otherwise answer about 1 MB.
    const issues = err.issues.slice(0, MAX_ISSUES).map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0];
    const details = err.issues.length > MAX_ISSUES ? { issues, issueCount: err.issues.length } : { issues };
    return json(400, { error: { code: 'VALIDATION_FAILED', message: first ? `${first.path || 'body'}: ${first.message}` : 'invalid request', details } });
  }
  const e = err as { statusCode?: number; cause?: { package?: string } };
  if (e?.cause?.package === '@middy/http-router' && e.statusCode === 404) {
    return json(404, { error: { code: 'ROUTE_NOT_FOUND', message: 'no such route' } });
  }
  logger.error('unexpected API error', { error: err as Error });
  return json(500, { error: { code: 'INTERNAL', message: 'internal error' } });
}

/** The middleware. */
export function apiErrors(): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      request.response = errorResponse(request.error);
    },
  };
}
