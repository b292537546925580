/**
 * Table definitions shared by the CDK construct's documentation and the local stack, which creates them in
 * DynamoDB Local with the same keys, index and stream.
 * @module
 */
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ACTIVE_INDEX, LIST_INDEX } from './keys';

/** CreateTable input of the jobs table. */
export function jobsTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'activeShard', AttributeType: 'S' },
      { AttributeName: 'listPk', AttributeType: 'S' },
      { AttributeName: 'listSk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: ACTIVE_INDEX,
        KeySchema: [
          { AttributeName: 'activeShard', KeyType: 'HASH' },
          { AttributeName: 'pk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      {
        // Keys only: a list page reads the live records, so status changes never rewrite this index.
        IndexName: LIST_INDEX,
        KeySchema: [
          { AttributeName: 'listPk', KeyType: 'HASH' },
          { AttributeName: 'listSk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

/** CreateTable input of the result table. */
export function resultsTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'jobId', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
  };
}

/** Creates a table unless it exists; returns its stream ARN, if any. */
export async function ensureTable(client: DynamoDBClient, input: CreateTableCommandInput): Promise<string | undefined> {
  try {
    await client.send(new CreateTableCommand(input));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  const out = await client.send(new DescribeTableCommand({ TableName: input.TableName }));
  return out.Table?.LatestStreamArn;
}
