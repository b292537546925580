/**
 * The real bundles, once: `cdk synth` with esbuild (ESM, minified, source maps), then every function's
 * `index.mjs` is loaded by a plain Node process, as the Lambda runtime loads it, and must export `handler`.
 * This is what proves the ESM output and its `require` banner work (CommonJS dependencies inside an ESM bundle).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSizes, synthesizeBundles, type BundleSize } from '../../bin/bundle-sizes';
import { HANDLER_ENTRIES } from '../../lib/job-flow';
import { EXAMPLE_PROVIDERS } from '../../lib/jobx-stack';

/** Raw size above which a bundle needs a look (cold starts grow with it). */
const BUDGET_BYTES = 1.5 * 1024 * 1024;

let outdir: string;
let sizes: BundleSize[];

beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), 'jobx-bundle-test-'));
  const stack = synthesizeBundles(outdir);
  sizes = await bundleSizes(outdir, stack, { packages: false });
}, 180_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('Lambda bundles', () => {
  it('every function is bundled: index.mjs with its source map, within the size budget', () => {
    expect(sizes.map((s) => s.entry).sort()).toEqual([...Object.values(HANDLER_ENTRIES), ...Object.values(EXAMPLE_PROVIDERS)].sort());
    for (const s of sizes) {
      expect(s.bytes, s.function).toBeGreaterThan(1000);
      expect(s.bytes, `${s.function}: ${s.bytes} bytes`).toBeLessThan(BUDGET_BYTES);
      expect(s.mapBytes, s.function).toBeGreaterThan(0);
    }
  });

  it('every bundle loads as an ES module in Node and exports handler', () => {
    const urls = sizes.map((s) => pathToFileURL(path.join(s.assetDir, 'index.mjs')).href);
    const script = `const out = {}; for (const u of ${JSON.stringify(urls)}) { const m = await import(u); out[u] = typeof m.handler; } console.log(JSON.stringify(out));`;
    const stdout = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_DEV: 'true' },
      timeout: 60_000,
    });
    const loaded = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, string>;
    for (const u of urls) expect(loaded[u], u).toBe('function');
  });
});
