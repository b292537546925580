/**
 * The AWS SDK's default credential chain as jobx's engine functions meet it on Lambda, bundled in place of
 * `@aws-sdk/credential-provider-node` (`lib/lambda-aliases.ts`). Lambda hands a function its execution role's
 * credentials in the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), which is the
 * first link of the SDK's own chain and the one that answers there; a container credentials endpoint
 * (`AWS_CONTAINER_CREDENTIALS_*`) is the second. The links Lambda never reaches (SSO, shared ini files,
 * `credential_process`, web identity, EC2 instance metadata) and the STS, SSO and sign-in clients behind them
 * weigh about 100 KB of minified code in every bundle, all parsed at each cold start.
 *
 * The local stack runs the handlers from source with the full chain; only the deployed bundles use this one.
 * @module
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import { CredentialsProviderError, chain } from '@smithy/core/config';
import type { AwsCredentialIdentityProvider, Logger } from '@smithy/types';

/** Set by a runtime that serves credentials from an HTTP endpoint (containers, Lambda managed instances). */
const CONTAINER_ENDPOINT_VARIABLES = ['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'] as const;

/**
 * The default credential provider of every AWS SDK client in the bundle (same name and contract as the SDK's):
 * environment, then the container endpoint when one is set; memoized and refreshed 5 minutes before expiry,
 * as the SDK's chain is.
 */
export const defaultProvider = (init: { logger?: Logger } = {}): AwsCredentialIdentityProvider => {
  const container: AwsCredentialIdentityProvider = async (props) => {
    if (!CONTAINER_ENDPOINT_VARIABLES.some((name) => process.env[name])) {
      throw new CredentialsProviderError(
        'jobx: no credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and no container credentials endpoint; this bundle resolves credentials the way Lambda provides them only',
        { logger: init.logger, tryNextLink: false },
      );
    }
    return fromHttp(init)(props);
  };
  return memoizeIdentityProvider(chain(fromEnv(init), container), isIdentityExpired, doesIdentityRequireRefresh)!;
};
