/**
 * The AWS-only adapters against mocked clients: lifecycle events on EventBridge (batches of 10, a partial
 * failure thrown so the stream delivers again), and task messages on SQS through the queue topology (the queue
 * of the message's route, delays capped at SQS's 900 s, a route without a queue a typed error).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_SOURCE, EventBridgePublisher } from '../../../functions/adapters/eventbridge/event-publisher';
import { SqsWorkQueue } from '../../../functions/adapters/sqs/work-queue';
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
});
