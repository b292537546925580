import { createServer, type Server } from 'node:http';
import { createRequestHandler } from 'local-aws-sqs';
import { LOCAL_REGION } from './client-config';

/** Options for {@link startSqsServer}. */
export interface SqsServerOptions {
  /** TCP port on 127.0.0.1. Default: a free port chosen by the OS. */
  port?: number;
}

/** A running in-process SQS emulator. */
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
 * Starts an in-memory SQS emulator (npm `local-aws-sqs`) in this process,
 * speaking both the JSON protocol used by `@aws-sdk/client-sqs` v3 and the
 * legacy Query protocol.
 *
 * Listens on 127.0.0.1 only (never on all interfaces). Without a port, port 0
 * is requested so the OS assigns a free one atomically (no probe/bind race);
 * the library reads the bound port back for its queue URLs. Queue deletion is
 * not throttled (`emulateQueueCreationLifecycle: false`): AWS's 60-second
 * "wait before re-creating a deleted queue" rule only slows tests down.
 *
 * @param opts - See {@link SqsServerOptions}.
 * @returns A handle with the endpoint and `stop()`.
 */
export async function startSqsServer(opts: SqsServerOptions = {}): Promise<SqsServerHandle> {
  const hostname = '127.0.0.1';
  const server: Server = await listen(opts.port ?? 0, hostname);
  const address = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new Error('startSqsServer: server has no TCP address');
  }
  const { port } = address;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${hostname}:${port}`,
    port,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // close() alone waits for idle keep-alive sockets and pending long polls.
        server.closeAllConnections();
      })),
  };
}

/**
 * Creates the HTTP server ourselves around the library's request handler
 * instead of calling `createSqsServer`: that helper resolves on 'listening'
 * but never rejects, so a bind failure (port in use) would surface as an
 * unhandled 'error' event rather than a rejected promise.
 */
function listen(port: number, hostname: string): Promise<Server> {
  const { service, requestHandler } = createRequestHandler({
    port,
    hostname,
    region: LOCAL_REGION,
    accountId: LOCAL_SQS_ACCOUNT_ID,
    emulateQueueCreationLifecycle: false,
  });
  const server = createServer((req, res) => {
    // The handler answers SQS errors itself; this only guards against a bug in
    // the library turning into an unhandled rejection that kills the process.
    requestHandler(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.statusCode = 500;
      res.end(String(err));
    });
  });
  return new Promise<Server>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.removeListener('error', reject);
      const address = server.address();
      // Queue URLs are built from service.PORT; with port 0 it must be the bound port.
      if (address !== null && typeof address === 'object') service.PORT = address.port;
      resolve(server);
    });
  });
}
