/**
 * The worker inbox on the jobs table: offers of task messages per executor or external provider, one per
 * attempt, and the records of recent claims. Part of the DynamoDB job store (`job-store.ts` delegates to it).
 *
 * What the console reads of an inbox costs no extra request on the way of a task: an inbox joins the list of
 * inboxes (`XT`) within its first offer's transaction (once per process), and a claim's record is written in the
 * transaction that removes the claimed offer anyway. Offers are counted from their markers, which are small.
 * @module
 */
import { DeleteCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { TaskMessage } from '../../core/model';
import type { InboxClaim, InboxSummary, Offer, WaitingOffer } from '../../ports';
import { MARKER_OF_OFFER, OFFER_NOT_WAITING, cancelledByCondition } from './conditions';
import { JOBS_TTL_ATTRIBUTE, claimRecordKey, inboxPartitionOf, inboxTargetKey, offerKey, offerMarkerKey } from './keys';

/** How long a claim's record is kept (DynamoDB's TTL deletes it some time after). */
export const CLAIM_RECORD_SECONDS = 24 * 60 * 60;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A marker's key (`A#<jobId>#<taskIndex>#<attempt>`) and its offer's sort key as the waiting offer they name. */
function waitingOfferOf(item: Record<string, unknown>): WaitingOffer | undefined {
  const parts = String(item.sk).split('#');
  const visibleAt = Number(String(item.offerSk ?? '').split('#')[0]);
  if (parts.length !== 4 || !Number.isFinite(visibleAt)) return undefined;
  return { jobId: parts[1]!, taskIndex: Number(parts[2]), attempt: Number(parts[3]), visibleAt };
}

/** The worker inbox on the jobs table (one offer per attempt). */
export class DynamoInbox {
  /** Inboxes this process has put on the list of inboxes (the write is idempotent; once is enough). */
  private readonly listed = new Set<string>();

  constructor(private readonly client: DynamoDBDocumentClient, private readonly table: string) {}

  /**
   * Offers an attempt once per inbox (invariant 7): the offer and its attempt's marker are written in one
   * transaction, only if the marker is absent. Offering the same attempt again, at whatever visible time, adds
   * nothing; the first offer keeps its place in the queue.
   */
  async offer(target: string, visibleAt: number, message: TaskMessage): Promise<void> {
    const key = offerKey(target, visibleAt, message.jobId, message.taskIndex, message.attempt);
    const marker = offerMarkerKey(target, message.jobId, message.taskIndex, message.attempt);
    const listing: TransactItem[] = this.listed.has(target) ? [] : [{ Put: { TableName: this.table, Item: { ...inboxTargetKey(target), target } } }];
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.table, Item: { ...marker, offerSk: key.sk }, ConditionExpression: OFFER_NOT_WAITING } },
            { Put: { TableName: this.table, Item: { ...key, message: JSON.stringify(message) } } },
            ...listing,
          ],
        }),
      );
      this.listed.add(target);
    } catch (err) {
      // The marker exists: this attempt already waits in this inbox.
      if (cancelledByCondition(err, 0)) return;
      throw err;
    }
  }

  async dueOffers(target: string, now: number, limit: number): Promise<Offer[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk < :until',
        ExpressionAttributeValues: { ':pk': inboxPartitionOf(target), ':until': `${String(now + 1).padStart(15, '0')}` },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => ({ target, key: String(i.sk), message: JSON.parse(String(i.message)) as TaskMessage }));
  }

  /**
   * Removes an offer and, in the same transaction, its attempt's marker, so the attempt can be offered again
   * (a claim refused while its job was paused is offered again on resume). A marker that names a newer offer of
   * the attempt (this one was removed before, by a racing worker) stays: only the offer item goes. A claimed
   * offer leaves the record of its claim, written in the same transaction.
   */
  async removeOffer(offer: Offer, claim?: { workerId: string; at: string }): Promise<void> {
    const m = offer.message;
    const key = { pk: inboxPartitionOf(offer.target), sk: offer.key };
    const record: TransactItem[] = [];
    if (claim) {
      const item = { jobId: m.jobId, taskIndex: m.taskIndex, attempt: m.attempt, workerId: claim.workerId, at: claim.at, [JOBS_TTL_ATTRIBUTE]: Math.floor(Date.parse(claim.at) / 1000) + CLAIM_RECORD_SECONDS };
      record.push({ Put: { TableName: this.table, Item: { ...claimRecordKey(offer.target, claim.at, m.jobId, m.taskIndex, m.attempt), ...item } } });
    }
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.table,
                Key: offerMarkerKey(offer.target, m.jobId, m.taskIndex, m.attempt),
                ConditionExpression: MARKER_OF_OFFER,
                ExpressionAttributeValues: { ':offerSk': offer.key },
              },
            },
            { Delete: { TableName: this.table, Key: key } },
            ...record,
          ],
        }),
      );
    } catch (err) {
      if (!cancelledByCondition(err, 0)) throw err;
      if (record.length === 0) await this.client.send(new DeleteCommand({ TableName: this.table, Key: key }));
      else await this.client.send(new TransactWriteCommand({ TransactItems: [{ Delete: { TableName: this.table, Key: key } }, ...record] }));
    }
  }

  /** Every inbox on the list of inboxes, in name order. */
  async inboxTargets(): Promise<string[]> {
    const targets: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': inboxTargetKey('').pk }, ExclusiveStartKey: start }),
      );
      for (const item of out.Items ?? []) targets.push(String(item.sk));
      start = out.LastEvaluatedKey;
    } while (start);
    return targets;
  }

  /**
   * Reads an inbox's markers (one small item per waiting offer, naming the offer's visible time) and its newest
   * claim records: two Queries, eventually consistent, never the offers' messages.
   */
  async inboxSummary(target: string, opts: { offers: number; claims: number }): Promise<InboxSummary> {
    const pk = inboxPartitionOf(target);
    const markers: WaitingOffer[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': 'A#', ':to': 'A$' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const offer = waitingOfferOf(item);
        if (offer) markers.push(offer);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    markers.sort((a, b) => a.visibleAt - b.visibleAt || (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : a.taskIndex - b.taskIndex || a.attempt - b.attempt));
    const claims =
      opts.claims <= 0
        ? []
        : ((
            await this.client.send(
              new QueryCommand({
                TableName: this.table,
                KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
                ExpressionAttributeValues: { ':pk': pk, ':r': 'R#' },
                ScanIndexForward: false,
                Limit: opts.claims,
              }),
            )
          ).Items ?? []);
    const recentClaims: InboxClaim[] = claims.map((i) => ({ jobId: String(i.jobId), taskIndex: Number(i.taskIndex), attempt: Number(i.attempt), workerId: String(i.workerId), at: String(i.at) }));
    return { offersWaiting: markers.length, offers: markers.slice(0, Math.max(0, opts.offers)), recentClaims };
  }
}
