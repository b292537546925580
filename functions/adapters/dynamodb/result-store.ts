/** The result table: one row per finished root job, read by sync waits. @module */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobResult } from '../../core/model';
import type { ResultStore } from '../../ports';

/**
 * A result row is written only over an earlier run, or over the marker a manual action left for this run:
 * a replayed record of an outcome from before a retry, skip or discard never overwrites the newer answer.
 */
export const RESULT_NOT_NEWER = 'attribute_not_exists(jobId) OR attribute_not_exists(#run) OR #run < :run OR (#run = :run AND #status = :running)';

/** Result rows expire after this many days (DynamoDB TTL on `expiresAt`). */
export const RESULT_TTL_DAYS = 30;

/** {@link ResultStore} on a DynamoDB table keyed by `jobId`. */
export class DynamoResultStore implements ResultStore {
  constructor(private readonly opts: { client: DynamoDBDocumentClient; tableName: string }) {}

  async put(result: JobResult): Promise<boolean> {
    const expiresAt = Math.floor(Date.now() / 1000) + RESULT_TTL_DAYS * 86400;
    try {
      await this.opts.client.send(
        new PutCommand({
          TableName: this.opts.tableName,
          Item: { ...result, run: result.run ?? 0, expiresAt },
          ConditionExpression: RESULT_NOT_NEWER,
          ExpressionAttributeNames: { '#run': 'run', '#status': 'status' },
          ExpressionAttributeValues: { ':run': result.run ?? 0, ':running': 'running' },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async get(jobId: string): Promise<JobResult | undefined> {
    const out = await this.opts.client.send(new GetCommand({ TableName: this.opts.tableName, Key: { jobId }, ConsistentRead: true }));
    // A `running` row is the marker a manual action left: the job has no answer yet.
    if (!out.Item || out.Item.status === 'running') return undefined;
    const { expiresAt: _ignored, run: _run, ...result } = out.Item;
    return result as JobResult;
  }
}
