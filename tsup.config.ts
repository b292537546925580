/**
 * Build of the published package (`npm run build`, run by `npm pack` through `prepack`):
 * - the public entry points as ESM and CommonJS with bundled type declarations (`dist/*.{mjs,cjs,d.ts}`);
 * - the CLI as ESM (`dist/cli.mjs`);
 * - jobx's own Lambda handlers, bundled whole (AWS SDK included) as the construct deploys them
 *   (`dist/handlers/<name>/index.mjs`), so an app that installs jobx needs no bundler for them; the console
 *   function's asset adds the console's own build (`dist/console`, `npm run build:console`).
 * Inside this repository the construct bundles the handlers from `functions/` instead (see `lib/job-flow.ts`).
 */
import { defineConfig } from 'tsup';
import { LAMBDA_DEFINES, engineAliases } from './lib/lambda-aliases';

/** The ESM bundle creates `require` for the CommonJS dependencies esbuild keeps as `require()` calls. */
const ESM_REQUIRE_BANNER = "import { createRequire as __jobxCreateRequire } from 'node:module'; const require = __jobxCreateRequire(import.meta.url);";

/**
 * One prebuilt handler, bundled as the construct bundles it (`lib/bundling.ts`): minified, with source maps (no
 * sources in them); the engine's handlers (`engine`) with the Lambda-only stand-ins of `lib/lambda-aliases.ts`.
 */
const handler = (name: string, entry: string, opts: { engine?: boolean } = {}) =>
  defineConfig({
    entry: { index: entry },
    outDir: `dist/handlers/${name}`,
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    platform: 'node',
    target: 'node22',
    bundle: true,
    noExternal: [/.*/],
    minify: true,
    sourcemap: true,
    splitting: false,
    dts: false,
    clean: false,
    banner: { js: ESM_REQUIRE_BANNER },
    esbuildOptions(options) {
      // As the construct's bundling: maps without the sources (a third of the size; Node parses the map when it loads the bundle).
      options.sourcesContent = false;
      options.define = { ...options.define, ...LAMBDA_DEFINES };
      if (opts.engine) options.alias = { ...options.alias, ...engineAliases(process.cwd()) };
    },
  });

/** The public entry points (`exports` in package.json). */
const library = {
  entry: { sdk: 'functions/sdk/index.ts', provider: 'functions/providers/define-provider.ts', construct: 'lib/index.ts' },
  outDir: 'dist',
  platform: 'node',
  target: 'node20',
  dts: true,
  shims: true,
  splitting: false,
  sourcemap: true,
  clean: false,
} as const;

export default defineConfig([
  // Cleans its own outputs only: dist/console is the console's (bin/build-console.ts swaps it in whole).
  { ...library, format: ['esm'], outExtension: () => ({ js: '.mjs' }), clean: ['*.mjs', '*.cjs', '*.d.ts', '*.d.cts', '*.map'] },
  // middy ships ESM only: a CommonJS consumer (a stock CDK app, a provider bundled as CommonJS) gets it bundled.
  { ...library, format: ['cjs'], outExtension: () => ({ js: '.cjs' }), noExternal: [/^@middy\//] },
  {
    // The local SQS server's thread is a file of its own, beside cli.mjs (functions/local/sqs-server.ts finds it).
    entry: { cli: 'bin/cli.ts', 'sqs-server-worker': 'functions/local/sqs-server-worker.ts' },
    outDir: 'dist',
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    platform: 'node',
    target: 'node20',
    dts: false,
    splitting: false,
    sourcemap: true,
    clean: false,
    banner: { js: `#!/usr/bin/env node\n${ESM_REQUIRE_BANNER}` },
  },
  handler('api', 'functions/handlers/http-api.ts', { engine: true }),
  handler('wait', 'functions/handlers/http-wait.ts', { engine: true }),
  handler('stream', 'functions/handlers/stream.ts', { engine: true }),
  handler('sweeper', 'functions/handlers/sweeper.ts', { engine: true }),
  // The console function (`console` prop): the construct ships it with dist/console beside it (lib/console.ts).
  handler('console', 'functions/handlers/console.ts'),
]);
