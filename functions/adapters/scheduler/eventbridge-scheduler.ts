/** Long retry delays on EventBridge Scheduler: a one-time schedule that sends the task message to the provider's queue. @module */
import { ConflictException, CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { TaskMessage } from '../../core/model';
import { queueRouteOf } from '../../core/routing';
import type { RetryScheduler } from '../../ports';
import { queueOfRoute, type ProviderQueues } from '../sqs/work-queue';

/** Options of {@link EventBridgeRetryScheduler}. */
export interface EventBridgeRetrySchedulerOptions {
  client: SchedulerClient;
  groupName: string;
  /** Role the scheduler assumes to send to the provider queues. */
  roleArn: string;
  /** Queue for retries the scheduler could not deliver (after its own retries): alarmed, and repaired by the sweeper. */
  deadLetterArn?: string;
  providers: ProviderQueues;
}

/** Scheduler's one-time expression, in whole seconds: rounded up, so a message never fires before its due time. */
function atExpression(at: number): string {
  return `at(${new Date(Math.ceil(at / 1000) * 1000).toISOString().slice(0, 19)})`;
}

function isConflict(err: unknown): boolean {
  return err instanceof ConflictException || (err as { name?: unknown } | null)?.name === 'ConflictException';
}

/** {@link RetryScheduler} on EventBridge Scheduler; schedules delete themselves after they fire. */
export class EventBridgeRetryScheduler implements RetryScheduler {
  constructor(private readonly opts: EventBridgeRetrySchedulerOptions) {}

  /**
   * Creates the one-time schedule `name` that sends `message` at `at` to the queue of its route (`provider`, or
   * `provider@executor` when pinned): the same queue the work queue would send it to now.
   * @throws UnknownRouteError when the message's route has no queue
   */
  async scheduleAt(name: string, at: number, message: TaskMessage): Promise<void> {
    const queue = queueOfRoute(this.opts.providers, queueRouteOf(message));
    try {
      await this.opts.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.opts.groupName,
          ScheduleExpression: atExpression(at),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: queue.queueArn,
            RoleArn: this.opts.roleArn,
            Input: JSON.stringify(message),
            ...(this.opts.deadLetterArn ? { DeadLetterConfig: { Arn: this.opts.deadLetterArn } } : {}),
          },
        }),
      );
    } catch (err) {
      // Same name = same attempt already scheduled (a replayed stream record, or the sweeper repeating it).
      if (!isConflict(err)) throw err;
    }
  }
}
