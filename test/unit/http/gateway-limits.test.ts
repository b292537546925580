/**
 * The local HTTP gateway answers what API Gateway itself would answer, never a 500: a body over its 10 MB limit
 * is 413, and a path with malformed percent-encoding reaches the handler as it is (400 from the API). Runs the
 * real gateway over the real handler on a free port; every store call is refused.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHttpGateway } from '../../../functions/local/http-gateway';
import { apiHandler, ddb, refuseStoreCalls } from './harness';

let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
beforeAll(async () => {
  gateway = await startHttpGateway(apiHandler, 0);
});
afterAll(async () => gateway.stop());
beforeEach(() => refuseStoreCalls());

/** A raw request (the path is sent byte for byte, as a client may). */
function send(method: string, path: string, body?: Buffer): Promise<{ status: number; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gateway.url}${path}`, { method, headers: body ? { 'content-type': 'application/json', 'content-length': body.length } : {} }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: text ? (JSON.parse(text) as { error?: { code: string } }).error?.code : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('local gateway limits', () => {
  it('malformed percent-encoding in a path: 400 VALIDATION_FAILED', async () => {
    expect(await send('GET', '/jobs/%E0%A4%A')).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    expect(await send('GET', '/jobs/01ABC/tasks/%ZZ')).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('a path that starts with // stays a path (no host is read from it): 404 ROUTE_NOT_FOUND', async () => {
    expect(await send('GET', '//jobs')).toEqual({ status: 404, code: 'ROUTE_NOT_FOUND' });
  });

  it('a body over 10 MB: 413 PAYLOAD_TOO_LARGE from the gateway; over 1 MiB: 413 from the API', async () => {
    expect(await send('POST', '/jobs', Buffer.alloc(10 * 1024 * 1024 + 1, 0x20))).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(await send('POST', '/jobs', Buffer.alloc(1024 * 1024 + 1, 0x20))).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(ddb.calls()).toHaveLength(0);
  });
});
