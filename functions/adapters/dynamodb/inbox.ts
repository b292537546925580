/**
 * The worker inbox on the jobs table: offers of task messages per executor or external provider, one per
 * attempt. Part of the DynamoDB job store (`job-store.ts` delegates to it).
 * @module
 */
import { DeleteCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TaskMessage } from '../../core/model';
import type { Offer } from '../../ports';
import { MARKER_OF_OFFER, OFFER_NOT_WAITING, cancelledByCondition } from './conditions';
import { inboxPartitionOf, offerKey, offerMarkerKey } from './keys';

/** The worker inbox on the jobs table (one offer per attempt). */
export class DynamoInbox {

  constructor(private readonly client: DynamoDBDocumentClient, private readonly table: string) {}

  /**
   * Offers an attempt once per inbox (invariant 7): the offer and its attempt's marker are written in one
   * transaction, only if the marker is absent. Offering the same attempt again, at whatever visible time, adds
   * nothing; the first offer keeps its place in the queue.
   */
  async offer(target: string, visibleAt: number, message: TaskMessage): Promise<void> {
    const key = offerKey(target, visibleAt, message.jobId, message.taskIndex, message.attempt);
    const marker = offerMarkerKey(target, message.jobId, message.taskIndex, message.attempt);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.table, Item: { ...marker, offerSk: key.sk }, ConditionExpression: OFFER_NOT_WAITING } },
            { Put: { TableName: this.table, Item: { ...key, message: JSON.stringify(message) } } },
          ],
        }),
      );
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
   * the attempt (this one was removed before, by a racing worker) stays: only the offer item goes.
   */
  async removeOffer(offer: Offer): Promise<void> {
    const m = offer.message;
    const key = { pk: inboxPartitionOf(offer.target), sk: offer.key };
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
          ],
        }),
      );
    } catch (err) {
      if (!cancelledByCondition(err, 0)) throw err;
      await this.client.send(new DeleteCommand({ TableName: this.table, Key: key }));
    }
  }
}
