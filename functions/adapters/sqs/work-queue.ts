/** Provider queues on SQS: one queue per provider, a task message per attempt. @module */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { TaskMessage } from '../../core/model';
import type { WorkQueue } from '../../ports';

/** Where a provider's work goes. */
export interface ProviderQueue {
  queueUrl: string;
  queueArn: string;
}

/**
 * Provider name → queue, as configured in `JOBX_PROVIDERS`. A key `provider@executor` registers a deployment of
 * that provider as executor `executor`: tasks pinned to the executor (preLock) that use the provider go there.
 */
export type ProviderQueues = Record<string, ProviderQueue>;

/** SQS caps DelaySeconds at 15 minutes; longer waits go through the scheduler. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/** {@link WorkQueue} on SQS standard queues. */
export class SqsWorkQueue implements WorkQueue {
  constructor(private readonly opts: { client: SQSClient; providers: ProviderQueues; externalProviders?: ReadonlySet<string> }) {}

  hasProvider(provider: string): boolean {
    return Object.hasOwn(this.opts.providers, provider);
  }

  isExternal(provider: string): boolean {
    return this.opts.externalProviders?.has(provider) ?? false;
  }

  /** Queue of a provider; throws for an unknown one (the API refuses such jobs up front). */
  queueOf(provider: string): ProviderQueue {
    const queue = this.opts.providers[provider];
    if (!queue) throw new Error(`no queue for provider ${provider}`);
    return queue;
  }

  async send(message: TaskMessage, delaySeconds = 0): Promise<void> {
    const delay = Math.max(0, Math.min(MAX_QUEUE_DELAY_SECONDS, Math.ceil(delaySeconds)));
    await this.opts.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueOf(routeOf(message)).queueUrl,
        MessageBody: JSON.stringify(message),
        ...(delay > 0 ? { DelaySeconds: delay } : {}),
      }),
    );
  }
}

/** The `JOBX_PROVIDERS` key a message goes to: its provider, or the provider's deployment under its pinned executor. */
export function routeOf(message: Pick<TaskMessage, 'provider' | 'preLock'>): string {
  return message.preLock === undefined ? message.provider : `${message.provider}@${message.preLock}`;
}
