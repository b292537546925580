/**
 * Durable timers in a DynamoDB table, for the local stack: a timer survives a restart of the stack when its
 * DynamoDB Local keeps data. `LocalTimerLoop` delivers due timers to the provider queues.
 *
 * Behaves like the EventBridge scheduler adapter: a timer goes to the queue of the message's route
 * (`queueRouteOf`: `provider@executor` when pinned, through the work queue's `send`), an unknown route is refused
 * when the timer is set, and a second timer of the same name leaves the first one standing.
 * @module
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TaskMessage } from '../../core/model';
import { UnknownRouteError, queueRouteOf } from '../../core/routing';
import type { RetryScheduler, WorkQueue } from '../../ports';

/** Options of {@link TableRetryScheduler}. */
export interface TableRetrySchedulerOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Whether a queue route has a queue; when given, a timer for an unknown route is refused up front. */
  hasRoute?: (route: string) => boolean;
}

/** {@link RetryScheduler} that writes timers into a table. */
export class TableRetryScheduler implements RetryScheduler {
  constructor(private readonly opts: TableRetrySchedulerOptions) {}

  async scheduleAt(name: string, at: number, message: TaskMessage): Promise<void> {
    const route = queueRouteOf(message);
    if (this.opts.hasRoute && !this.opts.hasRoute(route)) throw new UnknownRouteError(route);
    try {
      await this.opts.client.send(
        new PutCommand({
          TableName: this.opts.tableName,
          Item: { name, at, route, message: JSON.stringify(message) },
          // EventBridge answers a second schedule of the same name with ConflictException: the first one stands.
          ConditionExpression: 'attribute_not_exists(#name)',
          ExpressionAttributeNames: { '#name': 'name' },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException')) throw err;
    }
  }

  /**
   * Delivers every timer that is due, then deletes it (delivery first: a crash in between only duplicates).
   * A timer that cannot be delivered stays for the next call and does not hold up the others.
   * @returns how many timers were delivered
   * @throws AggregateError after delivering the others, when some timers could not be delivered
   */
  async deliverDue(queue: WorkQueue, now: number): Promise<number> {
    let delivered = 0;
    const errors: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.opts.client.send(
        new ScanCommand({ TableName: this.opts.tableName, FilterExpression: '#at <= :now', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':now': now }, ExclusiveStartKey: start }),
      );
      for (const item of out.Items ?? []) {
        try {
          await queue.send(JSON.parse(String(item.message)) as TaskMessage);
          await this.opts.client.send(new DeleteCommand({ TableName: this.opts.tableName, Key: { name: item.name } }));
          delivered++;
        } catch (err) {
          errors.push(err);
        }
      }
      start = out.LastEvaluatedKey;
    } while (start);
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} timer(s) not delivered: ${errors.map((e) => (e as Error).message).join('; ')}`);
    return delivered;
  }
}
