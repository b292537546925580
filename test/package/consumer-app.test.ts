/**
 * The published package as a user gets it (issue 10, "an installable package"): `npm pack`, then a project
 * outside this repository laid out by `cdk init app --language typescript` (CommonJS, ts-node) installs the
 * tarball offline, type-checks against its declarations, synthesizes jobx in one stack with its own provider in
 * another under cdk-nag, runs the packaged CLI's local stack, and uses the SDK from plain ESM and CommonJS.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../../functions/local/free-port';
import { REPO, cdkSynth, createConsumerApp, packJobx, tarballFiles } from './support/consumer';

const FIXTURE = path.join(REPO, 'test/package/fixtures/consumer-app');
const APP = 'consumer-app';

let dir: string;
let tarball: string;
let app: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'jobx-consumer-'));
  tarball = packJobx(dir);
  app = createConsumerApp(dir, APP, FIXTURE, tarball, ['@types/node', 'aws-cdk', 'cdk-nag', 'esbuild', 'ts-node', 'typescript']);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds built ESM and CommonJS with declarations, the CLI, the prebuilt handlers, license and changelog, and no dev-only files', () => {
    const files = tarballFiles(tarball);
    for (const entry of ['sdk', 'provider', 'construct']) {
      for (const ext of ['mjs', 'cjs', 'd.ts', 'd.cts']) expect(files).toContain(`dist/${entry}.${ext}`);
    }
    for (const f of ['dist/cli.mjs', 'dist/handlers/api/index.mjs', 'dist/handlers/stream/index.mjs', 'dist/handlers/sweeper/index.mjs', 'dist/handlers/console/index.mjs', 'dist/console/index.html', 'package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(test|bench|functions|lib|bin|\.ci|scratch)\/|^(tsconfig|vitest\.config|tsup\.config|cdk)\b/.test(f))).toEqual([]);
  });

  it('imports nothing at run time that it does not declare (dependencies or peers)', () => {
    const pkg = JSON.parse(readFileSync(path.join(app, 'node_modules/jobx/package.json'), 'utf8')) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const undeclared = new Set<string>();
    for (const f of ['sdk.mjs', 'sdk.cjs', 'provider.mjs', 'provider.cjs', 'construct.mjs', 'construct.cjs', 'cli.mjs']) {
      const code = readFileSync(path.join(app, 'node_modules/jobx/dist', f), 'utf8');
      for (const m of code.matchAll(/(?:from\s*|import\(\s*|require\(\s*)["']([^"'./][^"']*)["']/g)) {
        const spec = m[1]!;
        if (spec.startsWith('node:') || !PACKAGE_SPEC.test(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!declared.has(name) && !BUILTINS.has(name)) undeclared.add(`${f}: ${spec}`);
      }
    }
    expect([...undeclared]).toEqual([]);
  });
});

describe("a user's CDK app (cdk init layout, CommonJS, ts-node) with the tarball installed offline", () => {
  it('type-checks against the declarations (construct, provider helper, SDK)', () => {
    expect(() => execFileSync('npx', ['--offline', 'tsc', '--noEmit', '-p', '.'], { cwd: app, encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  }, 120_000);

  it('synthesizes jobx in one stack and its own provider in another, cdk-nag AwsSolutions clean, no dependency cycle', () => {
    cdkSynth(app);
    const jobs = template('Jobs');
    const orders = template('Orders');
    const fns = (t: Template) => Object.values(t.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    // jobx's own functions (API, result waits, stream, sweeper) come prebuilt from the package: no bundler needed
    // in the app for them.
    expect(fns(jobs).map((f) => f.Properties.Handler)).toEqual(['index.handler', 'index.handler', 'index.handler', 'index.handler']);
    // The provider, its queues (unpinned and executor eu-1) and their mappings live in the app's stack; jobx's
    // stack names none of them (it depends on nothing).
    expect(Object.values(orders.Resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')).toHaveLength(2);
    expect(Object.values(orders.Resources).filter((r) => r.Type === 'AWS::SQS::Queue')).toHaveLength(4);
    expect(JSON.stringify(jobs)).not.toContain('Fn::ImportValue');
    expect(JSON.stringify(jobs)).not.toContain('Fn::GetStackOutput');
    // The caller's role gets jobx's access policies (submit, read), not wildcard statements of its own.
    const caller = Object.entries(orders.Resources).find(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('OrdersCaller'))![1];
    expect((caller.Properties as { ManagedPolicyArns: unknown[] }).ManagedPolicyArns).toHaveLength(2);
  }, 180_000);
});

describe('the packaged CLI and SDK', () => {
  it("`jobx dev --providers` from the package runs the app's own provider beside the examples; plain ESM and CommonJS scripts submit jobs to it and see them succeed", async () => {
    const port = await getFreePort();
    const child = spawn(path.join(app, 'node_modules/.bin/jobx'), ['dev', '--port', String(port), '--providers', 'lambda/orders.ts'], { cwd: app, env: { ...process.env, JOBX_SWEEP_SECONDS: '5' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${url}/health`).catch(() => undefined))?.ok === true, 90_000, () => out);
      const env = { ...process.env, JOBX_URL: url };
      expect(out).toMatch(/providers: .*orders \(lambda\/orders\.ts\)/);
      // The packaged CLI serves the console it ships, at the URL it prints.
      expect(out).toContain(`console:    ${url}/console`);
      const page = await fetch(`${url}/console/jobs/anything`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="app">');
      const esm = JSON.parse(execFileSync(process.execPath, ['scripts/sdk-esm.mjs'], { cwd: app, env, encoding: 'utf8' })) as { status: string; output: { total?: number } };
      expect(esm).toMatchObject({ status: 'succeeded', output: { total: 50 } });
      const cjs = JSON.parse(execFileSync(process.execPath, ['scripts/sdk-cjs.cjs'], { cwd: app, env, encoding: 'utf8' })) as { status: string; finished: boolean };
      expect(cjs).toMatchObject({ status: 'succeeded', finished: true });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 180_000);
});

/** A bare module specifier (a package name, possibly with a subpath); code text that only looks like an import is not one. */
const PACKAGE_SPEC = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*(\/[A-Za-z0-9._/-]+)?$/;

// Node's own modules, which the bundler may name without `node:`.
const BUILTINS = new Set(builtinModules);

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> & { Handler?: string } }>;
}

function template(stack: string): Template {
  return JSON.parse(readFileSync(path.join(app, 'cdk.out', `${stack}.template.json`), 'utf8')) as Template;
}

async function waitFor(check: () => Promise<boolean>, ms: number, output: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out; output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
