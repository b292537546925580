/**
 * Listing roots newest first (the list index, month by month) and walking the active index for the sweeper.
 * Part of the DynamoDB job store (`job-store.ts` delegates to it).
 * @module
 */
import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../../core/model';
import { ACTIVE_INDEX, ACTIVE_SHARDS, LIST_INDEX } from './keys';
import { jobFromItem } from './item-codec';
import { LIST_MONTHS_KEY, decodeCursor, encodeCursor, listKeyOfItem, type ListPosition } from './list-cursor';

/** Roots newest first (the list index) and the active roots (the sweeper's index). */
export class DynamoJobList {
  private readonly knownMonths = new Set<string>();

  constructor(private readonly client: DynamoDBDocumentClient, private readonly table: string) {}

  /**
   * Records that a month has roots, once per month per process (a set-add, idempotent), so a list walks only
   * the months that exist instead of probing empty ones.
   */
  async noteListMonth(month: string): Promise<void> {
    if (this.knownMonths.has(month)) return;
    await this.client.send(
      new UpdateCommand({ TableName: this.table, Key: LIST_MONTHS_KEY, UpdateExpression: 'ADD months :m', ExpressionAttributeValues: { ':m': new Set([month]) } }),
    );
    this.knownMonths.add(month);
  }

  /**
   * Root jobs newest first, `limit` at a time. Walks the months that have roots (newest first) and, within a
   * month, follows DynamoDB's own paging (`LastEvaluatedKey`) to its end: a page DynamoDB cut short (1 MB, or
   * any page with fewer items than asked) is not the end of the month. The cursor is returned exactly when more
   * roots exist: the query asks for one item beyond the page, and finding it is the proof.
   * @throws JobxError VALIDATION_FAILED for a cursor this store did not write
   */
  async listRoots(query: { limit: number; cursor?: string }): Promise<{ jobs: JobRecord[]; cursor?: string }> {
    // Before any read: a forged cursor is the client's mistake and costs nothing.
    const start = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const limit = Math.max(1, query.limit);
    const monthsItem = await this.client.send(new GetCommand({ TableName: this.table, Key: LIST_MONTHS_KEY, ConsistentRead: true }));
    const months = [...((monthsItem.Item?.months as Set<string> | undefined) ?? [])].sort().reverse();
    let position: ListPosition | undefined = start ?? (months[0] ? { month: months[0] } : undefined);
    const keys: Array<{ pk: string; sk: string }> = [];
    // Where the next page starts: just after the last root kept (set once one is kept).
    let resume: ListPosition | undefined;
    while (position) {
      const wanted = limit - keys.length;
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: LIST_INDEX,
          KeyConditionExpression: 'listPk = :pk',
          ExpressionAttributeValues: { ':pk': `ALL#${position.month}` },
          ScanIndexForward: false,
          // One more than needed: finding it proves there is a next page (no cursor on the last page).
          Limit: wanted + 1,
          ...(position.key ? { ExclusiveStartKey: position.key } : {}),
        }),
      );
      const items = out.Items ?? [];
      const kept = items.slice(0, wanted);
      for (const item of kept) keys.push({ pk: String(item.pk), sk: String(item.sk) });
      const last = kept[kept.length - 1];
      if (last) resume = { month: position.month, key: { pk: String(last.pk), sk: String(last.sk), listPk: String(last.listPk), listSk: String(last.listSk) } };
      // An item beyond the page: there is more, and the next page starts after the last one kept.
      if (items.length > kept.length) return { jobs: await this.batchGetJobs(keys), cursor: encodeCursor(resume ?? position) };
      if (out.LastEvaluatedKey) {
        // DynamoDB stopped before the month's end (page size, 1 MB): the month goes on from where it stopped.
        position = { month: position.month, key: listKeyOfItem(out.LastEvaluatedKey) };
        continue;
      }
      const current = position.month;
      const older = months.find((m) => m < current);
      position = older ? { month: older } : undefined;
    }
    return { jobs: await this.batchGetJobs(keys) };
  }

  private async batchGetJobs(keys: Array<{ pk: string; sk: string }>): Promise<JobRecord[]> {
    if (keys.length === 0) return [];
    const found = new Map<string, JobRecord>();
    let pending: Array<Record<string, unknown>> = keys;
    while (pending.length) {
      const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }));
      for (const item of out.Responses?.[this.table] ?? []) found.set(`${item.pk}|${item.sk}`, jobFromItem(item));
      pending = (out.UnprocessedKeys?.[this.table]?.Keys as Array<Record<string, unknown>> | undefined) ?? [];
    }
    return keys.map((k) => found.get(`${k.pk}|${k.sk}`)).filter((j): j is JobRecord => j !== undefined);
  }

  async *activeRoots(): AsyncIterable<string> {
    for (let shard = 0; shard < ACTIVE_SHARDS; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: ACTIVE_INDEX,
            KeyConditionExpression: 'activeShard = :s',
            ExpressionAttributeValues: { ':s': `ACTIVE#${shard}` },
            ExclusiveStartKey: start,
          }),
        );
        // The index keeps keys only; a root's partition is `J#<jobId>`.
        for (const item of out.Items ?? []) yield String(item.pk).slice(2);
        start = out.LastEvaluatedKey;
      } while (start);
    }
  }
}
