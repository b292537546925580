/**
 * The AWS-only adapters against mocked clients: lifecycle events on EventBridge (batches of 10, a partial
 * failure thrown so the stream delivers again), and task messages on SQS through the queue topology (the queue
 * of the message's route, delays capped at SQS's 900 s, a route without a queue a typed error, many at once ten
 * to a request).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_SOURCE, EventBridgePublisher } from '../../../functions/adapters/eventbridge/event-publisher';
import { SqsWorkQueue, batchesOf } from '../../../functions/adapters/sqs/work-queue';
import { UnknownRouteError } from '../../../functions/core/routing';
import { queueNameOf, queuesOf } from '../../../functions/core/topology';
import { taskMessage } from '../../helpers/core-factories';

const events = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
afterEach(() => {
  events.reset();
  sqs.reset();
});

describe('EventBridgePublisher', () => {
  it('puts every event on the bus with source jobx, 10 per call', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const publisher = new EventBridgePublisher({ client: new EventBridgeClient({ region: 'eu-west-1' }), busName: 'bus' });
    await publisher.publish(Array.from({ length: 23 }, (_, i) => ({ type: 'jobx.job.succeeded', detail: { jobId: `J${i}` } })));
    const calls = events.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries!.length)).toEqual([10, 10, 3]);
    expect(calls[0]!.args[0].input.Entries![0]).toEqual({ EventBusName: 'bus', Source: EVENT_SOURCE, DetailType: 'jobx.job.succeeded', Detail: '{"jobId":"J0"}' });
  });

  it('a partially refused batch throws, so the stream record is delivered again', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    const publisher = new EventBridgePublisher({ client: new EventBridgeClient({ region: 'eu-west-1' }), busName: 'bus' });
    await expect(publisher.publish([{ type: 'jobx.task.failed', detail: {} }])).rejects.toThrow(/refused 1 of 1/);
  });
});

describe('SqsWorkQueue through the queue topology', () => {
  const topology = { urlPrefix: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobx-ab12cd34-', arnPrefix: 'arn:aws:sqs:eu-west-1:123456789012:jobx-ab12cd34-', routes: ['demo', 'demo@edge-1'] };
  const work = () => new SqsWorkQueue({ client: new SQSClient({ region: 'eu-west-1' }), providers: queuesOf(topology) });

  it("sends to the queue of the message's route, as CloudFormation named it; a pinned task to its executor's", async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    await work().send(taskMessage({ provider: 'demo' }));
    await work().send(taskMessage({ provider: 'demo', preLock: 'edge-1' }));
    const urls = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input.QueueUrl);
    expect(urls).toEqual([
      `https://sqs.eu-west-1.amazonaws.com/123456789012/${queueNameOf('jobx-ab12cd34-', 'demo')}`,
      `https://sqs.eu-west-1.amazonaws.com/123456789012/${queueNameOf('jobx-ab12cd34-', 'demo@edge-1')}`,
    ]);
  });

  it('caps a delay at 900 s and rounds it up; a route without a queue is UnknownRouteError, nothing sent', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    await work().send(taskMessage({ provider: 'demo' }), 12.2);
    await work().send(taskMessage({ provider: 'demo' }), 5_000);
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input.DelaySeconds)).toEqual([13, 900]);
    await expect(work().send(taskMessage({ provider: 'resize' }))).rejects.toBeInstanceOf(UnknownRouteError);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(2);
  });

  it('sends many messages ten to a request per queue; an entry the batch refused is sent once more on its own', async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({
      Successful: input.Entries.filter((e) => e.Id !== '3').map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: 'x' })),
      Failed: input.Entries.some((e) => e.Id === '3') ? [{ Id: '3', Code: 'InternalError', SenderFault: false }] : [],
    }));
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const messages = [...Array.from({ length: 23 }, (_, i) => taskMessage({ jobId: `J${i}`, provider: 'demo' })), taskMessage({ jobId: 'P', provider: 'demo', preLock: 'edge-1' })];
    await work().sendMany(messages);
    const batches = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.map((e) => JSON.parse(e.MessageBody!).jobId));
    expect(batches).toEqual([Array.from({ length: 10 }, (_, i) => `J${i}`), Array.from({ length: 10 }, (_, i) => `J${i + 10}`), ['J20', 'J21', 'J22']]);
    // The refused entries (Id 3 of each batch) again, one by one; the pinned task alone on its executor's queue.
    const singles = sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody!).jobId);
    expect(singles).toEqual(['J3', 'J13', 'P']);
  });

  it('a refused entry that cannot be sent on its own either throws (the caller is delivered again)', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: 'x' }], Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] });
    sqs.on(SendMessageCommand).rejects(new Error('throttled'));
    await expect(work().sendMany([taskMessage({ jobId: 'A', provider: 'demo' }), taskMessage({ jobId: 'B', provider: 'demo' })])).rejects.toThrow('throttled');
  });
});

describe('SqsWorkQueue.waiting', () => {
  const topology = { urlPrefix: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobx-ab12cd34-', arnPrefix: 'arn:aws:sqs:eu-west-1:123456789012:jobx-ab12cd34-', routes: ['demo'] };
  it("reads the route's queue's approximate number of visible messages", async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '42' } });
    const work = new SqsWorkQueue({ client: new SQSClient({ region: 'eu-west-1' }), providers: queuesOf(topology) });
    expect(await work.waiting('demo')).toBe(42);
    const call = sqs.commandCalls(GetQueueAttributesCommand)[0]!.args[0].input;
    expect(call).toEqual({ QueueUrl: `https://sqs.eu-west-1.amazonaws.com/123456789012/${queueNameOf('jobx-ab12cd34-', 'demo')}`, AttributeNames: ['ApproximateNumberOfMessages'] });
  });
});

describe('batchesOf', () => {
  it('ten entries a batch, and no more than 256 KiB of bodies: a large body starts a batch of its own', () => {
    const small = 'x'.repeat(1_000);
    const large = 'y'.repeat(200 * 1024);
    expect(batchesOf(Array.from({ length: 12 }, () => small)).map((b) => b.length)).toEqual([10, 2]);
    expect(batchesOf([small, small, large, large, small]).map((b) => b.length)).toEqual([3, 2]);
  });
});
