/**
 * Modules the engine functions (API, stream, sweeper) are bundled with in place of two AWS SDK modules they never
 * reach on Lambda: the credential chain's links other than the environment and a container endpoint
 * (`functions/runtime/lambda-credentials.ts`, about 100 KB of each bundle) and event streams
 * (`functions/runtime/no-event-streams.ts`, about 15 KB). Used by the construct's bundling (`lib/bundling.ts`), the
 * package's prebuilt handlers (`tsup.config.ts`) and `npm run bundle-sizes`. Provider functions are bundled
 * without them: their code is the user's, and may use any credential source or event stream.
 *
 * No AWS CDK import here: `tsup.config.ts` loads this file.
 * @module
 */
import * as path from 'node:path';

/** Module → stand-in, relative to the package root. */
export const ENGINE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': 'functions/runtime/lambda-credentials.ts',
  '@smithy/core/event-streams': 'functions/runtime/no-event-streams.ts',
};

/**
 * Build-time constants of every Lambda bundle (esbuild's `define`): `process.env.JOBX_COUNT_REQUESTS` is `"off"`,
 * which leaves the local stack's request counting out (`functions/adapters/clients.ts`). Used by the construct's
 * bundling, the package's prebuilt handlers and `npm run bundle-sizes`.
 */
export const LAMBDA_DEFINES: Readonly<Record<string, string>> = { 'process.env.JOBX_COUNT_REQUESTS': JSON.stringify('off') };

/** {@link ENGINE_ALIASES} with absolute paths under `root` (esbuild's `alias` option). */
export function engineAliases(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(ENGINE_ALIASES).map(([name, file]) => [name, path.join(root, file)]));
}
