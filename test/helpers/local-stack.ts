/**
 * Starts the local stack the way a user does (`tsx bin/local.ts`), in its own process, so a test can kill it
 * (even with SIGKILL) and start it again on the same data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { getFreePort } from '../../functions/local/free-port';
import { api } from './api';

export interface StackProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export interface StackProcessOptions {
  dataDir?: string;
  port?: number;
  env?: Record<string, string>;
}

const ROOT = join(import.meta.dirname, '..', '..');

// Data dirs handed out in this test file, removed once it is done. Registered at import, so it runs after the
// file's own afterAll hooks (vitest runs them last-in, first-out) have stopped the stacks that use the dirs.
const dataDirs: string[] = [];
afterAll(() => {
  // Retries: a JVM killed with SIGKILL may still be writing while its watchdog ends it.
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

/** A fresh temporary directory for `--data`, removed after the test file. */
export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobx-data-'));
  dataDirs.push(dir);
  return dir;
}

/** Starts `bin/local.ts` and waits until `/health` answers. */
export async function startStackProcess(opts: StackProcessOptions = {}): Promise<StackProcess> {
  const port = opts.port ?? (await getFreePort());
  const args = ['--import', 'tsx', 'bin/local.ts', '--port', String(port)];
  if (opts.dataDir) args.push('--data', opts.dataDir);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, JOBX_SWEEP_SECONDS: '2', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`local stack exited early (${child.exitCode}):\n${out}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`local stack did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url, port, child, output: () => out, stop: () => stopWith('SIGTERM'), kill: () => stopWith('SIGKILL') };
}

/**
 * One local stack for the test file: started in `beforeAll`, stopped in `afterAll`, with an API client bound to it.
 * @example
 * const { client } = useStack();
 */
export function useStack(opts: StackProcessOptions = {}): { client: ReturnType<typeof api>; stack: () => StackProcess } {
  let stack: StackProcess | undefined;
  beforeAll(async () => {
    stack = await startStackProcess(opts);
  });
  afterAll(async () => stack?.stop());
  const current = () => {
    if (!stack) throw new Error('the local stack has not started');
    return stack;
  };
  return { client: api(() => current().url), stack: current };
}
