/**
 * The local SQS server's own thread (`sqs-server.ts` starts it): npm `local-aws-sqs` behind an HTTP server, with
 * SQS's long-poll semantics, on an event loop of its own. On AWS, SQS is another service: here it answers without
 * waiting for the functions' work on the stack's main thread (a send from the API or the stream, a receive of a
 * queue mapping), and the functions' work does not wait for its.
 *
 * Protocol with the starting thread: `workerData` is `{ port }`; the worker posts `{ port }` once listening or
 * `{ error }` if it cannot; on the message `'stop'` it closes every connection and the server, then exits.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { createRequestHandler } from 'local-aws-sqs';
import { LOCAL_REGION } from './client-config';

/** Account id in queue URLs/ARNs (local-aws-sqs's default; `LOCAL_SQS_ACCOUNT_ID` of `sqs-server.ts`). */
const ACCOUNT_ID = '123456789012';

/**
 * Creates the HTTP server ourselves around the library's request handler
 * instead of calling `createSqsServer`: that helper resolves on 'listening'
 * but never rejects, so a bind failure (port in use) would surface as an
 * unhandled 'error' event rather than a rejected promise.
 */
function listen(port: number, hostname: string, polls: LongPolls): Promise<Server> {
  const { service, requestHandler } = createRequestHandler({
    port,
    hostname,
    region: LOCAL_REGION,
    accountId: ACCOUNT_ID,
    emulateQueueCreationLifecycle: false,
  });
  const server = createServer((req, res) => {
    // Only a receive needs its queue's long polls wrapped (queues are created by earlier requests).
    if (isReceive(req)) for (const queue of service.Queues as LibraryQueue[]) polls.adopt(queue);
    const request: PollRequest = { closed: false };
    res.once('close', () => (request.closed = true));
    const sends = isSend(req);
    if (sends) answerOnceVisible(res);
    // The handler answers SQS errors itself; this only guards against a bug in
    // the library turning into an unhandled rejection that kills the process.
    polls.request
      .run(request, () => requestHandler(req, res))
      .then(() => {
        if (sends) polls.wake();
      })
      .catch((err: unknown) => {
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

/**
 * Holds a send's answer until the messages it sent are visible. local-aws-sqs marks a message delayed and clears
 * the mark on a zero timer set while it handles the send; a receive that came in before that timer fired (a
 * short poll right after the answer, or a second message sent just before a receive) would miss messages SQS
 * already shows. Ending the answer on a zero timer of ours, set after the library's, lets those run first.
 */
function answerOnceVisible(res: ServerResponse): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    setTimeout(() => end(...args), 0);
    return res;
  }) as ServerResponse['end'];
}

// ---------------------------------------------------------------------------------------------------------------
// Long polling as SQS does it
// ---------------------------------------------------------------------------------------------------------------

/** A queue of local-aws-sqs, as far as the long poll below uses it. */
interface LibraryQueue {
  QueueName: string;
  ReceiveMessageWaitTimeSeconds: number;
  receive(args: { VisibilityTimeout?: number; WaitTimeSeconds?: number; MaxNumberOfMessages?: number }): Promise<unknown[]>;
  getAttributes(names: string[]): Record<string, string> | undefined;
}

/** The HTTP request a receive answers: closed when its client went away (aborted, or the server stopped). */
interface PollRequest {
  closed: boolean;
}

/** How often a waiting long poll looks again without a send (a delay or a visibility timeout may have ended). */
const LONG_POLL_TICK_MS = 25;

/** A ReceiveMessage in the JSON protocol, or any request in the query protocol (its action is in the body). */
function isReceive(req: IncomingMessage): boolean {
  const target = req.headers['x-amz-target'];
  return typeof target !== 'string' || target.endsWith('.ReceiveMessage');
}

function isSend(req: IncomingMessage): boolean {
  const target = req.headers['x-amz-target'];
  return typeof target === 'string' && /\.SendMessage(Batch)?$/.test(target);
}

/**
 * ReceiveMessage with SQS's long-poll semantics. local-aws-sqs holds a long poll open until the batch is *full*
 * (or the wait is over), so a poll that asked for 10 messages and finds 1 answers only after `WaitTimeSeconds`;
 * SQS answers as soon as any message is available. Each queue's `receive` is wrapped: it waits (woken by every
 * send, and looking again every {@link LONG_POLL_TICK_MS} for delayed or returning messages) until messages are
 * available, then takes at most as many as are there, which the library hands over at once. A poll whose client
 * went away takes nothing.
 */
class LongPolls {
  readonly request = new AsyncLocalStorage<PollRequest>();
  private readonly adopted = new WeakSet<LibraryQueue>();
  private readonly waiters = new Set<() => void>();
  private stopped = false;

  /** Wraps a queue's receive (once). */
  adopt(queue: LibraryQueue): void {
    if (this.adopted.has(queue)) return;
    this.adopted.add(queue);
    const original = queue.receive.bind(queue);
    queue.receive = (args) => this.receive(queue, original, args);
  }

  /** A message was sent: every waiting poll looks again. */
  wake(): void {
    for (const wake of [...this.waiters]) wake();
  }

  stop(): void {
    this.stopped = true;
    this.wake();
  }

  private async receive(queue: LibraryQueue, original: LibraryQueue['receive'], args: Parameters<LibraryQueue['receive']>[0]): Promise<unknown[]> {
    const request = this.request.getStore();
    const max = Number(args.MaxNumberOfMessages ?? 1);
    const deadline = Date.now() + Number(args.WaitTimeSeconds ?? queue.ReceiveMessageWaitTimeSeconds ?? 0) * 1000;
    for (;;) {
      if (this.stopped || request?.closed) return [];
      const available = availableMessages(queue);
      if (available > 0) {
        // Never more than are there: the library answers at once only with a full batch.
        const got = await original({ ...args, WaitTimeSeconds: 0, MaxNumberOfMessages: Math.min(max, available) });
        if (got.length > 0 || Date.now() >= deadline) return got;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await this.sleep(Math.min(LONG_POLL_TICK_MS, left));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        // A message sent with no delay becomes visible on a zero timer of the library's: look after it.
        setTimeout(resolve, 0);
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}

/** Messages a receive could take now: neither delayed nor in flight. */
function availableMessages(queue: LibraryQueue): number {
  const a = queue.getAttributes(['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']) ?? {};
  // local-aws-sqs counts every message past its delay (in flight ones too) in ApproximateNumberOfMessages.
  return Number(a.ApproximateNumberOfMessages ?? 0) - Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
}

// ---------------------------------------------------------------------------------------------------------------
// The thread
// ---------------------------------------------------------------------------------------------------------------

const port = parentPort;
if (port) {
  const polls = new LongPolls();
  listen(Number((workerData as { port?: number } | undefined)?.port ?? 0), '127.0.0.1', polls).then(
    (server) => {
      const address = server.address();
      port.postMessage({ port: address !== null && typeof address === 'object' ? address.port : 0 });
      port.on('message', (message: unknown) => {
        if (message !== 'stop') return;
        polls.stop();
        // close() alone waits for idle keep-alive sockets and pending long polls.
        server.close(() => process.exit(0));
        server.closeAllConnections();
      });
    },
    (error: unknown) => port.postMessage({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
}
