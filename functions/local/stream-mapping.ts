import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as SdkStreamRecord,
  type AttributeValue as SdkAttributeValue,
  type DynamoDBStreamsClient,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  AttributeValue as LambdaAttributeValue,
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  StreamRecord as LambdaStreamRecord,
} from 'aws-lambda';
import { LOCAL_REGION } from './client-config';
import { createLambdaContext } from './lambda-context';

/** Durable read position per shard, so a restarted mapping continues where it stopped (at-least-once). */
export interface CheckpointStore {
  /** Sequence number of the last record fully handled in `shardId`, if any. */
  get(shardId: string): Promise<string | undefined>;
  /** Records that every record of `shardId` up to and including `sequenceNumber` is handled. */
  put(shardId: string, sequenceNumber: string): Promise<void>;
}

/** Options for {@link startStreamMapping}. */
export interface StreamMappingOptions {
  /** Client pointed at DynamoDB Local (`@aws-sdk/client-dynamodb-streams`). */
  streamsClient: DynamoDBStreamsClient;
  /** ARN of the table's stream (`LatestStreamArn`). */
  streamArn: string;
  /** The Lambda handler invoked with each batch. */
  handler: (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;
  /** Function name reported in the Lambda context. */
  functionName: string;
  /** Maximum records per invocation, 1..1000 (one GetRecords call fills a batch). Default 100. */
  batchSize?: number;
  /**
   * Retries of the same first-failing record before giving up on it: after
   * `1 + maxRetries` failed invocations it is passed to `onFailure` and skipped
   * (like an on-failure destination); the records after it are retried afresh.
   * When the handler throws (rather than naming the record in a partial batch
   * response) for a batch of several records, exhausting the retries halves
   * the batch instead, until the failing record is alone. Default 5.
   */
  maxRetries?: number;
  /**
   * Delay before polling a shard again after an empty GetRecords, in ms. Default 250: Lambda polls each shard of
   * a DynamoDB stream "at a base rate of 4 times per second" (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html),
   * and polls again at once after a batch it handled.
   */
  pollIntervalMs?: number;
  /**
   * Simulates at-least-once delivery: every successfully handled record is
   * delivered a second time, in a separate invocation after a random
   * 0..1000 ms delay (so possibly after later records). The copy's outcome is
   * only logged; it never affects checkpoints.
   */
  duplicateDelivery?: boolean;
  /** Where shard positions are stored; see {@link createTableCheckpointStore} / {@link createMemoryCheckpointStore}. */
  checkpoints: CheckpointStore;
  /**
   * Where to start in a shard without checkpoint. Default `TRIM_HORIZON`.
   * As with Lambda, `LATEST` applies only to shards that exist when the
   * mapping starts; shards created later are always read from their start.
   */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Receives a record that failed `1 + maxRetries` times, with the last error, before it is skipped. */
  onFailure?: (records: DynamoDBRecord[], error: unknown) => void;
  /** Called once per handler invocation (duplicates included) with its record count. */
  onInvoke?: (recordCount: number) => void;
  /** Diagnostic log lines (handler failures, retries, stream errors). Default: discarded. */
  log?: (msg: string) => void;
  /** Handler timeout used for the Lambda context's `getRemainingTimeInMillis()` (not enforced). Default 30000. */
  timeoutMs?: number;
}

/** A running stream mapping. */
export interface StreamMapping {
  /** Stops polling and resolves once every in-flight invocation, scheduled duplicates included, has finished. Idempotent. */
  stop(): Promise<void>;
  /**
   * True when the stream has been described, every shard is finished or its
   * last GetRecords returned nothing, and no invocation is in flight or
   * scheduled. Tests and benchmarks poll it to wait for quiescence.
   */
  idle(): boolean;
}

/** How often the stream is re-described to discover new shards. */
const DISCOVERY_INTERVAL_MS = 1_000;
/** First retry delay after a failed invocation; doubles per attempt. */
const RETRY_BASE_MS = 100;
/** Cap of the retry delay. */
const RETRY_MAX_MS = 2_000;
/** Back-off after an API error (DynamoDB Local busy, restarting, stream gone). */
const API_ERROR_BACKOFF_MS = 1_000;
/** GetRecords accepts at most 1000 records per call. */
const MAX_BATCH = 1_000;

type Phase = 'waiting' | 'running' | 'done';

interface ShardState {
  shardId: string;
  parentShardId: string | undefined;
  /** Found in the first DescribeStream (the only shards LATEST applies to). */
  initial: boolean;
  phase: Phase;
  /** The last GetRecords returned no records (and nothing is buffered). */
  lastPollEmpty: boolean;
  inFlight: boolean;
}

interface BatchOutcome {
  /** Number of leading records of the batch that were handled successfully. */
  handled: number;
  /** Why the rest failed (only when `handled < batch.length`). */
  error?: unknown;
  /** The handler named the failed record (partial batch response) rather than failing the whole batch. */
  blamed?: boolean;
}

/**
 * Starts a local equivalent of Lambda's DynamoDB Streams event source mapping.
 *
 * Semantics follow the AWS service:
 * - records of a shard are delivered in order, one batch in flight per shard
 *   (shards are processed concurrently);
 * - a child shard is read only after its parent is closed and drained, and
 *   new shards are discovered by re-describing the stream every second;
 * - a thrown error retries the whole batch; a partial batch response
 *   (`batchItemFailures` with sequence numbers) checkpoints just before the
 *   earliest failed record and redelivers from it; an identifier that is not
 *   in the batch fails the whole batch. Retries back off 100 ms doubling to 2 s;
 * - after `1 + maxRetries` failures of the same first record it goes to
 *   `onFailure` and is skipped; if the handler threw for a multi-record
 *   batch, the batch is first bisected until the failing record is isolated,
 *   so an innocent record is never skipped for a neighbour's fault;
 * - the position is checkpointed after each handled batch, so a restart
 *   continues after the last checkpoint (records after it may be redelivered:
 *   at-least-once);
 * - an expired shard iterator is replaced by one AFTER_SEQUENCE_NUMBER the
 *   checkpoint; a trimmed checkpoint falls back to TRIM_HORIZON.
 *
 * @param opts - See {@link StreamMappingOptions}.
 * @returns Handle with `stop()` and `idle()`.
 */
export function startStreamMapping(opts: StreamMappingOptions): StreamMapping {
  const log = (msg: string): void => opts.log?.(`[${opts.functionName}] ${msg}`);
  const batchSize = Math.min(MAX_BATCH, Math.max(1, Math.floor(opts.batchSize ?? 100)));
  const maxRetries = Math.max(0, opts.maxRetries ?? 5);
  const pollIntervalMs = opts.pollIntervalMs ?? 250;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const startingPosition = opts.startingPosition ?? 'TRIM_HORIZON';
  const client = opts.streamsClient;

  const abort = new AbortController();
  const signal = abort.signal;
  const shards = new Map<string, ShardState>();
  const workers = new Set<Promise<void>>();
  const pendingCopies = new Set<Promise<void>>();
  let described = false;

  // ---- invocation -------------------------------------------------------

  async function invoke(records: SdkStreamRecord[]): Promise<DynamoDBBatchResponse | void> {
    // A fresh event per invocation: handlers may mutate theirs, and Lambda
    // deserializes a new one for every attempt.
    const event: DynamoDBStreamEvent = { Records: records.map((r) => toLambdaStreamRecord(r, opts.streamArn)) };
    opts.onInvoke?.(records.length);
    const context = createLambdaContext(opts.functionName, timeoutMs);
    return Promise.resolve().then(() => opts.handler(event, context));
  }

  async function invokeBatch(batch: SdkStreamRecord[]): Promise<BatchOutcome> {
    let response: DynamoDBBatchResponse | void;
    try {
      response = await invoke(batch);
    } catch (error) {
      return { handled: 0, error };
    }
    const failures = response?.batchItemFailures;
    if (!Array.isArray(failures) || failures.length === 0) return { handled: batch.length };
    let earliest = batch.length;
    for (const failure of failures as unknown[]) {
      const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      const index = typeof id === 'string' ? batch.findIndex((r) => r.dynamodb?.SequenceNumber === id) : -1;
      if (index < 0) {
        return { handled: 0, error: new Error(`invalid batchItemFailures entry ${JSON.stringify(failure)}: whole batch failed`) };
      }
      earliest = Math.min(earliest, index);
    }
    return {
      handled: earliest,
      blamed: true,
      error: new Error(`handler reported record ${String(batch[earliest]?.dynamodb?.SequenceNumber)} as failed`),
    };
  }

  function scheduleCopy(records: SdkStreamRecord[]): void {
    const delay = Math.floor(Math.random() * 1_000);
    const done = (async () => {
      await new Promise((r) => setTimeout(r, delay));
      try {
        await invoke(records);
      } catch (err) {
        log(`duplicate delivery failed (ignored): ${errorText(err)}`);
      }
    })();
    pendingCopies.add(done);
    void done.finally(() => pendingCopies.delete(done));
  }

  // ---- shard reading ----------------------------------------------------

  async function checkpoint(shardId: string, sequenceNumber: string): Promise<void> {
    try {
      await opts.checkpoints.put(shardId, sequenceNumber);
    } catch (err) {
      // Not fatal: the position is kept in memory; a restart would redeliver (at-least-once).
      log(`checkpoint ${shardId}@${sequenceNumber} failed: ${errorText(err)}`);
    }
  }

  /**
   * A new iterator for `state`: after `position` when there is one, else at
   * the shard's start (or tip, for LATEST on initial shards). `fromStart`
   * forces TRIM_HORIZON (used when the data at the position was trimmed).
   */
  async function iteratorFor(state: ShardState, position: string | undefined, fromStart = false): Promise<string | undefined> {
    let type: ShardIteratorType;
    if (fromStart) type = 'TRIM_HORIZON';
    else if (position !== undefined) type = 'AFTER_SEQUENCE_NUMBER';
    else type = state.initial && startingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON';
    try {
      const res = await client.send(
        new GetShardIteratorCommand({
          StreamArn: opts.streamArn,
          ShardId: state.shardId,
          ShardIteratorType: type,
          ...(type === 'AFTER_SEQUENCE_NUMBER' ? { SequenceNumber: position } : {}),
        }),
      );
      return res.ShardIterator;
    } catch (err) {
      if (type === 'AFTER_SEQUENCE_NUMBER' && errorName(err) === 'TrimmedDataAccessException') {
        // The checkpointed record aged out of the stream (24 h): resume at the oldest record still there.
        log(`checkpoint ${String(position)} of ${state.shardId} was trimmed; resuming at TRIM_HORIZON`);
        return iteratorFor(state, position, true);
      }
      throw err;
    }
  }

  async function runShard(state: ShardState): Promise<void> {
    const { shardId } = state;
    let position: string | undefined;
    let iterator: string | undefined;
    // Retry setup until it works: DynamoDB Local may be briefly unavailable.
    while (!signal.aborted) {
      try {
        position = await opts.checkpoints.get(shardId);
        iterator = await iteratorFor(state, position);
        break;
      } catch (err) {
        log(`cannot open shard ${shardId}: ${errorText(err)}`);
        await sleep(API_ERROR_BACKOFF_MS, signal);
      }
    }

    let buffer: SdkStreamRecord[] = [];
    let closed = iterator === undefined; // a closed and already trimmed shard may yield no iterator
    let failingSeq: string | undefined; // first unhandled record of the last failed attempt
    let failures = 0; // consecutive failed attempts at failingSeq (with the current batch limit)
    let limit = batchSize; // shrinks while bisecting a batch whose handler keeps throwing
    let bisectUntil: string | undefined; // last record of the batch that started the bisection

    while (!signal.aborted) {
      if (buffer.length === 0) {
        if (closed) {
          state.phase = 'done';
          state.lastPollEmpty = true;
          return;
        }
        try {
          const res = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
          buffer = res.Records ?? [];
          iterator = res.NextShardIterator;
          closed = iterator === undefined;
        } catch (err) {
          const name = errorName(err);
          if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') {
            // Iterators live 15 minutes; an idle or long-retrying shard can outlive one.
            // Trimmed: the iterator points at records older than the stream keeps (24 h).
            if (name === 'TrimmedDataAccessException') log(`iterator of ${shardId} points at trimmed data; resuming at TRIM_HORIZON`);
            try {
              iterator = await iteratorFor(state, position, name === 'TrimmedDataAccessException');
              closed = iterator === undefined;
            } catch (inner) {
              log(`cannot renew iterator of ${shardId}: ${errorText(inner)}`);
              await sleep(API_ERROR_BACKOFF_MS, signal);
            }
            continue;
          }
          log(`GetRecords on ${shardId} failed: ${errorText(err)}`);
          state.lastPollEmpty = false;
          await sleep(API_ERROR_BACKOFF_MS, signal);
          continue;
        }
        state.lastPollEmpty = buffer.length === 0;
        if (buffer.length === 0) {
          if (!closed) await sleep(pollIntervalMs, signal);
          continue;
        }
      }

      // Stopped while fetching: leave the records for the next start (they are after the checkpoint).
      if (signal.aborted) return;
      const batch = buffer.slice(0, limit);
      state.inFlight = true;
      let outcome: BatchOutcome;
      try {
        outcome = await invokeBatch(batch);
      } finally {
        state.inFlight = false;
      }

      if (outcome.handled > 0) {
        const handled = buffer.splice(0, outcome.handled);
        const last = handled[handled.length - 1]?.dynamodb?.SequenceNumber;
        if (last !== undefined) {
          position = last;
          await checkpoint(shardId, last);
        }
        if (opts.duplicateDelivery) scheduleCopy(handled);
        if (bisectUntil !== undefined && handled.some((r) => r.dynamodb?.SequenceNumber === bisectUntil)) {
          // Got past the batch that started the bisection: back to full batches.
          limit = batchSize;
          bisectUntil = undefined;
        }
      }
      if (outcome.handled === batch.length) {
        failingSeq = undefined;
        failures = 0;
        continue;
      }

      // buffer[0] is now the first record that was not handled.
      const first = buffer[0];
      const seq = first?.dynamodb?.SequenceNumber;
      if (seq !== failingSeq) {
        failingSeq = seq;
        failures = 0;
      }
      failures++;
      if (failures > maxRetries && first !== undefined) {
        if (!outcome.blamed && batch.length > 1) {
          // Whole-batch retries are exhausted and a thrown error does not say which record is bad.
          // Skipping batch[0] could drop an innocent record, so bisect (like Lambda's
          // BisectBatchOnFunctionError) until a single failing record is isolated.
          bisectUntil ??= batch[batch.length - 1]?.dynamodb?.SequenceNumber;
          limit = Math.ceil(batch.length / 2);
          failingSeq = undefined;
          failures = 0;
          log(`batch of ${batch.length} on ${shardId} still failing after ${maxRetries + 1} attempts; retrying in batches of ${limit}`);
          continue;
        }
        log(`record ${String(seq)} of ${shardId} failed ${failures} times; skipping it: ${errorText(outcome.error)}`);
        try {
          opts.onFailure?.([toLambdaStreamRecord(first, opts.streamArn)], outcome.error);
        } catch (err) {
          log(`onFailure threw: ${errorText(err)}`);
        }
        buffer.shift();
        if (seq !== undefined) {
          position = seq;
          await checkpoint(shardId, seq);
        }
        failingSeq = undefined;
        failures = 0;
        // The culprit is out; the rest of the bisected batch goes back to full batches.
        limit = batchSize;
        bisectUntil = undefined;
        continue;
      }
      const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (failures - 1));
      log(`batch of ${batch.length} on ${shardId} failed (attempt ${failures}/${maxRetries + 1} at ${String(seq)}), retrying in ${delay} ms: ${errorText(outcome.error)}`);
      await sleep(delay, signal);
    }
  }

  // ---- shard discovery --------------------------------------------------

  function startEligibleShards(): void {
    if (signal.aborted) return;
    for (const state of shards.values()) {
      if (state.phase !== 'waiting') continue;
      const parent = state.parentShardId === undefined ? undefined : shards.get(state.parentShardId);
      // A parent missing from the description has been trimmed away: nothing left to drain.
      if (parent !== undefined && parent.phase !== 'done') continue;
      state.phase = 'running';
      const worker = runShard(state)
        .catch((err: unknown) => log(`shard ${state.shardId} stopped unexpectedly: ${errorText(err)}`))
        .finally(() => {
          workers.delete(worker);
          // Its children may start now.
          startEligibleShards();
        });
      workers.add(worker);
    }
  }

  async function describeAllShards(): Promise<Shard[]> {
    const all: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const res = await client.send(
        new DescribeStreamCommand({
          StreamArn: opts.streamArn,
          ...(exclusiveStartShardId !== undefined ? { ExclusiveStartShardId: exclusiveStartShardId } : {}),
        }),
      );
      all.push(...(res.StreamDescription?.Shards ?? []));
      exclusiveStartShardId = res.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined && !signal.aborted);
    return all;
  }

  async function discoveryLoop(): Promise<void> {
    while (!signal.aborted) {
      try {
        const found = await describeAllShards();
        for (const shard of found) {
          if (shard.ShardId === undefined || shards.has(shard.ShardId)) continue;
          shards.set(shard.ShardId, {
            shardId: shard.ShardId,
            parentShardId: shard.ParentShardId,
            initial: !described,
            phase: 'waiting',
            lastPollEmpty: false,
            inFlight: false,
          });
        }
        described = true;
        startEligibleShards();
      } catch (err) {
        log(`DescribeStream failed: ${errorText(err)}`);
      }
      await sleep(DISCOVERY_INTERVAL_MS, signal);
    }
  }

  const discovery = discoveryLoop();
  let stopping: Promise<void> | undefined;

  return {
    stop: () =>
      (stopping ??= (async () => {
        abort.abort();
        await discovery;
        while (workers.size > 0) await Promise.allSettled([...workers]);
        while (pendingCopies.size > 0) await Promise.allSettled([...pendingCopies]);
      })()),
    idle: () => {
      if (pendingCopies.size > 0) return false;
      if (signal.aborted) return workers.size === 0;
      if (!described) return false;
      for (const s of shards.values()) {
        if (s.phase === 'done') continue;
        if (s.phase === 'waiting' || s.inFlight || !s.lastPollEmpty) return false;
      }
      return true;
    },
  };
}

// ---- record conversion ----------------------------------------------------

/**
 * Converts a record returned by the DynamoDB Streams API (SDK v3 shape) into
 * the record Lambda passes to stream handlers: `eventSource: 'aws:dynamodb'`,
 * `eventSourceARN` set, `ApproximateCreationDateTime` in epoch seconds, binary
 * attribute values as base64 strings, and `userIdentity` in Lambda's
 * lower-case form (TTL deletions). Absent fields are omitted, not `undefined`.
 *
 * @param record - A record from GetRecords.
 * @param streamArn - The stream's ARN (Lambda adds it as `eventSourceARN`).
 */
export function toLambdaStreamRecord(record: SdkStreamRecord, streamArn: string): DynamoDBRecord {
  const src = record.dynamodb ?? {};
  const dynamodb: LambdaStreamRecord = {};
  if (src.ApproximateCreationDateTime !== undefined) {
    dynamodb.ApproximateCreationDateTime = Math.floor(src.ApproximateCreationDateTime.getTime() / 1000);
  }
  if (src.Keys !== undefined) dynamodb.Keys = toLambdaImage(src.Keys);
  if (src.NewImage !== undefined) dynamodb.NewImage = toLambdaImage(src.NewImage);
  if (src.OldImage !== undefined) dynamodb.OldImage = toLambdaImage(src.OldImage);
  if (src.SequenceNumber !== undefined) dynamodb.SequenceNumber = src.SequenceNumber;
  if (src.SizeBytes !== undefined) dynamodb.SizeBytes = src.SizeBytes;
  if (src.StreamViewType !== undefined) dynamodb.StreamViewType = src.StreamViewType;

  const out: DynamoDBRecord = {
    eventSource: 'aws:dynamodb',
    eventSourceARN: streamArn,
    // DynamoDB Local reports region "ddblocal"; pass it through as Lambda passes the real one.
    awsRegion: record.awsRegion ?? LOCAL_REGION,
    eventVersion: record.eventVersion ?? '1.1',
    dynamodb,
  };
  if (record.eventID !== undefined) out.eventID = record.eventID;
  if (record.eventName !== undefined) out.eventName = record.eventName;
  if (record.userIdentity !== undefined) {
    out.userIdentity = { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId };
  }
  return out;
}

function toLambdaImage(image: Record<string, SdkAttributeValue>): Record<string, LambdaAttributeValue> {
  const out: Record<string, LambdaAttributeValue> = {};
  for (const [name, value] of Object.entries(image)) out[name] = toLambdaAttributeValue(value);
  return out;
}

/** SDK AttributeValue (binary as Uint8Array) → Lambda event AttributeValue (binary as base64). */
function toLambdaAttributeValue(value: SdkAttributeValue): LambdaAttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.SS !== undefined) return { SS: [...value.SS] };
  if (value.NS !== undefined) return { NS: [...value.NS] };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttributeValue) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  // The SDK's stream deserializer turns an empty map {M:{}} into {} (an empty list keeps {L:[]}), so {} is an empty map.
  if (Object.keys(value).length === 0) return { M: {} };
  throw new Error(`unsupported attribute value ${JSON.stringify(value)}`);
}

function base64(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
}

// ---- checkpoint stores ------------------------------------------------------

/**
 * An in-memory {@link CheckpointStore}: positions survive a restart of the
 * mapping within the process, not of the process.
 */
export function createMemoryCheckpointStore(): CheckpointStore {
  const positions = new Map<string, string>();
  return {
    get: async (shardId) => positions.get(shardId),
    put: async (shardId, sequenceNumber) => {
      positions.set(shardId, sequenceNumber);
    },
  };
}

/**
 * A {@link CheckpointStore} backed by a DynamoDB table with a string hash key
 * `pk` (see {@link ensureCheckpointTable}). Items look like
 * `{ pk: keyPrefix + shardId, sequenceNumber, updatedAt }`. Kept in the same
 * DynamoDB Local as the stream, so checkpoints persist exactly when the
 * stream does (`dataDir`).
 *
 * @param docClient - Document client for the database holding the table.
 * @param tableName - The checkpoint table.
 * @param keyPrefix - Prepended to shard ids. Shard ids are per stream, so two
 *   mappings reading the same stream (two functions) must use different
 *   prefixes (e.g. the function name) or they would share positions. Default `''`.
 */
export function createTableCheckpointStore(docClient: DynamoDBDocumentClient, tableName: string, keyPrefix = ''): CheckpointStore {
  return {
    get: async (shardId) => {
      const res = await docClient.send(new GetCommand({ TableName: tableName, Key: { pk: keyPrefix + shardId }, ConsistentRead: true }));
      const value: unknown = res.Item?.sequenceNumber;
      return typeof value === 'string' ? value : undefined;
    },
    put: async (shardId, sequenceNumber) => {
      await docClient.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: keyPrefix + shardId, sequenceNumber, updatedAt: new Date().toISOString() },
        }),
      );
    },
  };
}

/**
 * Creates the checkpoint table (`pk` string hash key, on-demand) if it does
 * not exist yet, and waits until it is ACTIVE. Safe to call on every start.
 *
 * @param client - Low-level client for the database that should hold the table.
 * @param tableName - Name of the checkpoint table.
 */
export async function ensureCheckpointTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  } catch (err) {
    // Already there (e.g. persisted in the data directory): fine.
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  // DynamoDB Local creates tables synchronously, but a real endpoint would not.
  for (let i = 0; i < 120; i++) {
    const res = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (res.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`checkpoint table ${tableName} did not become ACTIVE`);
}

// ---- helpers ----------------------------------------------------------------

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Sleeps `ms`, returning early when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
