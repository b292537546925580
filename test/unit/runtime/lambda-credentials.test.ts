/**
 * The engine bundles' credential chain (`functions/runtime/lambda-credentials.ts`): the environment, then a
 * container endpoint, memoized; a clear error otherwise.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../../functions/runtime/lambda-credentials';

const VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'AWS_PROFILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN'];

afterEach(() => vi.unstubAllEnvs());

function environment(values: Record<string, string>): void {
  for (const name of VARIABLES) vi.stubEnv(name, values[name] ?? '');
}

describe('the Lambda credential chain', () => {
  it("answers with the execution role's credentials from the environment, as Lambda sets them", async () => {
    environment({ AWS_ACCESS_KEY_ID: 'AKIDLAMBDA', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' });
    await expect(defaultProvider()()).resolves.toMatchObject({ accessKeyId: 'AKIDLAMBDA', secretAccessKey: 'secret', sessionToken: 'token' });
  });

  it('falls back to a container credentials endpoint, asked once while its credentials are fresh', async () => {
    let requests = 0;
    const endpoint = createServer((_req, res) => {
      requests++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ AccessKeyId: 'AKIDCONTAINER', SecretAccessKey: 'secret', Token: 'token', Expiration: new Date(Date.now() + 3_600_000).toISOString() }));
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    try {
      environment({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/credentials` });
      const provider = defaultProvider();
      await expect(provider()).resolves.toMatchObject({ accessKeyId: 'AKIDCONTAINER', sessionToken: 'token' });
      await expect(provider()).resolves.toMatchObject({ accessKeyId: 'AKIDCONTAINER' });
      expect(requests).toBe(1);
    } finally {
      endpoint.close();
    }
  });

  it('fails with what it looked for when neither is there (no profile or instance metadata is tried)', async () => {
    environment({ AWS_PROFILE: 'dev' });
    await expect(defaultProvider()()).rejects.toThrow(/no credentials in the environment \(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY\) and no container credentials endpoint/);
  });
});
