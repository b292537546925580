/**
 * The local stack's durable timers behave like EventBridge Scheduler: a timer is delivered to the queue of the
 * message's route (the work queue's `send`), an unknown route is refused when the timer is set, the first timer
 * of a name stands, and one timer that cannot be delivered does not hold up the others.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { TableRetryScheduler } from '../../../functions/adapters/scheduler/table-scheduler';
import type { TaskMessage } from '../../../functions/core/model';
import { UnknownRouteError, queueRouteOf } from '../../../functions/core/routing';
import type { WorkQueue } from '../../../functions/ports';
import { NOW, taskMessage } from '../../helpers/core-factories';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const sdk = mockClient(doc);
afterEach(() => sdk.reset());

const ROUTES = new Set(['demo', 'demo@edge-1']);
const scheduler = () => new TableRetryScheduler({ client: doc, tableName: 'timers', hasRoute: (r) => ROUTES.has(r) });

describe('TableRetryScheduler', () => {
  it("a pinned task's timer names its provider@executor route, and is written only once per name", async () => {
    sdk.on(PutCommand).resolves({});
    const message = taskMessage({ preLock: 'edge-1' });
    await scheduler().scheduleAt('jobx-J1-0-1', NOW, message);
    const put = sdk.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ TableName: 'timers', Item: { name: 'jobx-J1-0-1', at: NOW, route: 'demo@edge-1' }, ConditionExpression: 'attribute_not_exists(#name)' });
  });

  it('a second timer of the same name is a no-op (as ConflictException is on AWS)', async () => {
    sdk.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    await expect(scheduler().scheduleAt('n', NOW, taskMessage())).resolves.toBeUndefined();
  });

  it('an unknown route is an UnknownRouteError and nothing is written', async () => {
    await expect(scheduler().scheduleAt('n', NOW, taskMessage({ preLock: 'edge-2' }))).rejects.toBeInstanceOf(UnknownRouteError);
    expect(sdk.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('delivers due timers through the work queue; one that fails stays and does not block the others', async () => {
    const messages = [taskMessage({ jobId: 'A', preLock: 'edge-1' }), taskMessage({ jobId: 'B', provider: 'gone' }), taskMessage({ jobId: 'C' })];
    sdk.on(ScanCommand).resolves({ Items: messages.map((m) => ({ name: `t-${m.jobId}`, at: NOW, message: JSON.stringify(m) })) });
    sdk.on(DeleteCommand).resolves({});
    const sent: Array<{ route: string; jobId: string }> = [];
    const queue: WorkQueue = {
      hasProvider: (r) => ROUTES.has(r),
      isExternal: () => false,
      maxTaskSeconds: () => undefined,
      declaredInboxes: () => [],
      sendMany: async () => {
        throw new Error('not used by the scheduler');
      },
      waiting: async () => 0,
      send: async (m: TaskMessage) => {
        const route = queueRouteOf(m);
        if (!ROUTES.has(route)) throw new UnknownRouteError(route);
        sent.push({ route, jobId: m.jobId });
      },
    };

    const error = await scheduler()
      .deliverDue(queue, NOW)
      .catch((e: unknown) => e);

    expect(sent).toEqual([
      { route: 'demo@edge-1', jobId: 'A' },
      { route: 'demo', jobId: 'C' },
    ]);
    expect(sdk.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key)).toEqual([{ name: 't-A' }, { name: 't-C' }]);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toHaveLength(1);
  });
});
