/**
 * Processes a DynamoDB stream batch in parallel across items and in order within an item, and reports the
 * first failed record so the event source mapping resumes from it.
 *
 * Why not Powertools' BatchProcessor here: its parallel mode ignores per-item order and its sequential mode
 * runs one record at a time; a stream needs order per key only (as Lambda's ParallelizationFactor does).
 * @module
 */
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';

/** Options of {@link processStreamBatch}. */
export interface StreamBatchOptions {
  /** Items processed at the same time. @default 16 */
  concurrency?: number;
  onError?: (record: DynamoDBRecord, error: unknown) => void;
}

function keyOf(record: DynamoDBRecord): string {
  const keys = record.dynamodb?.Keys ?? {};
  // Sorted names: the same item always groups together, whatever order the attributes arrive in.
  return JSON.stringify(Object.keys(keys).sort().map((k) => [k, keys[k]]));
}

/**
 * Runs `onRecord` for every record; on failure returns the lowest failed sequence number as the only batch item
 * failure (the stream redelivers from there, and every later record too: handlers are idempotent).
 */
export async function processStreamBatch(
  records: readonly DynamoDBRecord[],
  onRecord: (record: DynamoDBRecord) => Promise<void>,
  opts: StreamBatchOptions = {},
): Promise<DynamoDBBatchResponse> {
  const groups = new Map<string, DynamoDBRecord[]>();
  for (const record of records) {
    const key = keyOf(record);
    const list = groups.get(key);
    if (list) list.push(record);
    else groups.set(key, [record]);
  }
  const failed: DynamoDBRecord[] = [];
  const queue = [...groups.values()];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(Math.max(1, opts.concurrency ?? 16), queue.length) }, async () => {
      while (next < queue.length) {
        const group = queue[next++]!;
        for (const record of group) {
          try {
            await onRecord(record);
          } catch (err) {
            opts.onError?.(record, err);
            failed.push(record);
            break; // later records of this item must wait for this one
          }
        }
      }
    }),
  );
  const from = lowestSequence(failed.map((r) => r.dynamodb?.SequenceNumber ?? '0'));
  return { batchItemFailures: from === undefined ? [] : [{ itemIdentifier: from }] };
}

/** The lowest of stream sequence numbers (decimal strings, compared as numbers); undefined for none. */
export function lowestSequence(sequences: readonly string[]): string | undefined {
  let lowest: string | undefined;
  for (const s of sequences) if (s !== '' && (lowest === undefined || BigInt(s) < BigInt(lowest))) lowest = s;
  return lowest;
}
