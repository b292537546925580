/**
 * Token queues on the jobs table: a holder item and FIFO waiter items per token, taken and given back in
 * transactions. Part of the DynamoDB job store (`job-store.ts` delegates to it).
 *
 * Tokens in use are listed through the `active` index (see `keys.ts`): a holder item carries `activeShard`
 * (`TOKENS#<n>`) exactly while its token is held, each waiter item for its whole life. Jobs without tokens pay
 * nothing; a tokened root pays one index entry per waiter item and per holding, written with the items it
 * writes anyway (no request of its own).
 * @module
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../../core/model';
import type { TokenState, TokenUse } from '../../ports';
import { JOB_PENDING, STILL_WAITING, TOKEN_FREE, TOKEN_HELD_BY_ME, conditional } from './conditions';
import { mapLimit } from '../../util/map-limit';
import { ACTIVE_INDEX, ACTIVE_SHARDS, TOKEN_SHARD_PREFIX, jobKey, tokenKey, tokenShardOf, waiterKey } from './keys';

/** Index entries read per Query while listing tokens (a token's entries are its holding and its waiters). */
const ENTRIES_PER_QUERY = 200;

/** A page of token entries of one shard of the active index, and where the next page starts. */
interface EntryPage {
  entries: Array<{ pk: string; sk: string }>;
  next?: Record<string, unknown>;
}

/** One shard of the token entries in the active index, read lazily in `pk` (token name) order. */
class TokenShard {
  private buffer: Array<{ pk: string; sk: string }> = [];
  private next: Record<string, unknown> | undefined;
  private started = false;

  constructor(private readonly read: (start: Record<string, unknown> | undefined) => Promise<EntryPage>) {}

  /** The next entry without taking it; undefined once the shard is read to its end. */
  async peek(): Promise<{ pk: string; sk: string } | undefined> {
    while (this.buffer.length === 0 && (!this.started || this.next)) {
      this.started = true;
      const page = await this.read(this.next);
      this.buffer = page.entries;
      this.next = page.next;
    }
    return this.buffer[0];
  }

  take(): void {
    this.buffer.shift();
  }
}

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
          // `activeShard`: the held token is listed (GET /tokens) while it is held.
          UpdateExpression: 'SET #holder = :me, #since = :now, activeShard = :shard',
          ExpressionAttributeNames: { '#holder': 'holder', '#since': 'since' },
          ExpressionAttributeValues: { ':me': job.jobId, ':stale': staleHolders[token] ?? '-', ':now': now, ':shard': tokenShardOf(token) },
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
            UpdateExpression: 'REMOVE #holder, #since, activeShard',
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

  /**
   * Tokens in use in name order: the four shards of token entries in the active index merged by token name (a
   * token's entries all sit in one shard), each token's entries counted (`H` is its holding, `W#…` its waiters),
   * then the holders read from their items.
   */
  async listTokens(query: { limit: number; after?: string }): Promise<{ tokens: TokenUse[]; more: boolean }> {
    const afterPk = query.after === undefined ? 'K#' : tokenKey(query.after).pk;
    const shards = Array.from({ length: ACTIVE_SHARDS }, (_, n) => new TokenShard((start) => this.tokenEntries(`${TOKEN_SHARD_PREFIX}${n}`, afterPk, start)));
    const found: Array<{ token: string; held: boolean; waiting: number }> = [];
    let more = false;
    for (;;) {
      const heads = await Promise.all(shards.map((s) => s.peek()));
      let first = -1;
      for (let i = 0; i < heads.length; i++) if (heads[i] && (first < 0 || heads[i]!.pk < heads[first]!.pk)) first = i;
      if (first < 0) break;
      const pk = heads[first]!.pk;
      if (found.length === query.limit) {
        more = true;
        break;
      }
      const use = { token: pk.slice(2), held: false, waiting: 0 };
      for (let e = await shards[first]!.peek(); e && e.pk === pk; e = await shards[first]!.peek()) {
        if (e.sk === 'H') use.held = true;
        else use.waiting++;
        shards[first]!.take();
      }
      found.push(use);
    }
    const holders = await this.holders(found.filter((f) => f.held).map((f) => f.token));
    const tokens = found.map(({ token, waiting }) => {
      const holder = holders.get(token);
      return holder ? { token, holder, waiting } : { token, waiting };
    });
    return { tokens, more };
  }

  /** One page of a shard's token entries after `afterPk` (keys only: the table's key names token and item). */
  private async tokenEntries(shard: string, afterPk: string, start: Record<string, unknown> | undefined): Promise<EntryPage> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: ACTIVE_INDEX,
        KeyConditionExpression: 'activeShard = :s AND pk > :after',
        ExpressionAttributeValues: { ':s': shard, ':after': afterPk },
        Limit: ENTRIES_PER_QUERY,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const entries = (out.Items ?? []).map((i) => ({ pk: String(i.pk), sk: String(i.sk) }));
    return out.LastEvaluatedKey ? { entries, next: out.LastEvaluatedKey } : { entries };
  }

  /** The current holders of tokens (strongly consistent: the index may lag behind a release). */
  private async holders(tokens: readonly string[]): Promise<Map<string, { jobId: string; since: string }>> {
    const out = new Map<string, { jobId: string; since: string }>();
    for (let i = 0; i < tokens.length; i += 100) {
      let keys: Array<Record<string, unknown>> = tokens.slice(i, i + 100).map((t) => ({ ...tokenKey(t) }));
      while (keys.length) {
        const got = await this.client.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of got.Responses?.[this.table] ?? []) if (item.holder) out.set(String(item.pk).slice(2), { jobId: String(item.holder), since: String(item.since) });
        keys = (got.UnprocessedKeys?.[this.table]?.Keys as Array<Record<string, unknown>> | undefined) ?? [];
      }
    }
    return out;
  }
}
