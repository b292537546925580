/**
 * Builds a user's project outside this repository, offline: packs jobx as `npm pack` does, lays the project out
 * with `cdk init --generate-only` (the stock TypeScript app, CommonJS), and installs it with `npm ci --offline`
 * from a lock file made of this repository's own (every package is in the npm cache after `npm ci` here; the
 * repository's lock records no download addresses, so they are filled in from the registry's layout).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Root of this repository. */
export const REPO = path.resolve(import.meta.dirname, '../../..');

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  inBundle?: boolean;
  link?: boolean;
  [key: string]: unknown;
}

interface Lock {
  packages: Record<string, LockEntry>;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** `npm pack` of this repository into `dir/pack` (runs the build through `prepack`); the tarball's path. */
export function packJobx(dir: string): string {
  // The tarball is found in its own fresh directory rather than parsed from `--json` output: `prepack` prints the
  // build's own output to the same stdout, and what it prints (brackets included) differs between machines.
  const into = path.join(dir, 'pack');
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  run('npm', ['pack', '--pack-destination', into], REPO);
  const tarballs = readdirSync(into).filter((f) => f.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.length} tarballs in ${into}: ${tarballs.join(', ')}`);
  return path.join(into, tarballs[0]!);
}

/** The files a tarball holds (`package/…` stripped). */
export function tarballFiles(tarball: string): string[] {
  return run('tar', ['-tzf', tarball], path.dirname(tarball))
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
}

function repoLock(): Lock {
  return JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as Lock;
}

/** The version this repository's lock pins for `name`. */
export function lockedVersion(name: string): string {
  const v = repoLock().packages[`node_modules/${name}`]?.version;
  if (!v) throw new Error(`${name} is not in package-lock.json`);
  return v;
}

/**
 * Creates the app with `cdk init app --language typescript --generate-only` in `dir/<name>`, replaces its
 * sources with `fixture`'s, pins its dependencies to what is cached, adds jobx from `tarball`, and installs
 * everything offline. Returns the app's directory.
 */
export function createConsumerApp(dir: string, name: string, fixture: string, tarball: string, devDependencies: string[]): string {
  const app = path.join(dir, name);
  rmSync(app, { recursive: true, force: true });
  mkdirSync(app, { recursive: true });
  run(path.join(REPO, 'node_modules/.bin/cdk'), ['init', 'app', '--language', 'typescript', '--generate-only'], app);
  // The template's jest setup is not in the npm cache; the test does not need it.
  for (const f of ['jest.config.js', 'test']) rmSync(path.join(app, f), { recursive: true, force: true });
  for (const f of readdirSync(path.join(app, 'lib'))) rmSync(path.join(app, 'lib', f));
  for (const f of readdirSync(path.join(app, 'bin'))) rmSync(path.join(app, 'bin', f));
  cpSync(fixture, app, { recursive: true });

  const pkgPath = path.join(app, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { name: string; version: string; scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };
  pkg.devDependencies = Object.fromEntries(devDependencies.map((d) => [d, lockedVersion(d)]));
  pkg.dependencies = { 'aws-cdk-lib': lockedVersion('aws-cdk-lib'), constructs: lockedVersion('constructs'), jobx: `file:${path.relative(app, tarball)}` };
  delete pkg.scripts.test;
  writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));

  // The template's app runs with tsx; the layout the issue names (and older `cdk init`) runs ts-node, CommonJS.
  const cdkJsonPath = path.join(app, 'cdk.json');
  const cdkJson = JSON.parse(readFileSync(cdkJsonPath, 'utf8')) as { app: string };
  cdkJson.app = `npx ts-node --prefer-ts-exts bin/${name}.ts`;
  writeFileSync(cdkJsonPath, JSON.stringify(cdkJson, null, 2));
  const tsconfigPath = path.join(app, 'tsconfig.json');
  const tsconfig = JSON.parse(readFileSync(tsconfigPath, 'utf8')) as { compilerOptions: Record<string, unknown> };
  tsconfig.compilerOptions.types = ['node'];
  delete tsconfig.compilerOptions.noEmit;
  writeFileSync(tsconfigPath, JSON.stringify(tsconfig, null, 2));

  writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(consumerLock(pkg, tarball), null, 2));
  run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
  return app;
}

/** A lock for the app: this repository's packages (addresses filled in) plus jobx from its tarball. */
function consumerLock(pkg: { name: string; version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> }, tarball: string) {
  const jobx = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
  const packages: Record<string, LockEntry> = { '': { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies, devDependencies: pkg.devDependencies } };
  for (const [key, entry] of Object.entries(repoLock().packages)) {
    if (!key) continue;
    const e = { ...entry };
    if (!e.resolved && !e.inBundle && !e.link && e.version) {
      const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
      e.resolved = `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${e.version}.tgz`;
    }
    packages[key] = e;
  }
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  packages['node_modules/jobx'] = {
    version: jobx.version as string,
    resolved: pkg.dependencies.jobx,
    integrity,
    dependencies: jobx.dependencies,
    peerDependencies: jobx.peerDependencies,
    peerDependenciesMeta: jobx.peerDependenciesMeta,
    bin: jobx.bin,
  };
  return { name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages };
}

/** `npx cdk synth` in the app, offline; stdout and stderr together. */
export function cdkSynth(app: string): string {
  try {
    return run('npx', ['--offline', 'cdk', 'synth', '--quiet', '--no-notices', '--no-version-reporting'], app, { CDK_DISABLE_CLI_TELEMETRY: 'true' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`cdk synth failed:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`);
  }
}
