/**
 * The worker inbox of the DynamoDB store, against DynamoDB Local (real conditions and transactions): an attempt
 * is offered at most once per inbox however often it is offered again (invariant 7: the sweeper re-offers every
 * minute while an executor is offline), due offers come oldest-visible first, and a removed offer can be offered
 * again (a claim refused while the job was paused is offered again on resume).
 */
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemTypeOf } from '../../../functions/adapters/dynamodb/keys';
import { useDynamoStore } from '../../helpers/dynamodb-store';
import type { Offer } from '../../../functions/ports';
import { NOW, taskMessage } from '../../helpers/core-factories';

const fx = useDynamoStore();

const keyOf = (o: Offer) => `${o.message.jobId}/${o.message.taskIndex}/${o.message.attempt}`;

describe('DynamoJobStore worker inbox', () => {
  it('offering the same attempt again (another visible time, concurrently too) leaves one offer, at its first place', async () => {
    // Prepare
    const message = taskMessage({ preLock: 'offline', attempt: 2 });

    // Act: the first dispatch, then one re-offer per sweep, two of them racing.
    await fx.store.offer('exec:offline', NOW, message);
    await fx.store.offer('exec:offline', NOW + 60_000, message);
    await Promise.all([fx.store.offer('exec:offline', NOW + 120_000, message), fx.store.offer('exec:offline', NOW + 120_000, message)]);

    // Assess
    const due = await fx.store.dueOffers('exec:offline', NOW + 600_000, 10);
    expect(due).toHaveLength(1);
    expect(due[0]!.message).toEqual(message);
    expect(await fx.store.dueOffers('exec:offline', NOW, 10)).toHaveLength(1);
    // One offer and one marker; neither is an item the stream consumer reacts to.
    const items = await fx.partition('X#exec:offline');
    expect(items).toHaveLength(2);
    for (const item of items) expect(itemTypeOf(String(item.sk))).toBeUndefined();
  });

  it('other attempts, tasks and inboxes are offers of their own', async () => {
    await fx.store.offer('exec:offline', NOW, taskMessage({ attempt: 1 }));
    await fx.store.offer('exec:offline', NOW, taskMessage({ attempt: 2 }));
    await fx.store.offer('exec:offline', NOW, taskMessage({ taskIndex: 1 }));
    await fx.store.offer('exec:other', NOW, taskMessage({ attempt: 1 }));
    expect((await fx.store.dueOffers('exec:offline', NOW, 10)).map(keyOf).sort()).toEqual(['J1/0/1', 'J1/0/2', 'J1/1/1']);
    expect((await fx.store.dueOffers('exec:other', NOW, 10)).map(keyOf)).toEqual(['J1/0/1']);
  });

  it('dueOffers returns only visible offers, oldest visible first, up to the limit', async () => {
    await fx.store.offer('prov:ext', NOW + 3_000, taskMessage({ jobId: 'A' }));
    await fx.store.offer('prov:ext', NOW + 1_000, taskMessage({ jobId: 'B' }));
    await fx.store.offer('prov:ext', NOW + 2_000, taskMessage({ jobId: 'C' }));
    await fx.store.offer('prov:ext', NOW + 7_200_000, taskMessage({ jobId: 'LATER' }));

    expect((await fx.store.dueOffers('prov:ext', NOW, 10)).map(keyOf)).toEqual([]);
    expect((await fx.store.dueOffers('prov:ext', NOW + 2_000, 10)).map(keyOf)).toEqual(['B/0/1', 'C/0/1']);
    expect((await fx.store.dueOffers('prov:ext', NOW + 3_000, 10)).map(keyOf)).toEqual(['B/0/1', 'C/0/1', 'A/0/1']);
    expect((await fx.store.dueOffers('prov:ext', NOW + 3_000, 2)).map(keyOf)).toEqual(['B/0/1', 'C/0/1']);
    expect((await fx.store.dueOffers('prov:ext', NOW + 7_200_000, 10)).map(keyOf)).toEqual(['B/0/1', 'C/0/1', 'A/0/1', 'LATER/0/1']);
  });

  it('a removed offer takes its marker along, so the attempt can be offered again', async () => {
    const message = taskMessage({ preLock: 'offline' });
    await fx.store.offer('exec:offline', NOW, message);
    const [offer] = await fx.store.dueOffers('exec:offline', NOW, 10);

    await fx.store.removeOffer(offer!);
    expect(await fx.partition('X#exec:offline')).toEqual([]);

    await fx.store.offer('exec:offline', NOW + 5_000, message);
    expect((await fx.store.dueOffers('exec:offline', NOW + 5_000, 10)).map((o) => o.key)).toEqual([`${String(NOW + 5_000).padStart(15, '0')}#J1#0#1`]);
  });

  it("removing an offer twice (two workers that read it) keeps a newer offer's marker: still one offer per attempt", async () => {
    const message = taskMessage({ preLock: 'offline' });
    await fx.store.offer('exec:offline', NOW, message);
    const [first] = await fx.store.dueOffers('exec:offline', NOW, 10);
    await fx.store.removeOffer(first!);
    // A replayed dispatch offers the attempt again; then the second worker removes the first offer it had read.
    await fx.store.offer('exec:offline', NOW + 1_000, message);
    await fx.store.removeOffer(first!);
    await fx.store.offer('exec:offline', NOW + 2_000, message);

    const due = await fx.store.dueOffers('exec:offline', NOW + 10_000, 10);
    expect(due.map((o) => o.key)).toEqual([`${String(NOW + 1_000).padStart(15, '0')}#J1#0#1`]);
    expect(await fx.partition('X#exec:offline')).toHaveLength(2);
  });

  it('an offer written before markers existed is removed without disturbing anything', async () => {
    const legacy: Offer = { target: 'exec:offline', key: `${String(NOW).padStart(15, '0')}#J1#0#1`, message: taskMessage() };
    await fx.doc.send(new PutCommand({ TableName: fx.table, Item: { pk: 'X#exec:offline', sk: legacy.key, message: JSON.stringify(legacy.message) } }));
    await fx.store.removeOffer(legacy);
    expect(await fx.partition('X#exec:offline')).toEqual([]);
  });
});
