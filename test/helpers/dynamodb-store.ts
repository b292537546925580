/**
 * One DynamoDB Local per test file and a fresh jobs table per test, with a DynamoJobStore on it: the adapter
 * tests that need real conditions and transactions share this setup instead of each writing it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { DynamoJobStore } from '../../functions/adapters/dynamodb/job-store';
import { ensureTable, jobsTableDefinition } from '../../functions/adapters/dynamodb/tables';
import { localClientConfig } from '../../functions/local/client-config';
import { startDynamoDbLocal, type DynamoDbLocalHandle } from '../../functions/local/dynamodb-local';

/** What a test reaches through {@link useDynamoStore}: valid inside tests (set by the hooks). */
export interface DynamoStoreFixture {
  doc: DynamoDBDocumentClient;
  store: DynamoJobStore;
  table: string;
  /** Every item of a partition, strongly consistent. */
  partition(pk: string): Promise<Array<Record<string, unknown>>>;
}

/** Registers the hooks; the returned object is filled in before each test. */
export function useDynamoStore(): DynamoStoreFixture {
  let db: DynamoDbLocalHandle | undefined;
  let raw: DynamoDBClient | undefined;
  let tables = 0;
  const fixture = {
    table: '',
    async partition(pk: string) {
      const out = await fixture.doc.send(new QueryCommand({ TableName: fixture.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true }));
      return out.Items ?? [];
    },
  } as DynamoStoreFixture;

  beforeAll(async () => {
    db = await startDynamoDbLocal({});
    raw = new DynamoDBClient(localClientConfig(db.endpoint));
    fixture.doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  }, 120_000);

  afterAll(async () => {
    raw?.destroy();
    await db?.stop();
  });

  beforeEach(async () => {
    // A fresh table per test: no test sees another's items.
    fixture.table = `jobs-${++tables}`;
    await ensureTable(raw!, jobsTableDefinition(fixture.table));
    fixture.store = new DynamoJobStore({ client: fixture.doc, tableName: fixture.table, resultsTableName: `results-${tables}` });
  });

  return fixture;
}
