/**
 * Conditional GETs (`functions/http/conditional.ts`): the ETag is a hash of the body actually sent (sorted keys,
 * so equal content is equal bytes), and If-None-Match is matched as RFC 9110 says: `*`, lists, weak comparison.
 * Through the router: tagged routes answer 304 without a body, untagged ones are left alone.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { canonicalJson, etagOf, ifNoneMatchMatches, tagAnswer } from '../../../functions/http/conditional';
import { json } from '../../../functions/http/api-errors';

const TAG = etagOf('{"a":1}');
const opaque = TAG.slice(1, -1);
const request = (ifNoneMatch?: string) => ({ headers: ifNoneMatch === undefined ? {} : { 'if-none-match': ifNoneMatch } }) as Pick<APIGatewayProxyEventV2, 'headers'>;

describe('etagOf and canonicalJson', () => {
  it('a strong tag: SHA-1 of the body, base64url, quoted', () => {
    expect(TAG).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(etagOf('{"a":1}')).toBe(TAG);
    expect(etagOf('{"a":2}')).not.toBe(TAG);
  });

  it('sorts every object key, at every depth, and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
});

describe('ifNoneMatchMatches', () => {
  it('the same tag matches; another does not; no header matches nothing', () => {
    expect(ifNoneMatchMatches(TAG, TAG)).toBe(true);
    expect(ifNoneMatchMatches(etagOf('other'), TAG)).toBe(false);
    expect(ifNoneMatchMatches(undefined, TAG)).toBe(false);
  });

  it('`*` matches any current answer', () => {
    expect(ifNoneMatchMatches('*', TAG)).toBe(true);
    expect(ifNoneMatchMatches(' * ', TAG)).toBe(true);
  });

  it('a list matches when any of its tags does, with or without spaces and empty elements', () => {
    expect(ifNoneMatchMatches(`"x", ${TAG}`, TAG)).toBe(true);
    expect(ifNoneMatchMatches(`${TAG},"y"`, TAG)).toBe(true);
    expect(ifNoneMatchMatches(`, "x" ,, ${TAG} ,`, TAG)).toBe(true);
    expect(ifNoneMatchMatches('"x", "y"', TAG)).toBe(false);
    // A comma may sit inside a quoted tag: it is not a separator there.
    expect(ifNoneMatchMatches('"a,b"', '"a,b"')).toBe(true);
    expect(ifNoneMatchMatches('"a,b"', '"a"')).toBe(false);
  });

  it('compares weakly: W/"x" matches "x" (and a weak tag of ours would match its strong form)', () => {
    expect(ifNoneMatchMatches(`W/"${opaque}"`, TAG)).toBe(true);
    expect(ifNoneMatchMatches(`"x", W/"${opaque}"`, TAG)).toBe(true);
    expect(ifNoneMatchMatches(TAG, `W/"${opaque}"`)).toBe(true);
    expect(ifNoneMatchMatches(`w/"${opaque}"`, TAG)).toBe(false);
  });

  it('a malformed value matches nothing (the full answer is the safe reply)', () => {
    for (const bad of [opaque, `${TAG} junk`, `"${opaque}`, `W/${opaque}`, `${TAG};q=1`]) expect(ifNoneMatchMatches(bad, TAG), bad).toBe(false);
  });
});

describe('tagAnswer', () => {
  it('a 200 gets its tag and no-cache, and its body is the canonical JSON the tag names', () => {
    const answer = tagAnswer(request(), json(200, { b: 2, a: 1 }));
    expect(answer).toMatchObject({ statusCode: 200, body: '{"a":1,"b":2}', headers: { 'content-type': 'application/json', etag: etagOf('{"a":1,"b":2}'), 'cache-control': 'no-cache' } });
  });

  it('If-None-Match naming the tag: 304 with the tag and no body; another tag: the 200 again', () => {
    const first = tagAnswer(request(), json(200, { a: 1 }));
    const etag = String(first.headers!.etag);
    expect(tagAnswer(request(etag), json(200, { a: 1 }))).toEqual({ statusCode: 304, headers: { etag, 'cache-control': 'no-cache' }, body: '' });
    expect(tagAnswer(request(`W/${etag}`), json(200, { a: 1 })).statusCode).toBe(304);
    expect(tagAnswer(request('*'), json(200, { a: 1 })).statusCode).toBe(304);
    const changed = tagAnswer(request(etag), json(200, { a: 2 }));
    expect(changed.statusCode).toBe(200);
    expect(changed.headers!.etag).not.toBe(etag);
  });

  it('errors and other statuses pass unchanged, whatever If-None-Match says', () => {
    const missing = json(404, { error: { code: 'NOT_FOUND', message: 'no' } });
    expect(tagAnswer(request('*'), missing)).toBe(missing);
    const accepted = json(202, { jobId: 'J', status: 'running' });
    expect(tagAnswer(request('*'), accepted)).toBe(accepted);
  });
});
