/**
 * Per-function bundle sizes, offline: synthesizes the app (esbuild bundles every function exactly as
 * `cdk synth` does), then reports each function's `index.mjs` (raw and gzip), its source map, and the packages
 * that weigh most in it.
 *
 *   npm run bundle-sizes            # table
 *   npm run bundle-sizes -- --json  # JSON
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { build } from 'esbuild';
import { HANDLER_ENTRIES, LAMBDA_BUNDLING } from '../lib/job-flow';
import type { JobxStack } from '../lib/jobx-stack';
import { buildApp } from './app';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The size of one function's bundle. */
export interface BundleSize {
  /** Construct path of the function. */
  function: string;
  /** Entry file, relative to the repository. */
  entry: string;
  /** Directory of the bundled asset in the cloud assembly. */
  assetDir: string;
  /** `index.mjs` bytes (what Lambda loads). */
  bytes: number;
  /** `index.mjs` gzip bytes (close to the zip Lambda receives). */
  gzipBytes: number;
  /** `index.mjs.map` bytes (shipped, read only for stack traces). */
  mapBytes: number;
  /** Packages (or `jobx` for this repository's code) by bytes in the output, largest first. */
  topPackages: Array<{ name: string; bytes: number }>;
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

/** What weighs most in a bundle: esbuild's metafile of the same entry with the same options. */
async function topPackages(entry: string): Promise<Array<{ name: string; bytes: number }>> {
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
    logLevel: 'silent',
  });
  const bytes = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) bytes.set(packageOf(input), (bytes.get(packageOf(input)) ?? 0) + bytesInOutput);
  }
  return [...bytes].map(([name, n]) => ({ name, bytes: n })).sort((a, b) => b.bytes - a.bytes).slice(0, 5);
}

/** Sizes of every function jobx bundled in a synthesized JobxStack. */
export async function bundleSizes(outdir: string, stack: JobxStack, opts: { packages?: boolean } = {}): Promise<BundleSize[]> {
  const flow = stack.jobFlow;
  const manifest = JSON.parse(readFileSync(path.join(outdir, `${stack.artifactId}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string; packaging?: string } }>;
  };
  const functions = [
    { fn: flow.apiFunction, entry: path.join(ROOT, HANDLER_ENTRIES.api) },
    { fn: flow.streamFunction, entry: path.join(ROOT, HANDLER_ENTRIES.stream) },
    { fn: flow.sweeperFunction, entry: path.join(ROOT, HANDLER_ENTRIES.sweeper) },
    ...[...flow.providers.values()].filter((p) => p.entry).map((p) => ({ fn: p.fn, entry: p.entry! })),
  ];
  const out: BundleSize[] = [];
  for (const { fn, entry } of functions) {
    const code = Stack.of(fn).resolve((fn.node.defaultChild as CfnFunction).code) as { s3Key: string };
    const hash = code.s3Key.replace(/\.zip$/, '');
    const source = manifest.files[hash]?.source.path;
    if (!source) throw new Error(`${fn.node.path}: no asset ${hash} in the assembly`);
    const assetDir = path.join(outdir, source);
    const js = readFileSync(path.join(assetDir, 'index.mjs'));
    out.push({
      function: fn.node.path,
      entry: path.relative(ROOT, entry),
      assetDir,
      bytes: js.length,
      gzipBytes: gzipSync(js, { level: 9 }).length,
      mapBytes: statSync(path.join(assetDir, 'index.mjs.map')).size,
      topPackages: opts.packages === false ? [] : await topPackages(entry),
    });
  }
  return out;
}

/** The console's built files (`npm run build:console` first, if it was not built), each with its gzip size. */
export function consoleSizes(): Array<{ file: string; bytes: number; gzipBytes: number }> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = path.join(root, 'dist', 'console');
  if (!existsSync(path.join(dir, 'index.html'))) execFileSync('npm', ['run', 'build:console'], { cwd: root, stdio: 'ignore' });
  const files = ['index.html', ...readdirSync(path.join(dir, 'assets')).map((f) => `assets/${f}`)];
  return files.map((file) => {
    const body = readFileSync(path.join(dir, file));
    return { file, bytes: body.length, gzipBytes: gzipSync(body).length };
  });
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

async function main(): Promise<void> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'jobx-bundles-'));
  try {
    const stack = synthesizeBundles(outdir);
    const sizes = await bundleSizes(outdir, stack);
    if (process.argv.includes('--json')) {
      console.log(JSON.stringify(sizes.map(({ assetDir: _dir, ...s }) => s), null, 2));
      return;
    }
    const rows = sizes.map((s) => [s.function.split('/').pop()!, s.entry, kb(s.bytes), kb(s.gzipBytes), kb(s.mapBytes), s.topPackages.map((p) => `${p.name} ${kb(p.bytes)}`).join(', ')]);
    const header = ['function', 'entry', 'index.mjs', 'gzip', 'map', 'largest packages'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [header, ...rows]) console.log(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
    console.log('');
    for (const c of consoleSizes()) console.log(`console ${c.file}  ${kb(c.bytes)}  gzip ${kb(c.gzipBytes)}`);
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
