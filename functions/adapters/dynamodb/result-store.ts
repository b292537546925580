/** The result table: one row per finished root job, read by sync waits. @module */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobResult } from '../../core/model';
import type { ResultStore } from '../../ports';

/** Result rows expire after this many days (DynamoDB TTL on `expiresAt`). */
export const RESULT_TTL_DAYS = 30;

/** {@link ResultStore} on a DynamoDB table keyed by `jobId`. */
export class DynamoResultStore implements ResultStore {
  constructor(private readonly opts: { client: DynamoDBDocumentClient; tableName: string }) {}

  async put(result: JobResult): Promise<void> {
    const expiresAt = Math.floor(Date.now() / 1000) + RESULT_TTL_DAYS * 86400;
    await this.opts.client.send(new PutCommand({ TableName: this.opts.tableName, Item: { ...result, expiresAt } }));
  }

  async get(jobId: string): Promise<JobResult | undefined> {
    const out = await this.opts.client.send(new GetCommand({ TableName: this.opts.tableName, Key: { jobId }, ConsistentRead: true }));
    if (!out.Item) return undefined;
    const { expiresAt: _ignored, ...result } = out.Item;
    return result as JobResult;
  }
}
