/**
 * The EventBridge Scheduler adapter against a mocked SchedulerClient: a long retry goes to the queue of the
 * message's route (`provider@executor` when pinned, as the work queue sends it), a replay of the same attempt is
 * a no-op (ConflictException), and a route without a queue is a typed error, not a send to some other queue.
 */
import { ConflictException, CreateScheduleCommand, SchedulerClient, ValidationException } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { UnknownRouteError, scheduleNameOf } from '../../../functions/core/routing';
import { EventBridgeRetryScheduler } from '../../../functions/adapters/scheduler/eventbridge-scheduler';
import type { ProviderQueues } from '../../../functions/adapters/sqs/work-queue';
import { taskMessage } from '../../helpers/core-factories';

const AT = Date.parse('2026-11-25T12:00:00.000Z');
const queue = (name: string) => ({ queueUrl: `https://sqs.eu-west-1.amazonaws.com/123/${name}`, queueArn: `arn:aws:sqs:eu-west-1:123:${name}` });
const providers: ProviderQueues = { demo: queue('jobx-demo'), 'demo@edge-1': queue('jobx-demo-edge-1') };

const sdk = mockClient(SchedulerClient);
afterEach(() => sdk.reset());

function scheduler(deadLetterArn?: string): EventBridgeRetryScheduler {
  return new EventBridgeRetryScheduler({ client: new SchedulerClient({ region: 'eu-west-1' }), groupName: 'jobx', roleArn: 'arn:aws:iam::123:role/scheduler', providers, ...(deadLetterArn ? { deadLetterArn } : {}) });
}

describe('EventBridgeRetryScheduler', () => {
  it("a pinned task's long retry targets the provider@executor queue", async () => {
    // Prepare
    sdk.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123:schedule/jobx/x' });
    const message = taskMessage({ preLock: 'edge-1', attempt: 2 });

    // Act
    await scheduler().scheduleAt(scheduleNameOf(message), AT, message);

    // Assess
    const calls = sdk.commandCalls(CreateScheduleCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({
      Name: scheduleNameOf(message),
      GroupName: 'jobx',
      ScheduleExpression: 'at(2026-11-25T12:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: providers['demo@edge-1']!.queueArn, RoleArn: 'arn:aws:iam::123:role/scheduler' },
    });
    expect(JSON.parse(input.Target!.Input!)).toEqual(message);
  });

  it('an unpinned task targets its provider queue; the time is rounded up to the second, never early', async () => {
    sdk.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    const message = taskMessage();
    await scheduler().scheduleAt('n', AT + 1, message);
    expect(sdk.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toMatchObject({
      ScheduleExpression: 'at(2026-11-25T12:00:01)',
      Target: { Arn: providers.demo!.queueArn },
    });
  });

  it('with a dead-letter queue configured, every schedule names it (an undeliverable retry lands there, alarmed)', async () => {
    sdk.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    await scheduler('arn:aws:sqs:eu-west-1:123:jobx-schedule-failures').scheduleAt('n', AT, taskMessage());
    expect(sdk.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target).toMatchObject({ DeadLetterConfig: { Arn: 'arn:aws:sqs:eu-west-1:123:jobx-schedule-failures' } });
    sdk.resetHistory();
    await scheduler().scheduleAt('n', AT, taskMessage());
    expect(sdk.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target!.DeadLetterConfig).toBeUndefined();
  });

  it('a replay of the same attempt (ConflictException) is swallowed: the first schedule stands', async () => {
    sdk.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'Schedule already exists', Message: 'Schedule already exists', $metadata: {} }));
    const message = taskMessage({ preLock: 'edge-1' });
    await expect(scheduler().scheduleAt(scheduleNameOf(message), AT, message)).resolves.toBeUndefined();
    expect(sdk.commandCalls(CreateScheduleCommand)).toHaveLength(1);
  });

  it('other errors are passed on (the stream retries the record)', async () => {
    sdk.on(CreateScheduleCommand).rejects(new ValidationException({ message: 'bad', Message: 'bad', $metadata: {} }));
    await expect(scheduler().scheduleAt('n', AT, taskMessage())).rejects.toBeInstanceOf(ValidationException);
  });

  it.each([
    ['a pinned task whose executor has no deployment', { preLock: 'edge-2' }, 'demo@edge-2'],
    ['an unknown provider', { provider: 'nope' }, 'nope'],
    ['a provider named like an Object member', { provider: 'constructor' }, 'constructor'],
  ])('%s is an UnknownRouteError, and nothing is scheduled', async (_, extra, route) => {
    const error = await scheduler()
      .scheduleAt('n', AT, taskMessage(extra))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownRouteError);
    expect(error).toMatchObject({ route, code: 'UNKNOWN_PROVIDER' });
    expect(sdk.commandCalls(CreateScheduleCommand)).toHaveLength(0);
  });
});
