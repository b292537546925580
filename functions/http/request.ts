/**
 * Request helpers: body parsing (a bodyless request is valid), query values, path parameters.
 * @module
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import { JobxError } from '../core/errors';
import { MAX_BODY_BYTES } from './schemas';

/** Parses the JSON body; `undefined` when there is none. Malformed JSON is 400 MALFORMED_JSON; too large is 413. */
export function jsonBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BODY_BYTES) {
    throw new JobxError('PAYLOAD_TOO_LARGE', `request body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES}`, { bytes, limit: MAX_BODY_BYTES });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new JobxError('MALFORMED_JSON', `request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Validates a query parameter with a schema (400 VALIDATION_FAILED naming the parameter). */
export function queryParam<T>(event: APIGatewayProxyEventV2, name: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(event.queryStringParameters?.[name]);
  if (!parsed.success) throw new JobxError('VALIDATION_FAILED', `query parameter ${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** A path parameter (always present on a matched route). */
export function pathParam(event: APIGatewayProxyEventV2, name: string): string {
  const value = event.pathParameters?.[name];
  if (value === undefined) throw new JobxError('VALIDATION_FAILED', `missing path parameter ${name}`);
  return decodeURIComponent(value);
}
