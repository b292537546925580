/**
 * DynamoDB Streams consumer of the jobs table: the outbox that turns each committed state change into its
 * consequences (queue the next task, finish the job, start children, count a child, publish a result).
 * Decoding a record is the DynamoDB adapter's business; this handler only adapts the trigger.
 * @module
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { changeOf } from '../adapters/dynamodb/stream-decoder';
import { onChange } from '../engine/on-change';
import { engineDeps } from '../runtime/deps';
import { publishedEvents } from '../runtime/published-events';
import { logger, withRuntime } from '../runtime/middy';
import { processStreamBatch } from '../runtime/stream-processor';

export { changeOf } from '../adapters/dynamodb/stream-decoder';

/** Lambda handler (with `reportBatchItemFailures`). */
export const handler = withRuntime(async (event: DynamoDBStreamEvent) =>
  processStreamBatch(event.Records, (record) => onChange(engineDeps(), changeOf(record), publishedEvents()), {
    onError: (record, error) => logger.warn('stream record failed', { sequenceNumber: record.dynamodb?.SequenceNumber, error: error as Error }),
  }),
);
