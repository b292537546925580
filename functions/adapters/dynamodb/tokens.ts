/**
 * Token queues on the jobs table: a holder item and FIFO waiter items per token, taken and given back in
 * transactions. Part of the DynamoDB job store (`job-store.ts` delegates to it).
 * @module
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../../core/model';
import type { TokenState } from '../../ports';
import { JOB_PENDING, STILL_WAITING, TOKEN_FREE, TOKEN_HELD_BY_ME, conditional } from './conditions';
import { mapLimit } from '../../util/map-limit';
import { jobKey, tokenKey, waiterKey } from './keys';

/** Token queues on the jobs table (holder and FIFO waiters). */
export class DynamoTokens {

  constructor(private readonly client: DynamoDBDocumentClient, private readonly table: string, private readonly concurrency: number) {}

  async tokenState(token: string, limit: number): Promise<TokenState> {
    const [holder, waiters] = await Promise.all([
      this.client.send(new GetCommand({ TableName: this.table, Key: tokenKey(token), ConsistentRead: true })),
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :w)',
          ExpressionAttributeValues: { ':pk': tokenKey(token).pk, ':w': 'W#' },
          ConsistentRead: true,
          Limit: limit,
        }),
      ),
    ]);
    const state: TokenState = { token, waiters: (waiters.Items ?? []).map((i) => ({ jobId: String(i.jobId), createdAt: String(i.createdAt) })) };
    if (holder.Item?.holder) state.holder = { jobId: String(holder.Item.holder), since: String(holder.Item.since) };
    return state;
  }

  async acquireTokens(job: JobRecord, staleHolders: Readonly<Record<string, string>>): Promise<boolean> {
    const now = new Date().toISOString();
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
    for (const token of job.tokens ?? []) {
      items.push({
        Update: {
          TableName: this.table,
          Key: tokenKey(token),
          ConditionExpression: TOKEN_FREE,
          UpdateExpression: 'SET #holder = :me, #since = :now',
          ExpressionAttributeNames: { '#holder': 'holder', '#since': 'since' },
          ExpressionAttributeValues: { ':me': job.jobId, ':stale': staleHolders[token] ?? '-', ':now': now },
        },
      });
      items.push({ Delete: { TableName: this.table, Key: waiterKey(token, job.createdAt, job.jobId), ConditionExpression: STILL_WAITING } });
    }
    items.push({
      Update: {
        TableName: this.table,
        Key: jobKey(job.jobId),
        // A root still creating its descendants takes no token (its staging ends first, then it queues).
        ConditionExpression: `${JOB_PENDING} AND attribute_not_exists(staging)`,
        UpdateExpression: 'SET #status = :running, startedAt = :now, updatedAt = :now REMOVE #reason',
        ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
        ExpressionAttributeValues: { ':pending': 'pending', ':running': 'running', ':now': now },
      },
    });
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (err) {
      if (err instanceof TransactionCanceledException) return false;
      throw err;
    }
  }

  async releaseTokens(job: Pick<JobRecord, 'jobId' | 'tokens' | 'createdAt'>): Promise<void> {
    await mapLimit(job.tokens ?? [], this.concurrency, async (token) => {
      await conditional(() =>
        this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: tokenKey(token),
            ConditionExpression: TOKEN_HELD_BY_ME,
            UpdateExpression: 'REMOVE #holder, #since',
            ExpressionAttributeNames: { '#holder': 'holder', '#since': 'since' },
            ExpressionAttributeValues: { ':me': job.jobId },
          }),
        ),
      );
      await this.client.send(new DeleteCommand({ TableName: this.table, Key: waiterKey(token, job.createdAt, job.jobId) }));
    });
  }

  async removeWaiter(token: string, waiter: { jobId: string; createdAt: string }): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.table, Key: waiterKey(token, waiter.createdAt, waiter.jobId) }));
  }

  async setWaitingReason(jobId: string, reason: string): Promise<void> {
    await conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(jobId),
          ConditionExpression: `${JOB_PENDING} AND (attribute_not_exists(#reason) OR #reason <> :reason)`,
          UpdateExpression: 'SET #reason = :reason',
          ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
          ExpressionAttributeValues: { ':pending': 'pending', ':reason': reason },
        }),
      ),
    );
  }
}
