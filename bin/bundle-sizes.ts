/**
 * Per-function bundle sizes and module load times, offline: synthesizes the app (esbuild bundles every function
 * exactly as `cdk synth` does) and bundles the console's handler as its construct does, then reports each
 * function's `index.mjs` (raw and gzip), its source map, the packages that weigh most in it, and its module load
 * time (`initMs`): the median over fresh Node processes of `await import(index.mjs)`, with `--enable-source-maps`
 * as the functions run (the construct sets it in `NODE_OPTIONS`). The console's built files follow.
 *
 *   npm run bundle-sizes                  # table
 *   npm run bundle-sizes -- --json        # { functions: [{ name, bytes, initMs, … }], console: [{ file, bytes, gzipBytes }] }
 *   npm run bundle-sizes -- --runs 9      # load each bundle 9 times (default 5)
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { build, type Metafile } from 'esbuild';
import { CONSOLE_HANDLER_ENTRY, HANDLER_ENTRIES, LAMBDA_BUNDLING } from '../lib/bundling';
import { consoleHandlerBuild } from '../lib/console';
import type { JobxStack } from '../lib/jobx-stack';
import { LAMBDA_DEFINES, engineAliases } from '../lib/lambda-aliases';
import { buildApp } from './app';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Bytes of one package (or `jobx` for this repository's code) in a bundle. */
export interface PackageBytes {
  name: string;
  bytes: number;
}

/** The size of one function's bundle. */
export interface BundleSize {
  /** Construct id of the function (`ApiFunction`, `demoProvider`, `ConsoleFunction`, …). */
  name: string;
  /** Construct path of the function. */
  function: string;
  /** Entry file, relative to the repository. */
  entry: string;
  /** Directory of the bundled asset (`index.mjs` and its map). */
  assetDir: string;
  /** `index.mjs` bytes (what Lambda loads). */
  bytes: number;
  /** `index.mjs` gzip bytes (close to the zip Lambda receives). */
  gzipBytes: number;
  /** `index.mjs.map` bytes (shipped, read at load with `--enable-source-maps`). */
  mapBytes: number;
  /** Every package in the bundle by bytes, largest first (esbuild's metafile of the same entry and options); empty when not asked for. */
  packages: PackageBytes[];
  /** Every module with code in the bundle (`node_modules/` and above trimmed), from the same metafile; empty when not asked for. */
  modules: string[];
}

/** What a bundle holds, from esbuild's metafile. */
interface Contents {
  packages: PackageBytes[];
  modules: string[];
}

/**
 * Synthesizes the app with bundling into `outdir` (cdk.json's feature flags, no credentials, no lookups).
 * CloudFormation's schema checks are skipped (`cdk synth` runs them): only the bundles matter here.
 */
export function synthesizeBundles(outdir: string): JobxStack {
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const { app, stack } = buildApp(new App({ outdir, context: { ...cdkJson.context }, builtinCloudFormationValidation: false }));
  app.synth();
  return stack;
}

function packageOf(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return 'jobx';
  const rest = input.slice(at + 'node_modules/'.length).split('/');
  return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
}

/** Bytes per package and the modules with code of the JavaScript output of a metafile. */
function contentsOf(metafile: Metafile): Contents {
  const bytes = new Map<string, number>();
  const modules: string[] = [];
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (file.endsWith('.map')) continue;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput === 0) continue;
      bytes.set(packageOf(input), (bytes.get(packageOf(input)) ?? 0) + bytesInOutput);
      modules.push(input.replace(/^.*node_modules\//, ''));
    }
  }
  return { packages: [...bytes].map(([name, n]) => ({ name, bytes: n })).sort((a, b) => b.bytes - a.bytes), modules };
}

/** What a bundle holds: esbuild's metafile of the same entry with the same options (engine entries with their stand-ins). */
async function contentsIn(entry: string): Promise<Contents> {
  const engine = (Object.values(HANDLER_ENTRIES) as string[]).includes(path.relative(ROOT, entry));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: LAMBDA_BUNDLING.target ?? 'node22',
    mainFields: LAMBDA_BUNDLING.mainFields ?? ['module', 'main'],
    define: { ...LAMBDA_DEFINES },
    ...(engine ? { alias: engineAliases(ROOT) } : {}),
    logLevel: 'silent',
  });
  return contentsOf(result.metafile);
}

function sizeOf(name: string, fnPath: string, entry: string, assetDir: string, contents: Contents): BundleSize {
  const js = readFileSync(path.join(assetDir, 'index.mjs'));
  return {
    name,
    function: fnPath,
    entry: path.relative(ROOT, entry),
    assetDir,
    bytes: js.length,
    gzipBytes: gzipSync(js, { level: 9 }).length,
    mapBytes: statSync(path.join(assetDir, 'index.mjs.map')).size,
    ...contents,
  };
}

/** Sizes of every function jobx bundled in a synthesized JobxStack. */
export async function bundleSizes(outdir: string, stack: JobxStack, opts: { packages?: boolean } = {}): Promise<BundleSize[]> {
  const flow = stack.jobFlow;
  const manifest = JSON.parse(readFileSync(path.join(outdir, `${stack.artifactId}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string; packaging?: string } }>;
  };
  const functions = [
    { fn: flow.apiFunction, entry: path.join(ROOT, HANDLER_ENTRIES.api) },
    { fn: flow.waitFunction, entry: path.join(ROOT, HANDLER_ENTRIES.wait) },
    { fn: flow.streamFunction, entry: path.join(ROOT, HANDLER_ENTRIES.stream) },
    { fn: flow.sweeperFunction, entry: path.join(ROOT, HANDLER_ENTRIES.sweeper) },
    ...[...flow.providers.values()].filter((p) => p.entry).map((p) => ({ fn: p.fn, entry: p.entry! })),
  ];
  const none: Contents = { packages: [], modules: [] };
  return Promise.all(
    functions.map(async ({ fn, entry }) => {
      const code = Stack.of(fn).resolve((fn.node.defaultChild as CfnFunction).code) as { s3Key: string };
      const hash = code.s3Key.replace(/\.zip$/, '');
      const source = manifest.files[hash]?.source.path;
      if (!source) throw new Error(`${fn.node.path}: no asset ${hash} in the assembly`);
      return sizeOf(fn.node.id, fn.node.path, entry, path.join(outdir, source), opts.packages === false ? none : await contentsIn(entry));
    }),
  );
}

/**
 * The console function's bundle (only deployed with the `console` prop), built into `outdir` with the options its
 * construct uses (`lib/console.ts`); its metafile says what it holds.
 */
export async function consoleHandlerSize(outdir: string): Promise<BundleSize> {
  const assetDir = path.join(outdir, 'console-handler');
  const result = await build({ ...consoleHandlerBuild(path.join(assetDir, 'index.mjs')), metafile: true });
  return sizeOf('ConsoleFunction', 'ConsoleFunction (console prop)', path.join(ROOT, CONSOLE_HANDLER_ENTRY), assetDir, contentsOf(result.metafile));
}

/** The environment a bundle is loaded in: what its module scope reads on Lambda (region, quiet SDK warnings). */
const LOAD_ENV = { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_DEV: 'true' };

/**
 * Module load time of a bundle: the median over `runs` fresh Node processes (nothing cached between them) of the
 * time `await import(file)` takes, with `--enable-source-maps` as on Lambda.
 */
export function initMs(file: string, runs = 5): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const stdout = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { encoding: 'utf8', env: LOAD_ENV, timeout: 60_000 });
    times.push(Number(stdout.trim().split('\n').pop()));
  }
  times.sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  const median = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return Math.round(median * 10) / 10;
}

/** The console's built files (`npm run build:console` first, if it was not built), each with its gzip size. */
export function consoleSizes(): Array<{ file: string; bytes: number; gzipBytes: number }> {
  const dir = path.join(ROOT, 'dist', 'console');
  if (!existsSync(path.join(dir, 'index.html'))) execFileSync('npm', ['run', 'build:console'], { cwd: ROOT, stdio: 'ignore' });
  const files = ['index.html', ...readdirSync(path.join(dir, 'assets')).map((f) => `assets/${f}`)];
  return files.map((file) => {
    const body = readFileSync(path.join(dir, file));
    return { file, bytes: body.length, gzipBytes: gzipSync(body).length };
  });
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

async function main(): Promise<void> {
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
  const outdir = mkdtempSync(path.join(tmpdir(), 'jobx-bundles-'));
  try {
    const stack = synthesizeBundles(outdir);
    const sizes = [...(await bundleSizes(outdir, stack)), await consoleHandlerSize(outdir)];
    const functions = sizes.map(({ assetDir, packages, modules: _modules, function: _path, ...s }) => ({
      ...s,
      initMs: initMs(path.join(assetDir, 'index.mjs'), runs),
      topPackages: packages.slice(0, 5),
    }));
    const files = consoleSizes();
    if (process.argv.includes('--json')) {
      console.log(JSON.stringify({ functions, console: files }, null, 2));
      return;
    }
    const rows = functions.map((s) => [s.name, s.entry, kb(s.bytes), kb(s.gzipBytes), kb(s.mapBytes), `${s.initMs.toFixed(1)} ms`, s.topPackages.map((p) => `${p.name} ${kb(p.bytes)}`).join(', ')]);
    const header = ['function', 'entry', 'index.mjs', 'gzip', 'map', 'initMs', 'largest packages'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [header, ...rows]) console.log(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
    console.log(`\ninitMs: median of ${runs} fresh \`node --enable-source-maps\` processes importing index.mjs (Node ${process.versions.node}; Lambda runs nodejs22.x)\n`);
    for (const c of files) console.log(`console ${c.file}  ${kb(c.bytes)}  gzip ${kb(c.gzipBytes)}`);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
