/**
 * CDK table settings read off the same `CreateTableCommandInput` definitions the local stack creates
 * (`functions/adapters/dynamodb/tables.ts`): keys, stream view, index projections.
 * @module
 */
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { CreateTableCommandInput, KeySchemaElement } from '@aws-sdk/client-dynamodb';

/** The CDK attribute type of an attribute of a table definition. */
export function attributeType(def: CreateTableCommandInput, name: string): dynamodb.AttributeType {
  const type = def.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType;
  if (type === 'S') return dynamodb.AttributeType.STRING;
  if (type === 'N') return dynamodb.AttributeType.NUMBER;
  if (type === 'B') return dynamodb.AttributeType.BINARY;
  throw new Error(`table ${def.TableName}: no attribute definition for ${name}`);
}

/** Partition and sort key of a table or index, from its key schema. */
export function keysOf(def: CreateTableCommandInput, schema: readonly KeySchemaElement[] | undefined): { partitionKey: dynamodb.Attribute; sortKey?: dynamodb.Attribute } {
  const hash = schema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
  const range = schema?.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  if (!hash) throw new Error(`table ${def.TableName}: no partition key`);
  return {
    partitionKey: { name: hash, type: attributeType(def, hash) },
    ...(range ? { sortKey: { name: range, type: attributeType(def, range) } } : {}),
  };
}

/** The stream view of a table definition (none when its stream is off). */
export function streamViewOf(def: CreateTableCommandInput): dynamodb.StreamViewType | undefined {
  if (!def.StreamSpecification?.StreamEnabled) return undefined;
  const view = def.StreamSpecification.StreamViewType;
  const known = Object.values(dynamodb.StreamViewType) as string[];
  if (!view || !known.includes(view)) throw new Error(`table ${def.TableName}: unknown stream view ${view}`);
  return view as dynamodb.StreamViewType;
}

/** The CDK projection type of an index projection. */
export function projectionOf(type: string | undefined): dynamodb.ProjectionType {
  if (type === 'KEYS_ONLY') return dynamodb.ProjectionType.KEYS_ONLY;
  if (type === 'INCLUDE') return dynamodb.ProjectionType.INCLUDE;
  return dynamodb.ProjectionType.ALL;
}
