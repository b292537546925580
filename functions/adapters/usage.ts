/**
 * Counts AWS requests and DynamoDB capacity on every client jobx creates. The bench reads these figures; on Lambda
 * they cost nothing (no I/O), and DynamoDB consumed capacity is only asked for when `JOBX_COUNT_CAPACITY=1`.
 * @module
 */
import type { Pluggable } from '@smithy/types';

/** Running totals of AWS usage in this process. */
export interface UsageTotals {
  ddbReadUnits: number;
  ddbWriteUnits: number;
  ddbRequests: number;
  sqsRequests: number;
  schedulerRequests: number;
  eventBridgeRequests: number;
  /** Requests per operation name, e.g. `DynamoDB.UpdateItem`. */
  byOperation: Record<string, number>;
}

/** Process-wide usage counters. */
export const usage: UsageTotals = emptyUsage();

function emptyUsage(): UsageTotals {
  return { ddbReadUnits: 0, ddbWriteUnits: 0, ddbRequests: 0, sqsRequests: 0, schedulerRequests: 0, eventBridgeRequests: 0, byOperation: {} };
}

/** Resets every counter to zero. */
export function resetUsage(): void {
  Object.assign(usage, emptyUsage());
}

/** A copy of the counters. */
export function snapshotUsage(): UsageTotals {
  return { ...usage, byOperation: { ...usage.byOperation } };
}

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

const READ_OPS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand', 'GetCommand', 'BatchGetCommand']);

function addCapacity(op: string, consumed: Capacity | Capacity[] | undefined): void {
  if (!consumed) return;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  for (const c of list) {
    if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
      usage.ddbReadUnits += c.ReadCapacityUnits ?? 0;
      usage.ddbWriteUnits += c.WriteCapacityUnits ?? 0;
    } else if (READ_OPS.has(op)) usage.ddbReadUnits += c.CapacityUnits ?? 0;
    else usage.ddbWriteUnits += c.CapacityUnits ?? 0;
  }
}

/**
 * Counts one request made outside an instrumented client (the local stack's emulated SQS long polls).
 */
export function countRequest(service: 'SQS' | 'Scheduler', operation: string): void {
  const key = `${service}.${operation}`;
  usage.byOperation[key] = (usage.byOperation[key] ?? 0) + 1;
  if (service === 'SQS') usage.sqsRequests += 1;
  else usage.schedulerRequests += 1;
}

/**
 * A middleware plugin that counts every request of a client of `service`.
 * @example
 * const sqs = new SQSClient({}); sqs.middlewareStack.use(usagePlugin('SQS'));
 */
export function usagePlugin<I extends object, O extends object>(service: 'DynamoDB' | 'SQS' | 'Scheduler' | 'EventBridge'): Pluggable<I, O> {
  return {
    applyToStack(stack) {
      stack.add(
        (next, context) => async (args) => {
          const op = String((context as { commandName?: string }).commandName ?? 'unknown');
          const input = args.input as Record<string, unknown>;
          if (service === 'DynamoDB' && process.env.JOBX_COUNT_CAPACITY === '1' && input.ReturnConsumedCapacity === undefined) {
            input.ReturnConsumedCapacity = 'TOTAL';
          }
          const key = `${service}.${op.replace(/Command$/, '')}`;
          usage.byOperation[key] = (usage.byOperation[key] ?? 0) + 1;
          if (service === 'DynamoDB') usage.ddbRequests += 1;
          else if (service === 'SQS') usage.sqsRequests += 1;
          else if (service === 'Scheduler') usage.schedulerRequests += 1;
          else usage.eventBridgeRequests += 1;
          try {
            const result = await next(args);
            if (service === 'DynamoDB') addCapacity(op, (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity);
            return result;
          } catch (err) {
            // A failed conditional write still consumes capacity (at least 1 WRU) but the error does not say how much.
            if (service === 'DynamoDB' && (err as Error).name === 'ConditionalCheckFailedException') usage.ddbWriteUnits += 1;
            throw err;
          }
        },
        { step: 'initialize', name: `jobxUsage${service}` },
      );
    },
  };
}
