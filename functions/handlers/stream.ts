/**
 * DynamoDB Streams consumer of the jobs table: the outbox that turns each committed state change into its
 * consequences (queue the next task, finish the job, start children, count a child, publish a result).
 * Decoding a record is the DynamoDB adapter's business; this handler only adapts the trigger.
 * @module
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { changeOf } from '../adapters/dynamodb/stream-decoder';
import { onChange, type ItemChange } from '../engine/on-change';
import { StreamBatch } from '../engine/stream-batch';
import { engineDeps } from '../runtime/deps';
import { publishedEvents } from '../runtime/published-events';
import { logger, withRuntime } from '../runtime/middy';
import { lowestSequence, processStreamBatch } from '../runtime/stream-processor';

export { changeOf } from '../adapters/dynamodb/stream-decoder';

type Decoded = { change: ItemChange } | { error: unknown };

function decodeAll(records: readonly DynamoDBRecord[]): Map<DynamoDBRecord, Decoded> {
  return new Map(
    records.map((record): [DynamoDBRecord, Decoded] => {
      try {
        return [record, { change: changeOf(record) }];
      } catch (error) {
        // Reported as that record's failure below, in its turn.
        return [record, { error }];
      }
    }),
  );
}

/** Lambda handler (with `reportBatchItemFailures`). */
export const handler = withRuntime(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const deps = engineDeps();
  const decoded = decodeAll(event.Records);
  const changes = [...decoded.values()].flatMap((d) => ('change' in d ? [d.change] : []));
  // The jobs the batch's task changes react from, in one read; each change falls back to its own read.
  const batch = await StreamBatch.readAhead(deps, changes).catch((error: unknown) => {
    logger.warn('stream read-ahead failed; reading per record', { error: error as Error });
    return new StreamBatch();
  });
  const handled = await processStreamBatch(
    event.Records,
    async (record) => {
      const d = decoded.get(record)!;
      if ('error' in d) throw d.error;
      await onChange(deps, d.change, publishedEvents(), batch.forRecord(record.dynamodb?.SequenceNumber ?? ''));
    },
    { onError: (record, error) => logger.warn('stream record failed', { sequenceNumber: record.dynamodb?.SequenceNumber, error: error as Error }) },
  );
  // The children the batch finished, counted per bucket; a count that fails has its records delivered again.
  const uncounted = await batch.flush(deps, (parentId, error) => logger.warn('counting finished children failed', { parentId, error: error as Error }));
  const retryFrom = lowestSequence([...handled.batchItemFailures.map((f) => f.itemIdentifier), ...uncounted]);
  return { batchItemFailures: retryFrom === undefined ? [] : [{ itemIdentifier: retryFrom }] };
});
