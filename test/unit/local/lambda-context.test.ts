import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../functions/local/client-config';
import { getFreePort } from '../../../functions/local/free-port';
import { createLambdaContext } from '../../../functions/local/lambda-context';

describe('createLambdaContext', () => {
  it('looks like a Lambda context with a fresh request id per call', () => {
    const a = createLambdaContext('my-fn', 5_000);
    const b = createLambdaContext('my-fn', 5_000);
    expect(a.functionName).toBe('my-fn');
    expect(a.functionVersion).toBe('$LATEST');
    expect(a.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:my-fn');
    expect(a.logGroupName).toBe('/aws/lambda/my-fn');
    expect(a.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(a.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.awsRequestId).not.toBe(b.awsRequestId);
    // Deprecated callbacks exist and do nothing.
    expect(() => {
      a.done();
      a.fail('x');
      a.succeed('y');
    }).not.toThrow();
  });

  it('counts the remaining time down from creation, never below zero', async () => {
    const ctx = createLambdaContext('fn', 200);
    const first = ctx.getRemainingTimeInMillis();
    expect(first).toBeGreaterThan(150);
    expect(first).toBeLessThanOrEqual(200);
    await new Promise((r) => setTimeout(r, 60));
    expect(ctx.getRemainingTimeInMillis()).toBeLessThanOrEqual(first - 50);
    await new Promise((r) => setTimeout(r, 200));
    expect(ctx.getRemainingTimeInMillis()).toBe(0);
  });
});

describe('getFreePort', () => {
  it('returns a port that can be bound on 127.0.0.1', async () => {
    const port = await getFreePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise((r) => server.close(r));
  });
});

describe('localClientConfig', () => {
  it('pins region and fake credentials', () => {
    const config = localClientConfig('http://127.0.0.1:1234');
    expect(config).toEqual({
      endpoint: 'http://127.0.0.1:1234',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    config.credentials.accessKeyId = 'mutated';
    expect(localClientConfig('x').credentials.accessKeyId).toBe('local');
  });
});
