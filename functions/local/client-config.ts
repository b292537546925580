/**
 * Shared AWS SDK client configuration for the local stack.
 *
 * Every local emulator (DynamoDB Local, the in-process SQS server) ignores
 * signatures, but the SDK still insists on a region and credentials before it
 * will sign a request. Using one fixed, obviously fake set everywhere means no
 * developer's real `~/.aws` profile or environment credentials are ever picked
 * up (and so never sent anywhere) by local code, and DynamoDB Local's
 * `-sharedDb` mode makes the values irrelevant for table visibility.
 */

/** Region used by every local client; DynamoDB Local and the SQS server put it in ARNs. */
export const LOCAL_REGION = 'us-east-1';

/** Static fake credentials accepted by the local emulators. */
export const LOCAL_CREDENTIALS: { readonly accessKeyId: string; readonly secretAccessKey: string } = {
  accessKeyId: 'local',
  secretAccessKey: 'local',
};

/** Client configuration accepted by every AWS SDK v3 client constructor. */
export interface LocalClientConfig {
  /** Base URL of the local emulator, e.g. `http://127.0.0.1:8000`. */
  endpoint: string;
  /** Always {@link LOCAL_REGION}. */
  region: string;
  /** Always {@link LOCAL_CREDENTIALS} (a fresh copy, so callers cannot mutate the shared one). */
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Builds the configuration for an AWS SDK v3 client talking to a local emulator.
 *
 * @param endpoint - Base URL of the emulator (as returned by `startDynamoDbLocal` / `startSqsServer`).
 * @returns `{ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }`
 *
 * @example
 * ```ts
 * const ddb = new DynamoDBClient(localClientConfig(db.endpoint));
 * ```
 */
export function localClientConfig(endpoint: string): LocalClientConfig {
  return {
    endpoint,
    region: LOCAL_REGION,
    credentials: { ...LOCAL_CREDENTIALS },
  };
}
