/**
 * How jobx's own functions are built: from `functions/` with esbuild inside this repository, or from the
 * handlers the published package ships prebuilt (`dist/handlers`, see `tsup.config.ts`).
 * @module
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetStaging } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { ENGINE_ALIASES, LAMBDA_DEFINES } from './lambda-aliases';

/** Root of the jobx package (the directory holding `functions/` and `package.json`). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Handler entry files of jobx's own functions, relative to the package root. */
export const HANDLER_ENTRIES = {
  api: 'functions/handlers/http-api.ts',
  wait: 'functions/handlers/http-wait.ts',
  stream: 'functions/handlers/stream.ts',
  sweeper: 'functions/handlers/sweeper.ts',
} as const;

/**
 * Handler entry of the console function (only with the `console` prop). Apart from {@link HANDLER_ENTRIES}, which
 * are the engine's functions: it reads no table and ships the console's built files (see `lib/console.ts`).
 */
export const CONSOLE_HANDLER_ENTRY = 'functions/handlers/console.ts';

/** Every handler the package ships prebuilt, by its directory under `dist/handlers`. */
const PREBUILT_ENTRIES: Readonly<Record<string, string>> = { ...HANDLER_ENTRIES, console: CONSOLE_HANDLER_ENTRY };

/** Runtime of every function jobx builds (see the AwsSolutions-L1 acknowledgement). */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;

/**
 * The ESM bundle creates `require` for the CommonJS dependencies esbuild keeps as `require()` calls.
 * @internal
 */
export const ESM_REQUIRE_BANNER = "import { createRequire as __jobxCreateRequire } from 'node:module'; const require = __jobxCreateRequire(import.meta.url);";

/**
 * Bundling of every function jobx builds: esbuild, ESM, minified, external source maps. The AWS SDK is bundled
 * too: the versions the tests ran against, tree-shaken, rather than whatever the runtime ships. Names are not
 * kept (`keepNames` would add 6 to 8 % to every bundle): the functions run with `--enable-source-maps`, which
 * gives stack traces their source files, lines and function names back, and jobx's error classes set `name`.
 */
export const LAMBDA_BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  target: 'node22',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  bundleAwsSDK: true,
  banner: ESM_REQUIRE_BANNER,
  // The request counting of the local stack and the bench is left out (functions/adapters/clients.ts).
  define: { ...LAMBDA_DEFINES },
};

/**
 * Bundling of the engine functions (API, stream, sweeper) from this repository's sources: {@link LAMBDA_BUNDLING}
 * with the Lambda-only stand-ins of `lambda-aliases.ts`. esbuild resolves their relative paths in its working
 * directory: the package root when it runs here (their `projectRoot`, see {@link ownBundlingRoot}), the same
 * directory mounted as the asset input when it runs in Docker.
 */
export const ENGINE_BUNDLING: nodejs.BundlingOptions = {
  ...LAMBDA_BUNDLING,
  esbuildArgs: { '--alias': Object.entries(ENGINE_ALIASES).map(([name, file]) => `${name}=./${file}`) },
  workingDirectory: AssetStaging.BUNDLING_INPUT_DIR,
};

/**
 * jobx's own handlers as the published package ships them, bundled at build time (`dist/handlers/<name>`, see
 * `tsup.config.ts`); undefined inside this repository, where they are bundled from `functions/` at synth.
 */
export function prebuiltHandler(entry: string): string | undefined {
  if (existsSync(path.join(PACKAGE_ROOT, entry))) return undefined;
  const name = Object.keys(PREBUILT_ENTRIES).find((k) => PREBUILT_ENTRIES[k] === entry);
  const dir = name && path.join(PACKAGE_ROOT, 'dist', 'handlers', name);
  if (!dir || !existsSync(path.join(dir, 'index.mjs'))) throw new Error(`jobx: neither ${entry} nor its prebuilt bundle is in ${PACKAGE_ROOT} (a broken install?)`);
  return dir;
}

/** What a Lambda needs to be bundled from jobx's own sources, wherever jobx is installed. */
export function ownBundlingRoot(): Pick<nodejs.NodejsFunctionProps, 'projectRoot' | 'depsLockFilePath'> {
  const lock = path.join(PACKAGE_ROOT, 'package-lock.json');
  // In this repository: bundle from here. Installed as a dependency: the app's own lock file (found from the cwd).
  return existsSync(lock) ? { projectRoot: PACKAGE_ROOT, depsLockFilePath: lock } : {};
}
