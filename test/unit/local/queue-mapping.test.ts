import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../functions/local/client-config';
import { startQueueMapping, type QueueMapping, type QueueMappingOptions } from '../../../functions/local/queue-mapping';
import { localQueueArn, startSqsServer, type SqsServerHandle } from '../../../functions/local/sqs-server';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('startQueueMapping', () => {
  let server: SqsServerHandle;
  let sqs: SQSClient;
  /** Entries sent in DeleteMessageBatch requests, counted by a client middleware. */
  let deletedEntries = 0;
  let deleteRequests = 0;
  const mappings: QueueMapping[] = [];
  let queueCounter = 0;

  beforeAll(async () => {
    server = await startSqsServer();
    sqs = new SQSClient(localClientConfig(server.endpoint));
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DeleteMessageBatchCommand') {
          deleteRequests++;
          deletedEntries += (args.input as { Entries?: unknown[] }).Entries?.length ?? 0;
        }
        return next(args);
      },
      { step: 'initialize', name: 'countDeletes' },
    );
  });

  afterEach(async () => {
    await Promise.all(mappings.splice(0).map((m) => m.stop()));
    deletedEntries = 0;
    deleteRequests = 0;
  });

  afterAll(async () => {
    sqs?.destroy();
    await server?.stop();
  });

  async function createQueue(attributes: Record<string, string> = {}): Promise<{ url: string; arn: string; name: string }> {
    const name = `q${++queueCounter}`;
    const res = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (!res.QueueUrl) throw new Error('no QueueUrl');
    return { url: res.QueueUrl, arn: localQueueArn(name), name };
  }

  async function send(url: string, bodies: string[]): Promise<void> {
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: bodies.slice(i, i + 10).map((body, j) => ({
            Id: String(j),
            MessageBody: body,
            MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
          })),
        }),
      );
    }
  }

  async function visibleAndInFlight(url: string): Promise<number> {
    const res = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    const a = res.Attributes ?? {};
    return (
      Number(a.ApproximateNumberOfMessages ?? 0) +
      Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  }

  function start(
    queue: { url: string; arn: string },
    handler: QueueMappingOptions['handler'],
    extra: Partial<QueueMappingOptions> = {},
  ): QueueMapping {
    const mapping = startQueueMapping({
      sqsClient: sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionName: 'test-fn',
      handler,
      waitTimeSeconds: 0,
      visibilityTimeoutSeconds: 1,
      ...extra,
    });
    mappings.push(mapping);
    return mapping;
  }

  // waitTimeSeconds (1) >= visibility timeout (1) on purpose: local-aws-sqs's own long poll would
  // return the trailing partial batch's messages twice in one response.
  it('delivers Lambda-shaped batches of at most batchSize and deletes them', async () => {
    const queue = await createQueue();
    await send(queue.url, Array.from({ length: 25 }, (_, i) => `m${i}`));
    const events: SQSEvent[] = [];
    let contextOk = true;
    const mapping = start(
      queue,
      async (event, context) => {
        events.push(event);
        contextOk &&= context.functionName === 'test-fn' && context.getRemainingTimeInMillis() > 0;
      },
      { batchSize: 10, maxConcurrency: 1, waitTimeSeconds: 1 },
    );
    await waitFor(() => events.flatMap((e) => e.Records).length >= 25 && mapping.idle(), 10_000, '25 messages');
    const bodies = events.flatMap((e) => e.Records.map((r) => r.body));
    expect(bodies.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `m${i}`).sort());
    expect(Math.max(...events.map((e) => e.Records.length))).toBeLessThanOrEqual(10);
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(contextOk).toBe(true);

    const record = events[0]?.Records[0];
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: { kind: { dataType: 'String', stringValue: 'test' } },
    });
    expect(record?.attributes.SentTimestamp).toMatch(/^\d+$/);
    expect(record?.attributes.ApproximateFirstReceiveTimestamp).toMatch(/^\d+$/);
    expect(record?.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(record?.receiptHandle).toBeTruthy();

    expect(deletedEntries).toBe(25);
    expect(deleteRequests).toBe(events.length); // one DeleteMessageBatch per batch
    expect(await visibleAndInFlight(queue.url)).toBe(0);
  });

  it('redelivers only the messages reported in batchItemFailures', async () => {
    const queue = await createQueue();
    await send(queue.url, ['ok1', 'bad', 'ok2']);
    const seen: Array<{ body: string; receiveCount: string }> = [];
    const mapping = start(queue, async (event): Promise<SQSBatchResponse> => {
      const failures = [];
      for (const r of event.Records) {
        seen.push({ body: r.body, receiveCount: r.attributes.ApproximateReceiveCount });
        if (r.body === 'bad' && r.attributes.ApproximateReceiveCount === '1') failures.push({ itemIdentifier: r.messageId });
      }
      return { batchItemFailures: failures };
    });
    await waitFor(() => seen.length >= 4, 10_000, 'redelivery of the failed message');
    await waitFor(() => mapping.idle());
    await sleep(1_200); // longer than the visibility timeout: nothing else may come back
    expect(seen.filter((s) => s.body === 'bad').map((s) => s.receiveCount)).toEqual(['1', '2']);
    expect(seen.filter((s) => s.body !== 'bad').map((s) => s.body).sort()).toEqual(['ok1', 'ok2']);
    expect(await visibleAndInFlight(queue.url)).toBe(0);
  });

  it('redelivers the whole batch when the handler throws', async () => {
    const queue = await createQueue();
    await send(queue.url, ['a', 'b', 'c']);
    const seen: string[] = [];
    let calls = 0;
    const mapping = start(
      queue,
      async (event) => {
        calls++;
        seen.push(...event.Records.map((r) => `${r.body}#${r.attributes.ApproximateReceiveCount}`));
        if (calls === 1) throw new Error('boom');
      },
      { batchSize: 10, maxConcurrency: 1 },
    );
    await waitFor(() => seen.length >= 6 && mapping.idle(), 10_000, 'redelivery of the batch');
    expect(seen.sort()).toEqual(['a#1', 'a#2', 'b#1', 'b#2', 'c#1', 'c#2']);
    expect(await visibleAndInFlight(queue.url)).toBe(0);
  });

  it('duplicateDelivery invokes twice per message but deletes once', async () => {
    const queue = await createQueue();
    await send(queue.url, ['x', 'y', 'z']);
    const seen = new Map<string, number>();
    let invocations = 0;
    const mapping = start(
      queue,
      async (event) => {
        for (const r of event.Records) seen.set(r.messageId, (seen.get(r.messageId) ?? 0) + 1);
      },
      { duplicateDelivery: true, onInvoke: () => invocations++ },
    );
    await waitFor(() => seen.size === 3 && [...seen.values()].every((n) => n === 2) && mapping.idle(), 10_000, 'duplicates');
    expect(deletedEntries).toBe(3);
    expect(invocations % 2).toBe(0);
    expect(await visibleAndInFlight(queue.url)).toBe(0);
  });

  it('lets the queue move a message to the DLQ after maxReceiveCount failures', async () => {
    const dlq = await createQueue();
    const queue = await createQueue({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    await send(queue.url, ['poison']);
    let calls = 0;
    start(queue, async () => {
      calls++;
      throw new Error('always fails');
    });
    let dead: string[] = [];
    await waitFor(() => calls >= 2, 10_000, 'two attempts');
    const deadline = Date.now() + 5_000;
    while (dead.length === 0 && Date.now() < deadline) {
      const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, WaitTimeSeconds: 0 }));
      dead = (res.Messages ?? []).map((m) => m.Body ?? '');
    }
    expect(dead).toEqual(['poison']);
    expect(calls).toBe(2);
    expect(await visibleAndInFlight(queue.url)).toBe(0);
  });

  it('long-polls as Lambda does: a message reaches the handler at once, an idle queue costs one request per wait', async () => {
    const queue = await createQueue();
    const receives: number[] = [];
    const seen: Array<{ body: string; at: number }> = [];
    const mapping = start(queue, async (event) => {
      for (const r of event.Records) seen.push({ body: r.body, at: Date.now() });
    }, { waitTimeSeconds: 20, maxConcurrency: 4, onBillableRequest: (op, d) => op === 'ReceiveMessage' && receives.push(d?.messages ?? 0) });
    // The pollers' first long polls are in flight; the secondary ones park after theirs come back empty (20 s).
    await sleep(300);
    expect(mapping.idle()).toBe(true);
    expect(receives).toEqual([]);
    for (const body of ['a', 'b']) {
      const sent = Date.now();
      await send(queue.url, [body]);
      await waitFor(() => seen.some((s) => s.body === body), 2_000, body);
      // One long poll answers as soon as the message is there (local-aws-sqs alone waited for a full batch).
      expect(seen.find((s) => s.body === body)!.at - sent).toBeLessThan(250);
      await waitFor(() => mapping.idle(), 2_000, 'idle');
    }
    expect(receives.filter((n) => n > 0)).toEqual([1, 1]);
    expect(receives.filter((n) => n === 0)).toEqual([]);
  });

  it('stop() waits for the in-flight batch', async () => {
    const queue = await createQueue();
    await send(queue.url, ['slow']);
    let finished = false;
    let started = false;
    const mapping = start(queue, async () => {
      started = true;
      await sleep(300);
      finished = true;
    });
    await waitFor(() => started);
    await mapping.stop();
    expect(finished).toBe(true);
    expect(mapping.idle()).toBe(true);
  });
});
