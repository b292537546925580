/**
 * DynamoDB Streams consumer of the jobs table: the outbox that turns each committed state change into its
 * consequences (queue the next task, finish the job, start children, count a child, publish a result).
 * @module
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { itemTypeOf } from '../adapters/dynamodb/keys';
import { jobFromItem, taskFromItem } from '../adapters/dynamodb/job-store';
import { onChange, type ItemChange } from '../engine/on-change';
import { engineDeps } from '../runtime/deps';
import { logger, withRuntime } from '../runtime/middy';
import { processStreamBatch } from '../runtime/stream-processor';

type Image = Record<string, AttributeValue> | undefined;

function decode(image: Image): Record<string, unknown> | undefined {
  return image ? unmarshall(image) : undefined;
}

/** Decodes a stream record into a typed change. */
export function changeOf(record: DynamoDBRecord): ItemChange {
  const sk = record.dynamodb?.Keys?.sk?.S;
  const type = sk ? itemTypeOf(sk) : undefined;
  const before = decode(record.dynamodb?.OldImage as Image);
  const after = decode(record.dynamodb?.NewImage as Image);
  if (type === 'job') return { type, ...(before ? { before: jobFromItem(before) } : {}), ...(after ? { after: jobFromItem(after) } : {}) };
  if (type === 'task') return { type, ...(before ? { before: taskFromItem(before) } : {}), ...(after ? { after: taskFromItem(after) } : {}) };
  return { type: 'other' };
}

/** Lambda handler (with `reportBatchItemFailures`). */
export const handler = withRuntime(async (event: DynamoDBStreamEvent) =>
  processStreamBatch(event.Records, (record) => onChange(engineDeps(), changeOf(record)), {
    onError: (record, error) => logger.warn('stream record failed', { sequenceNumber: record.dynamodb?.SequenceNumber, error: error as Error }),
  }),
);
