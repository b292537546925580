/**
 * Staged submissions on the jobs table (see `core/staging.ts`): the parts a submit writes before its root, their
 * expansion into descendant records, and the marks on the root that end the staging. Each write is conditional
 * or harmless to repeat, so the stream and the sweeper may both run any step any number of times.
 * @module
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../../core/model';
import { STAGE_PART_TTL_SECONDS, type StagedPart } from '../../core/staging';
import type { JobPatch } from '../../core/writes';
import { mapLimit } from '../../util/map-limit';
import { conditional } from './conditions';
import { JOBS_TTL_ATTRIBUTE, jobKey, stagedPartKey } from './keys';

/** Staged parts and staging marks on the jobs table (one per `DynamoJobStore`). */
export class DynamoStagedParts {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly concurrency: number,
  ) {}

  /** Writes the parts of a staged submission (before its root; a part is only ever read through its root's nonce). */
  async put(rootId: string, nonce: string, parts: readonly StagedPart[], nowMs: number): Promise<void> {
    const expiresAt = Math.floor(nowMs / 1000) + STAGE_PART_TTL_SECONDS;
    await mapLimit(parts, this.concurrency, async (part) => {
      const data = gzipSync(Buffer.from(JSON.stringify(part.records), 'utf8'));
      await this.client.send(new PutCommand({ TableName: this.table, Item: { ...stagedPartKey(rootId, nonce, part.index), data, records: part.records.length, [JOBS_TTL_ATTRIBUTE]: expiresAt } }));
    });
  }

  /** The records of one part, or undefined when it is gone (expired). */
  async get(rootId: string, nonce: string, index: number): Promise<JobRecord[] | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: stagedPartKey(rootId, nonce, index), ConsistentRead: true }));
    const data = out.Item?.data as Uint8Array | undefined;
    if (!data) return undefined;
    return JSON.parse(gunzipSync(data).toString('utf8')) as JobRecord[];
  }

  /**
   * Marks a part expanded on its root, once; only while the root is staging from `nonce`.
   * A root that no longer stages from `nonce` (finished, or never written) is left as it is.
   */
  async mark(rootId: string, nonce: string, index: number): Promise<void> {
    await conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(rootId),
          ConditionExpression: '#staging.#nonce = :nonce AND NOT contains(stagedParts, :part)',
          // updatedAt moves with each part, so the sweeper tells a staging in progress from a stalled one.
          UpdateExpression: 'ADD stagedParts :one SET updatedAt = :now',
          ExpressionAttributeNames: { '#staging': 'staging', '#nonce': 'nonce' },
          ExpressionAttributeValues: { ':nonce': nonce, ':part': index, ':one': new Set([index]), ':now': new Date().toISOString() },
        }),
      ),
    );
  }

  /**
   * Ends a root's staging with `patch`, only while it is pending, staging from `nonce`, with all `parts` marked.
   * @returns whether it was written
   */
  async finish(rootId: string, nonce: string, parts: number, patch: JobPatch): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status', '#staging': 'staging', '#nonce': 'nonce', '#reason': 'reason' };
    const values: Record<string, unknown> = { ':pending': 'pending', ':nonce': nonce, ':parts': parts, ':to': patch.status, ':now': new Date().toISOString() };
    const sets = ['#status = :to', 'updatedAt = :now'];
    const removes = ['#staging', 'stagedParts'];
    if (patch.reason !== undefined) {
      sets.push('#reason = :reason');
      values[':reason'] = patch.reason;
    } else removes.push('#reason');
    if (patch.startedAt !== undefined) {
      sets.push('startedAt = :startedAt');
      values[':startedAt'] = patch.startedAt;
    }
    const written = await conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(rootId),
          ConditionExpression: '#status = :pending AND #staging.#nonce = :nonce AND size(stagedParts) = :parts',
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
    return written !== undefined;
  }
}
