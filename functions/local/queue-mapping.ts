import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { LOCAL_REGION } from './client-config';
import { createLambdaContext } from './lambda-context';

/** Options for {@link startQueueMapping}. */
export interface QueueMappingOptions {
  /** Client pointed at the SQS endpoint (e.g. the local SQS server). */
  sqsClient: SQSClient;
  /** URL of the queue to consume. */
  queueUrl: string;
  /** ARN of the queue; becomes `eventSourceARN` of every record (its region becomes `awsRegion`). */
  queueArn: string;
  /** The Lambda handler to invoke with each batch. */
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;
  /** Function name reported in the Lambda context. */
  functionName: string;
  /** Maximum messages per invocation, 1..10 (one ReceiveMessage call fills a batch). Default 10. */
  batchSize?: number;
  /**
   * Concurrent batches in flight, each with its own receive loop. While the queue
   * is empty only the first loop polls; the others wake when it finds messages. Default 4.
   */
  maxConcurrency?: number;
  /**
   * Long-poll duration in seconds (`WaitTimeSeconds` of each ReceiveMessage, as Lambda's pollers use 20): a
   * receive returns as soon as any message is available, or empty after this long (the local SQS server answers
   * a long poll early, as SQS does: see `sqs-server.ts`). 0: short polls, spaced by 40 ms when empty. Default 1.
   */
  waitTimeSeconds?: number;
  /** Visibility timeout passed on ReceiveMessage, in seconds. Default 30. */
  visibilityTimeoutSeconds?: number;
  /** Handler timeout used for the Lambda context's `getRemainingTimeInMillis()` (not enforced). Default 30000. */
  timeoutMs?: number;
  /**
   * Simulates SQS's at-least-once delivery: every batch is also delivered a
   * second time, in a separate invocation after a random 0..1000 ms delay,
   * with a copy of the same messages. Only the first delivery's outcome
   * decides what is deleted; the copy's result (or error) is only logged.
   */
  duplicateDelivery?: boolean;
  /** Called once per handler invocation (duplicates included) with its message count. */
  onInvoke?: (messageCount: number) => void;
  /**
   * Called once per SQS request as AWS would bill it: one per receive (long poll), one per delete batch. A receive
   * is reported when it ends, with the number of messages it returned (0: an empty receive).
   */
  onBillableRequest?: (operation: 'ReceiveMessage' | 'DeleteMessageBatch', detail?: { messages: number }) => void;
  /** Diagnostic log lines (handler errors, receive/delete failures). Default: discarded. */
  log?: (msg: string) => void;
}

/** A running queue mapping. */
export interface QueueMapping {
  /** Stops receiving (aborting pending long polls) and resolves once every in-flight invocation, duplicates included, has finished. Idempotent. */
  stop(): Promise<void>;
  /**
   * True when no invocation is in flight or scheduled and every poller is parked after an empty receive or has
   * been waiting in a long poll for a while (one that would have returned a message sent before it began).
   * Messages hidden by a visibility timeout (after a failure) do not count, exactly as they are invisible to SQS
   * consumers.
   */
  idle(): boolean;
}

/** Back-off after a failed ReceiveMessage (queue missing, endpoint down). */
const RECEIVE_ERROR_BACKOFF_MS = 1_000;
/** Minimum spacing of empty receive requests from one poller (short polls, `waitTimeSeconds` 0). */
const MIN_POLL_INTERVAL_MS = 40;
/** A long poll in flight this long has seen every message sent before it began (the server looks every 25 ms). */
const SETTLED_POLL_MS = 60;

/**
 * Starts a local equivalent of Lambda's SQS event source mapping.
 *
 * Like the real poller, it long-polls the queue from several concurrent
 * pollers (`maxConcurrency`), invokes the handler with a Lambda-shaped
 * `SQSEvent`, and afterwards:
 * - handler threw: deletes nothing, so the messages reappear after the
 *   visibility timeout and the queue's RedrivePolicy moves them to the DLQ
 *   after `maxReceiveCount` receives;
 * - handler returned `batchItemFailures`: deletes every other message (if an
 *   identifier does not name a message of the batch, the whole batch counts
 *   as failed, as in AWS);
 * - otherwise: deletes the whole batch.
 * Deletion uses one DeleteMessageBatch request per batch.
 *
 * @param opts - See {@link QueueMappingOptions}.
 * @returns Handle with `stop()` and `idle()`.
 */
export function startQueueMapping(opts: QueueMappingOptions): QueueMapping {
  const log = opts.log ?? (() => undefined);
  const requestedBatch = opts.batchSize ?? 10;
  // ReceiveMessage returns at most 10 messages and DeleteMessageBatch takes at
  // most 10 entries; Lambda's larger batches need a batching window we do not emulate.
  const batchSize = Math.min(10, Math.max(1, Math.floor(requestedBatch)));
  if (batchSize !== requestedBatch) log(`[${opts.functionName}] batchSize ${requestedBatch} clamped to ${batchSize}`);
  const concurrency = Math.max(1, Math.floor(opts.maxConcurrency ?? 4));
  const waitTimeSeconds = opts.waitTimeSeconds ?? 1;
  const visibilityTimeout = opts.visibilityTimeoutSeconds ?? 30;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const region = opts.queueArn.split(':')[3] || LOCAL_REGION;

  const abort = new AbortController();
  const lastReceiveEmpty: boolean[] = Array.from({ length: concurrency }, () => false);
  /** When each poller's receive in flight began (undefined: none in flight). */
  const receiving: Array<number | undefined> = Array.from({ length: concurrency }, () => undefined);
  let inFlight = 0;
  const pendingCopies = new Set<Promise<void>>();

  async function invoke(event: SQSEvent): Promise<SQSBatchResponse | void> {
    opts.onInvoke?.(event.Records.length);
    const context = createLambdaContext(opts.functionName, timeoutMs);
    // Promise.resolve().then turns a synchronous throw into a rejection.
    return Promise.resolve().then(() => opts.handler(event, context));
  }

  function scheduleCopy(event: SQSEvent): void {
    // Deep copy now: the first delivery's handler may mutate its event.
    const copy = structuredClone(event);
    const delay = Math.floor(Math.random() * 1_000);
    const done = (async () => {
      // The copy still fires during stop(): a delivery that was already "in the queue" is not cancelled.
      await new Promise((r) => setTimeout(r, delay));
      try {
        await invoke(copy);
      } catch (err) {
        log(`[${opts.functionName}] duplicate delivery failed (ignored): ${errorText(err)}`);
      }
    })();
    pendingCopies.add(done);
    void done.finally(() => pendingCopies.delete(done));
  }

  async function processBatch(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(m, opts.queueArn, region)) };
    if (opts.duplicateDelivery) scheduleCopy(event);

    let toDelete: SQSRecord[];
    try {
      const response = await invoke(event);
      toDelete = recordsToDelete(event.Records, response, (msg) => log(`[${opts.functionName}] ${msg}`));
    } catch (err) {
      log(`[${opts.functionName}] handler failed; ${messages.length} message(s) return after the visibility timeout: ${errorText(err)}`);
      return;
    }
    if (toDelete.length === 0) return;
    try {
      opts.onBillableRequest?.('DeleteMessageBatch');
      const res = await opts.sqsClient.send(
        new DeleteMessageBatchCommand({
          QueueUrl: opts.queueUrl,
          Entries: toDelete.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      for (const failed of res.Failed ?? []) {
        log(`[${opts.functionName}] delete failed for entry ${failed.Id}: ${failed.Code} ${failed.Message ?? ''}`);
      }
    } catch (err) {
      // Undeleted messages are redelivered: at-least-once, like Lambda.
      log(`[${opts.functionName}] DeleteMessageBatch failed: ${errorText(err)}`);
    }
  }

  // Secondary pollers park while the queue looks empty and are woken when any
  // poller receives messages, so an idle mapping costs one request stream, not maxConcurrency.
  let wake: () => void = () => undefined;
  let woken = new Promise<void>((r) => (wake = r));
  function wakeAll(): void {
    wake();
    woken = new Promise<void>((r) => (wake = r));
  }

  /**
   * One receive, as Lambda's pollers make it: a long poll of `waitTimeSeconds` that returns as soon as any
   * message is available (a partial batch included), or empty when the wait is over.
   */
  async function receive(index: number): Promise<Message[]> {
    let received = 0;
    const started = Date.now();
    receiving[index] = started;
    try {
      const res = await opts.sqsClient.send(
        new ReceiveMessageCommand({
          QueueUrl: opts.queueUrl,
          MaxNumberOfMessages: batchSize,
          WaitTimeSeconds: waitTimeSeconds,
          VisibilityTimeout: visibilityTimeout,
          MessageSystemAttributeNames: ['All'],
          // local-aws-sqs only honours the deprecated AttributeNames; real SQS accepts both.
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: abort.signal },
      );
      const messages = dedupeById(res.Messages ?? []);
      received = messages.length;
      if (messages.length === 0) {
        lastReceiveEmpty[index] = true;
        // Parked, not receiving: the spacing below is idle time (idle() must see it as such).
        receiving[index] = undefined;
        // Short polls answer an empty queue at once: never spin faster than this.
        const elapsed = Date.now() - started;
        if (elapsed < MIN_POLL_INTERVAL_MS) await sleep(MIN_POLL_INTERVAL_MS - elapsed, abort.signal);
      }
      return messages;
    } finally {
      receiving[index] = undefined;
      opts.onBillableRequest?.('ReceiveMessage', { messages: received });
    }
  }

  async function poller(index: number): Promise<void> {
    while (!abort.signal.aborted) {
      if (index > 0 && lastReceiveEmpty[index]) {
        // Woken by activity; the timeout is only a safety net.
        await Promise.race([woken, sleep(Math.max(1_000, waitTimeSeconds * 1_000), abort.signal)]);
        if (abort.signal.aborted) return;
      }
      let messages: Message[];
      try {
        messages = await receive(index);
      } catch (err) {
        if (abort.signal.aborted) return;
        lastReceiveEmpty[index] = false;
        log(`[${opts.functionName}] ReceiveMessage failed: ${errorText(err)}`);
        await sleep(RECEIVE_ERROR_BACKOFF_MS, abort.signal);
        continue;
      }
      if (messages.length === 0) continue;
      lastReceiveEmpty[index] = false;
      wakeAll();
      inFlight++;
      try {
        await processBatch(messages);
      } finally {
        inFlight--;
      }
    }
  }

  const pollers = Array.from({ length: concurrency }, (_, i) => poller(i));
  let stopping: Promise<void> | undefined;

  return {
    stop: () =>
      (stopping ??= (async () => {
        abort.abort();
        await Promise.allSettled(pollers);
        while (pendingCopies.size > 0) await Promise.allSettled([...pendingCopies]);
      })()),
    idle: () => {
      if (inFlight > 0 || pendingCopies.size > 0) return false;
      if (abort.signal.aborted) return true;
      const now = Date.now();
      return lastReceiveEmpty.every((empty, i) => {
        const since = receiving[i];
        return since !== undefined ? now - since >= SETTLED_POLL_MS : empty;
      });
    },
  };
}

/**
 * Decides which records to delete given the handler's response, following
 * Lambda's partial batch response rules.
 */
function recordsToDelete(records: SQSRecord[], response: SQSBatchResponse | void, log: (msg: string) => void): SQSRecord[] {
  const failures = response?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return records;
  const ids = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const f of failures as unknown[]) {
    const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) {
      // AWS treats a malformed or unknown identifier as a failure of the whole batch.
      log(`invalid batchItemFailures entry ${JSON.stringify(f)}; treating the whole batch as failed`);
      return [];
    }
    failed.add(id);
  }
  return records.filter((r) => !failed.has(r.messageId));
}

/** Converts an SDK `Message` into the record shape Lambda passes to SQS handlers. */
function toSqsRecord(m: Message, queueArn: string, region: string): SQSRecord {
  const a = m.Attributes ?? {};
  const attributes: SQSRecordAttributes = {
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
    SentTimestamp: a.SentTimestamp ?? String(Date.now()),
    SenderId: a.SenderId ?? 'LOCAL',
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  };
  // Optional attributes appear only when SQS returned them, as in Lambda events.
  if (a.AWSTraceHeader !== undefined) attributes.AWSTraceHeader = a.AWSTraceHeader;
  if (a.SequenceNumber !== undefined) attributes.SequenceNumber = a.SequenceNumber;
  if (a.MessageGroupId !== undefined) attributes.MessageGroupId = a.MessageGroupId;
  if (a.MessageDeduplicationId !== undefined) attributes.MessageDeduplicationId = a.MessageDeduplicationId;
  if (a.DeadLetterQueueSourceArn !== undefined) attributes.DeadLetterQueueSourceArn = a.DeadLetterQueueSourceArn;

  const record: SQSRecord = {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes,
    messageAttributes: toMessageAttributes(m.MessageAttributes),
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (m.MD5OfMessageAttributes !== undefined) record.md5OfMessageAttributes = m.MD5OfMessageAttributes;
  return record;
}

/** SDK message attributes (PascalCase, Uint8Array binaries) → Lambda's (camelCase, base64 strings). */
function toMessageAttributes(attrs: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, v] of Object.entries(attrs ?? {})) {
    out[name] = {
      dataType: v.DataType ?? 'String',
      stringListValues: v.StringListValues ?? [],
      binaryListValues: (v.BinaryListValues ?? []).map(toBase64),
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { binaryValue: toBase64(v.BinaryValue) } : {}),
    };
  }
  return out;
}

function toBase64(value: Uint8Array | string): string {
  return typeof value === 'string' ? value : Buffer.from(value).toString('base64');
}

/**
 * Drops repeated MessageIds in one response, keeping the last occurrence
 * (its receipt handle is the current one). Defensive: local-aws-sqs could
 * return a message twice in one response when its visibility timeout ran out during the receive.
 */
function dedupeById(messages: Message[]): Message[] {
  const byId = new Map<string, Message>();
  for (const m of messages) byId.set(m.MessageId ?? '', m);
  return byId.size === messages.length ? messages : [...byId.values()];
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
