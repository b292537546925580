/**
 * The worker inbox of the DynamoDB store, against DynamoDB Local (real conditions and transactions): an attempt
 * is offered at most once per inbox however often it is offered again (invariant 7: the sweeper re-offers every
 * minute while an executor is offline), due offers come oldest-visible first, and a removed offer can be offered
 * again (a claim refused while the job was paused is offered again on resume).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoJobStore } from '../../../functions/adapters/dynamodb/job-store';
import { itemTypeOf } from '../../../functions/adapters/dynamodb/keys';
import { ensureTable, jobsTableDefinition } from '../../../functions/adapters/dynamodb/tables';
import { localClientConfig } from '../../../functions/local/client-config';
import { startDynamoDbLocal, type DynamoDbLocalHandle } from '../../../functions/local/dynamodb-local';
import type { Offer } from '../../../functions/ports';
import { NOW, taskMessage } from '../../helpers/core-factories';

let db: DynamoDbLocalHandle;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let store: DynamoJobStore;
let table = '';
let tables = 0;

beforeAll(async () => {
  db = await startDynamoDbLocal({});
  raw = new DynamoDBClient(localClientConfig(db.endpoint));
  doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
}, 120_000);

afterAll(async () => {
  raw?.destroy();
  await db?.stop();
});

beforeEach(async () => {
  // A fresh table per test: no test sees another's offers.
  table = `jobs-${++tables}`;
  await ensureTable(raw, jobsTableDefinition(table));
  store = new DynamoJobStore({ client: doc, tableName: table, resultsTableName: `results-${tables}` });
});

/** Every item in an inbox's partition, offers and markers alike. */
async function partition(target: string): Promise<Array<Record<string, unknown>>> {
  const out = await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `X#${target}` }, ConsistentRead: true }));
  return out.Items ?? [];
}

const keyOf = (o: Offer) => `${o.message.jobId}/${o.message.taskIndex}/${o.message.attempt}`;

describe('DynamoJobStore worker inbox', () => {
  it('offering the same attempt again (another visible time, concurrently too) leaves one offer, at its first place', async () => {
    // Prepare
    const message = taskMessage({ preLock: 'offline', attempt: 2 });

    // Act: the first dispatch, then one re-offer per sweep, two of them racing.
    await store.offer('exec:offline', NOW, message);
    await store.offer('exec:offline', NOW + 60_000, message);
    await Promise.all([store.offer('exec:offline', NOW + 120_000, message), store.offer('exec:offline', NOW + 120_000, message)]);

    // Assess
    const due = await store.dueOffers('exec:offline', NOW + 600_000, 10);
    expect(due).toHaveLength(1);
    expect(due[0]!.message).toEqual(message);
    expect(await store.dueOffers('exec:offline', NOW, 10)).toHaveLength(1);
    // One offer and one marker; neither is an item the stream consumer reacts to.
    const items = await partition('exec:offline');
    expect(items).toHaveLength(2);
    for (const item of items) expect(itemTypeOf(String(item.sk))).toBeUndefined();
  });

  it('other attempts, tasks and inboxes are offers of their own', async () => {
    await store.offer('exec:offline', NOW, taskMessage({ attempt: 1 }));
    await store.offer('exec:offline', NOW, taskMessage({ attempt: 2 }));
    await store.offer('exec:offline', NOW, taskMessage({ taskIndex: 1 }));
    await store.offer('exec:other', NOW, taskMessage({ attempt: 1 }));
    expect((await store.dueOffers('exec:offline', NOW, 10)).map(keyOf).sort()).toEqual(['J1/0/1', 'J1/0/2', 'J1/1/1']);
    expect((await store.dueOffers('exec:other', NOW, 10)).map(keyOf)).toEqual(['J1/0/1']);
  });

  it('dueOffers returns only visible offers, oldest visible first, up to the limit', async () => {
    await store.offer('prov:ext', NOW + 3_000, taskMessage({ jobId: 'A' }));
    await store.offer('prov:ext', NOW + 1_000, taskMessage({ jobId: 'B' }));
    await store.offer('prov:ext', NOW + 2_000, taskMessage({ jobId: 'C' }));
    await store.offer('prov:ext', NOW + 7_200_000, taskMessage({ jobId: 'LATER' }));

    expect((await store.dueOffers('prov:ext', NOW, 10)).map(keyOf)).toEqual([]);
    expect((await store.dueOffers('prov:ext', NOW + 2_000, 10)).map(keyOf)).toEqual(['B/0/1', 'C/0/1']);
    expect((await store.dueOffers('prov:ext', NOW + 3_000, 10)).map(keyOf)).toEqual(['B/0/1', 'C/0/1', 'A/0/1']);
    expect((await store.dueOffers('prov:ext', NOW + 3_000, 2)).map(keyOf)).toEqual(['B/0/1', 'C/0/1']);
    expect((await store.dueOffers('prov:ext', NOW + 7_200_000, 10)).map(keyOf)).toEqual(['B/0/1', 'C/0/1', 'A/0/1', 'LATER/0/1']);
  });

  it('a removed offer takes its marker along, so the attempt can be offered again', async () => {
    const message = taskMessage({ preLock: 'offline' });
    await store.offer('exec:offline', NOW, message);
    const [offer] = await store.dueOffers('exec:offline', NOW, 10);

    await store.removeOffer(offer!);
    expect(await partition('exec:offline')).toEqual([]);

    await store.offer('exec:offline', NOW + 5_000, message);
    expect((await store.dueOffers('exec:offline', NOW + 5_000, 10)).map((o) => o.key)).toEqual([`${String(NOW + 5_000).padStart(15, '0')}#J1#0#1`]);
  });

  it("removing an offer twice (two workers that read it) keeps a newer offer's marker: still one offer per attempt", async () => {
    const message = taskMessage({ preLock: 'offline' });
    await store.offer('exec:offline', NOW, message);
    const [first] = await store.dueOffers('exec:offline', NOW, 10);
    await store.removeOffer(first!);
    // A replayed dispatch offers the attempt again; then the second worker removes the first offer it had read.
    await store.offer('exec:offline', NOW + 1_000, message);
    await store.removeOffer(first!);
    await store.offer('exec:offline', NOW + 2_000, message);

    const due = await store.dueOffers('exec:offline', NOW + 10_000, 10);
    expect(due.map((o) => o.key)).toEqual([`${String(NOW + 1_000).padStart(15, '0')}#J1#0#1`]);
    expect(await partition('exec:offline')).toHaveLength(2);
  });

  it('an offer written before markers existed is removed without disturbing anything', async () => {
    const legacy: Offer = { target: 'exec:offline', key: `${String(NOW).padStart(15, '0')}#J1#0#1`, message: taskMessage() };
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'X#exec:offline', sk: legacy.key, message: JSON.stringify(legacy.message) } }));
    await store.removeOffer(legacy);
    expect(await partition('exec:offline')).toEqual([]);
  });
});
