import { describe, expect, it } from 'vitest';
import { JobxClient, createSigner, regionFromUrl } from '../../../functions/sdk';

// AWS SigV4 test suite (aws-sig-v4-test-suite): get-vanilla, get-vanilla-query-order-key-case, post-vanilla.
const SUITE = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  region: 'us-east-1',
  service: 'service',
  applyChecksum: false,
  now: () => new Date('2015-08-30T12:36:00Z'),
};
const scope = 'Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date';

describe('SigV4 signing', () => {
  it('matches the AWS test suite vectors', async () => {
    const sign = createSigner(SUITE);
    expect(await sign({ method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} })).toEqual({
      'x-amz-date': '20150830T123600Z',
      authorization: `AWS4-HMAC-SHA256 ${scope}, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
    });
    const query = await sign({ method: 'GET', url: new URL('https://example.amazonaws.com/?Param2=value2&Param1=value1'), headers: {} });
    expect(query.authorization).toBe(`AWS4-HMAC-SHA256 ${scope}, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500`);
    const post = await sign({ method: 'POST', url: new URL('https://example.amazonaws.com/'), headers: {} });
    expect(post.authorization).toBe(`AWS4-HMAC-SHA256 ${scope}, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b`);
  });

  it('signs client requests for execute-api with the region of the URL, deterministically, with the session token', async () => {
    const captured: Array<Record<string, string>> = [];
    const fetch: typeof globalThis.fetch = async (_url, init) => {
      captured.push(Object.fromEntries(new Headers(init?.headers).entries()));
      return new Response(JSON.stringify({ status: 'ok' }), { status: 200 });
    };
    const client = new JobxClient({
      baseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'TOKEN' },
      fetch,
    });
    await client.health();
    const h = captured[0]!;
    expect(h.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(h['x-amz-security-token']).toBe('TOKEN');
    expect(h['x-amz-content-sha256']).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(h.host).toBeUndefined();

    const at = () => new Date('2026-11-25T10:00:00Z');
    const sign = createSigner({ credentials: { accessKeyId: 'AKID', secretAccessKey: 's' }, region: 'eu-west-1', now: at });
    const req = { method: 'POST', url: new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/jobs?wait=25'), headers: { 'content-type': 'application/json' }, body: '{"a":1}' };
    const a = await sign(req);
    expect(await sign(req)).toEqual(a);
    expect(a['x-amz-date']).toBe('20261125T100000Z');
    expect(a.authorization).toContain('Credential=AKID/20261125/eu-west-1/execute-api/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date,');
    expect(await sign({ ...req, body: '{"a":2}' })).not.toEqual(a);
  });

  it('does not sign without credentials', async () => {
    let headers: Record<string, string> = {};
    const client = new JobxClient({
      baseUrl: 'http://127.0.0.1:1',
      fetch: async (_u, init) => {
        headers = Object.fromEntries(new Headers(init?.headers).entries());
        return new Response('{"status":"ok"}');
      },
    });
    await client.health();
    expect(headers.authorization).toBeUndefined();
  });

  it('finds the region in an execute-api host name', () => {
    expect(regionFromUrl('https://abc123.execute-api.eu-west-1.amazonaws.com/')).toBe('eu-west-1');
    expect(regionFromUrl('https://abc.execute-api.cn-north-1.amazonaws.com.cn')).toBe('cn-north-1');
    expect(regionFromUrl('http://127.0.0.1:3000')).toBeUndefined();
    expect(regionFromUrl('not a url')).toBeUndefined();
  });
});
