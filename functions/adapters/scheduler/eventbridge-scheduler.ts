/** Long retry delays on EventBridge Scheduler: a one-time schedule that sends the task message to the provider's queue. @module */
import { ConflictException, CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { TaskMessage } from '../../core/model';
import type { RetryScheduler } from '../../ports';
import type { ProviderQueues } from '../sqs/work-queue';

/** Options of {@link EventBridgeRetryScheduler}. */
export interface EventBridgeRetrySchedulerOptions {
  client: SchedulerClient;
  groupName: string;
  /** Role the scheduler assumes to send to the provider queues. */
  roleArn: string;
  providers: ProviderQueues;
}

function atExpression(at: number): string {
  return `at(${new Date(at).toISOString().slice(0, 19)})`;
}

/** {@link RetryScheduler} on EventBridge Scheduler; schedules delete themselves after they fire. */
export class EventBridgeRetryScheduler implements RetryScheduler {
  constructor(private readonly opts: EventBridgeRetrySchedulerOptions) {}

  async scheduleAt(name: string, at: number, message: TaskMessage): Promise<void> {
    const queue = this.opts.providers[message.provider];
    if (!queue) throw new Error(`no queue for provider ${message.provider}`);
    try {
      await this.opts.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.opts.groupName,
          ScheduleExpression: atExpression(at),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: { Arn: queue.queueArn, RoleArn: this.opts.roleArn, Input: JSON.stringify(message) },
        }),
      );
    } catch (err) {
      // Same name = same attempt already scheduled (a replayed stream record).
      if (!(err instanceof ConflictException)) throw err;
    }
  }
}
