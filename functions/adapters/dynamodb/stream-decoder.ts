/**
 * Decodes a record of the jobs table's DynamoDB stream into the engine's typed change. The item layout (keys,
 * storage-only attributes) stays inside this adapter: handlers see jobs and tasks, never items.
 * @module
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { ItemChange } from '../../engine/on-change';
import { jobFromItem, taskFromItem } from './job-store';
import { itemTypeOf } from './keys';

type Image = Record<string, AttributeValue> | undefined;

function decode(image: Image): Record<string, unknown> | undefined {
  return image ? unmarshall(image) : undefined;
}

/** The change a stream record describes: a job's or a task's old and new image, or `other` (buckets, tokens, offers). */
export function changeOf(record: DynamoDBRecord): ItemChange {
  const sk = record.dynamodb?.Keys?.sk?.S;
  const type = sk ? itemTypeOf(sk) : undefined;
  const before = decode(record.dynamodb?.OldImage as Image);
  const after = decode(record.dynamodb?.NewImage as Image);
  if (type === 'job') return { type, ...(before ? { before: jobFromItem(before) } : {}), ...(after ? { after: jobFromItem(after) } : {}) };
  if (type === 'task') return { type, ...(before ? { before: taskFromItem(before) } : {}), ...(after ? { after: taskFromItem(after) } : {}) };
  return { type: 'other' };
}
