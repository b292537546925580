/**
 * The local stack's SQS: npm `local-aws-sqs` in a thread of its own (`sqs-server-worker.ts`), reached over HTTP
 * like SQS. @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LOCAL_REGION } from './client-config';

/** Options for {@link startSqsServer}. */
export interface SqsServerOptions {
  /** TCP port on 127.0.0.1. Default: a free port chosen by the OS. */
  port?: number;
}

/** A running SQS emulator (in a thread of this process). */
export interface SqsServerHandle {
  /** Base URL for `SQSClient`, e.g. `http://127.0.0.1:54321`. Queue URLs share this host and port. */
  endpoint: string;
  /** The TCP port from {@link SqsServerHandle.endpoint}. */
  port: number;
  /** Closes the listener and all open (keep-alive / long-poll) connections. Idempotent. Queues are lost. */
  stop(): Promise<void>;
}

/** Account id in queue URLs/ARNs: `arn:aws:sqs:us-east-1:123456789012:<name>` (local-aws-sqs's default). */
export const LOCAL_SQS_ACCOUNT_ID = '123456789012';

/**
 * Builds the ARN the local SQS server assigns to a queue, e.g. for a RedrivePolicy
 * `deadLetterTargetArn` or an event source mapping's `eventSourceARN`.
 *
 * @param queueName - The queue's name (last path segment of its URL).
 */
export function localQueueArn(queueName: string): string {
  return `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_SQS_ACCOUNT_ID}:${queueName}`;
}

/**
 * Starts an in-memory SQS emulator (npm `local-aws-sqs`) in a worker thread of this process, speaking both the
 * JSON protocol used by `@aws-sdk/client-sqs` v3 and the legacy Query protocol, with SQS's long-poll semantics.
 * Its own thread, as SQS is its own service on AWS: its answers never wait for the functions' work on this
 * thread, and theirs never wait for its (one HTTP round trip to a server on the same event loop cost about twice
 * what one to DynamoDB Local costs under load).
 *
 * Listens on 127.0.0.1 only (never on all interfaces). Without a port, port 0 is requested so the OS assigns a
 * free one atomically (no probe/bind race); the library reads the bound port back for its queue URLs. Queue
 * deletion is not throttled (`emulateQueueCreationLifecycle: false`): AWS's 60-second "wait before re-creating a
 * deleted queue" rule only slows tests down.
 *
 * @param opts - See {@link SqsServerOptions}.
 * @returns A handle with the endpoint and `stop()`; rejects when the server cannot listen (the port in use).
 */
export async function startSqsServer(opts: SqsServerOptions = {}): Promise<SqsServerHandle> {
  const worker = startWorker(opts.port ?? 0);
  const port = await new Promise<number>((resolve, reject) => {
    const fail = (error: Error) => reject(error);
    worker.once('error', fail);
    worker.once('exit', (code) => reject(new Error(`the SQS server thread exited (${code}) before it listened`)));
    worker.once('message', (message: { port?: number; error?: string }) => {
      worker.removeListener('error', fail);
      worker.removeAllListeners('exit');
      if (message.port) resolve(message.port);
      else {
        void worker.terminate();
        reject(new Error(`startSqsServer: ${message.error ?? 'the server did not start'}`));
      }
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        // The thread closes its connections and server, then exits; a thread that does not is ended.
        const timer = setTimeout(() => void worker.terminate(), 5_000);
        worker.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        worker.postMessage('stop');
      })),
  };
}

/**
 * The server's thread: the built file beside this module in the published package (`dist/`, see
 * `tsup.config.ts`), else its TypeScript source through tsx (a dependency: the CLI runs TypeScript providers too).
 */
function startWorker(port: number): Worker {
  const built = new URL('./sqs-server-worker.mjs', import.meta.url);
  if (built.protocol === 'file:' && existsSync(fileURLToPath(built))) return new Worker(built, { workerData: { port } });
  const source = new URL('./sqs-server-worker.ts', import.meta.url).href;
  const script = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(script, { eval: true, workerData: { port } });
}
