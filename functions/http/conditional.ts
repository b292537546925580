/**
 * Conditional GETs: a read route wrapped with {@link conditional} answers with a strong `ETag` (a hash of the
 * body it sends) and with `304 Not Modified`, without a body, when the request's `If-None-Match` names that tag.
 * A client that polls a view (the console) then neither downloads nor re-renders what did not change. The
 * DynamoDB reads behind the view still happen: the tag is computed from the answer, there is no version to
 * compare before reading.
 *
 * The body is written with its object keys in sorted order, so equal content is always equal bytes (DynamoDB
 * does not promise an order for the keys of a stored map) and the tag can be strong: it names those bytes.
 * @module
 */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** A route handler of the API (the router passes the Lambda context along; a read needs none). */
type Handler<C> = (event: APIGatewayProxyEventV2, context: C) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * What tagged answers say about caching: a browser may keep them, but must ask again (conditionally) before it
 * uses them, since any of them may change at any moment.
 */
export const TAGGED_CACHE_CONTROL = 'no-cache';

/** JSON text with every object's keys in sorted order (arrays keep theirs). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/**
 * The strong entity tag of a body: `"<SHA-1 of its UTF-8 bytes, base64url>"` (27 characters between the quotes).
 * SHA-1 only tells versions apart here; nobody gains anything by making two bodies collide.
 */
export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body, 'utf8').digest('base64url')}"`;
}

// One element of an If-None-Match list: an optional entity tag (weakness marker, then a quoted opaque tag, RFC 9110
// §8.8.3), then a comma or the end. Elements may be empty (§5.6.1); a comma may sit inside a quoted tag.
const LIST_ELEMENT = /[ \t]*(?:(W\/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(,|$)/y;

/**
 * Whether an `If-None-Match` header value matches `etag` (RFC 9110 §13.1.2): `*` matches any current
 * representation; otherwise the comma-separated list of entity tags is compared weakly (`W/"x"` matches `"x"`).
 * A malformed value matches nothing (the full answer is always a safe reply to a condition not understood).
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = header.trim();
  if (value === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  let matched = false;
  for (let at = 0; at < value.length; ) {
    LIST_ELEMENT.lastIndex = at;
    const m = LIST_ELEMENT.exec(value);
    if (!m) return false;
    if (m[2] !== undefined && `"${m[2]}"` === opaque) matched = true;
    if (m[3] === '') break;
    at = LIST_ELEMENT.lastIndex;
  }
  return matched;
}

/**
 * Tags a 200 JSON answer and turns it into a 304 when the request already has it. Anything else (errors, other
 * statuses, bodies that are not JSON) passes through unchanged.
 */
export function tagAnswer(event: Pick<APIGatewayProxyEventV2, 'headers'>, answer: APIGatewayProxyStructuredResultV2): APIGatewayProxyStructuredResultV2 {
  if ((answer.statusCode ?? 200) !== 200 || typeof answer.body !== 'string' || answer.isBase64Encoded) return answer;
  let body: string;
  try {
    body = canonicalJson(JSON.parse(answer.body) as unknown);
  } catch {
    return answer;
  }
  const etag = etagOf(body);
  const tagged = { etag, 'cache-control': TAGGED_CACHE_CONTROL };
  // API Gateway (payload v2) and the local gateway hand header names over in lower case.
  if (ifNoneMatchMatches(event.headers?.['if-none-match'], etag)) return { statusCode: 304, headers: tagged, body: '' };
  return { ...answer, headers: { ...answer.headers, ...tagged }, body };
}

/**
 * A read route with conditional GETs (see the module's description).
 * @example
 * { method: 'GET', path: '/jobs/{jobId}', handler: conditional(getJob) }
 */
export function conditional<C>(handler: Handler<C>): Handler<C> {
  return async (event, context) => tagAnswer(event, await handler(event, context));
}
