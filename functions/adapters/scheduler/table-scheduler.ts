/**
 * Durable timers in a DynamoDB table, for the local stack: a timer survives a restart of the stack when its
 * DynamoDB Local keeps data. `LocalTimerLoop` delivers due timers to the provider queues.
 * @module
 */
import { DeleteCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TaskMessage } from '../../core/model';
import type { RetryScheduler, WorkQueue } from '../../ports';

/** {@link RetryScheduler} that writes timers into a table. */
export class TableRetryScheduler implements RetryScheduler {
  constructor(private readonly opts: { client: DynamoDBDocumentClient; tableName: string }) {}

  async scheduleAt(name: string, at: number, message: TaskMessage): Promise<void> {
    await this.opts.client.send(new PutCommand({ TableName: this.opts.tableName, Item: { name, at, message: JSON.stringify(message) } }));
  }

  /** Delivers every timer that is due, then deletes it (delivery first: a crash in between only duplicates). */
  async deliverDue(queue: WorkQueue, now: number): Promise<number> {
    let delivered = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.opts.client.send(
        new ScanCommand({ TableName: this.opts.tableName, FilterExpression: '#at <= :now', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':now': now }, ExclusiveStartKey: start }),
      );
      for (const item of out.Items ?? []) {
        await queue.send(JSON.parse(String(item.message)) as TaskMessage);
        await this.opts.client.send(new DeleteCommand({ TableName: this.opts.tableName, Key: { name: item.name } }));
        delivered++;
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return delivered;
  }
}
