/** Provider queues on SQS: one queue per provider, a task message per attempt. @module */
import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { TaskMessage } from '../../core/model';
import { MAX_QUEUE_DELAY_SECONDS, UnknownRouteError, declaredInboxes, queueRouteOf } from '../../core/routing';
import type { WorkQueue } from '../../ports';
import type { RouteQueue } from '../../core/topology';

export { MAX_QUEUE_DELAY_SECONDS } from '../../core/routing';

/** Where a provider's work goes. */
export type ProviderQueue = RouteQueue;

/**
 * Route → queue (`core/topology.ts`, from `JOBX_ROUTES`). A route `provider@executor` is a deployment of that
 * provider as executor `executor`: tasks pinned to the executor (preLock) that use the provider go there.
 */
export type ProviderQueues = Record<string, ProviderQueue>;

/** Options of {@link ProviderRoutes}: the route → queue map, the providers external workers serve, task limits. */
export interface ProviderRoutesOptions {
  providers: ProviderQueues;
  externalProviders?: ReadonlySet<string>;
  maxTaskSeconds?: Readonly<Record<string, number | undefined>>;
}

/**
 * What a deployment routes where (everything in {@link WorkQueue} but sending), with no SQS client: the API function
 * checks submissions against it and sends nothing (the stream and the sweeper dispatch), so its bundle carries none.
 */
export class ProviderRoutes {
  constructor(protected readonly opts: ProviderRoutesOptions) {}

  maxTaskSeconds(route: string): number | undefined {
    return Object.hasOwn(this.opts.maxTaskSeconds ?? {}, route) ? this.opts.maxTaskSeconds![route] : undefined;
  }

  hasProvider(provider: string): boolean {
    return Object.hasOwn(this.opts.providers, provider);
  }

  isExternal(provider: string): boolean {
    return this.opts.externalProviders?.has(provider) ?? false;
  }

  declaredInboxes(): string[] {
    return declaredInboxes(Object.keys(this.opts.providers), this.opts.externalProviders ?? []);
  }

  /** Queue of a route; throws {@link UnknownRouteError} for an unknown one (the API refuses such jobs up front). */
  queueOf(route: string): ProviderQueue {
    return queueOfRoute(this.opts.providers, route);
  }
}

/** Entries SQS takes in one SendMessageBatch. */
const BATCH_ENTRIES = 10;

/**
 * Bytes of message bodies one SendMessageBatch carries at most: SQS's limit on a batch was 256 KiB before it
 * became 1 MiB, and a batch is billed per 64 KiB chunk either way, so nothing is saved by filling more.
 */
const BATCH_BYTES = 256 * 1024;

/** Messages of one queue split into batches SQS takes (a body too large to share a batch goes alone). */
export function batchesOf(bodies: readonly string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body, 'utf8');
    if (current.length === BATCH_ENTRIES || (current.length > 0 && bytes + size > BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length) batches.push(current);
  return batches;
}

/** {@link WorkQueue} on SQS standard queues. */
export class SqsWorkQueue extends ProviderRoutes implements WorkQueue {
  private readonly client: SQSClient;

  constructor(opts: ProviderRoutesOptions & { client: SQSClient }) {
    super(opts);
    this.client = opts.client;
  }

  async send(message: TaskMessage, delaySeconds = 0): Promise<void> {
    const delay = Math.max(0, Math.min(MAX_QUEUE_DELAY_SECONDS, Math.ceil(delaySeconds)));
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueOf(queueRouteOf(message)).queueUrl,
        MessageBody: JSON.stringify(message),
        ...(delay > 0 ? { DelaySeconds: delay } : {}),
      }),
    );
  }

  async waiting(route: string): Promise<number> {
    const out = await this.client.send(new GetQueueAttributesCommand({ QueueUrl: this.queueOf(route).queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
  }

  async sendMany(messages: readonly TaskMessage[]): Promise<void> {
    const byQueue = new Map<string, string[]>();
    for (const message of messages) {
      const url = this.queueOf(queueRouteOf(message)).queueUrl;
      const bodies = byQueue.get(url);
      if (bodies) bodies.push(JSON.stringify(message));
      else byQueue.set(url, [JSON.stringify(message)]);
    }
    for (const [url, bodies] of byQueue) {
      for (const batch of batchesOf(bodies)) {
        if (batch.length === 1) {
          await this.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: batch[0]! }));
          continue;
        }
        const out = await this.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: batch.map((body, i) => ({ Id: String(i), MessageBody: body })) }));
        // A batch answers 200 with the entries it could not take: each is sent once more on its own (throws if not).
        for (const failed of out.Failed ?? []) await this.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: batch[Number(failed.Id)]! }));
      }
    }
  }
}

/**
 * The route a message goes to: its provider, or the provider's deployment under its pinned executor.
 * The same function as {@link queueRouteOf} (kept under this name for its importers).
 */
export const routeOf = queueRouteOf;

/**
 * The queue of a route (`provider` or `provider@executor`) in a route → queue map. Shared by the work queue and
 * the scheduler, so a message scheduled for later lands on the queue it would have been sent to now.
 * @throws UnknownRouteError when the route has no queue
 */
export function queueOfRoute(providers: ProviderQueues, route: string): ProviderQueue {
  // hasOwn: a route named like an Object.prototype member ("constructor") is not a queue.
  if (!Object.hasOwn(providers, route)) throw new UnknownRouteError(route);
  return providers[route]!;
}
