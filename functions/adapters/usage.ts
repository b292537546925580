/**
 * Counts AWS requests and DynamoDB capacity on every client jobx creates. The bench reads these figures; on Lambda
 * they cost nothing (no I/O), and DynamoDB consumed capacity is only asked for when `JOBX_COUNT_CAPACITY=1`.
 * @module
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Pluggable } from '@smithy/types';
import { eventChunksOf, itemSizeBytes, sqsChunksOf, partitionOf, writeUnitsOf, type PutEventsEntryLike } from './billing-units';

/** Running totals of AWS usage in this process. */
export interface UsageTotals {
  ddbReadUnits: number;
  /** Every write unit billed: table and index writes, and writes whose condition failed. */
  ddbWriteUnits: number;
  /** The part of {@link UsageTotals.ddbWriteUnits} billed for writes whose condition failed (or cancelled transactions). */
  ddbFailedWriteUnits: number;
  /** Table write units per partition key (`table|pk`): every item of a Put, Update, Delete and transaction; not index writes. */
  ddbWriteUnitsByPartition: Record<string, number>;
  /**
   * Write units by what was written: `<operation> <item kind>` for table units (kinds by sort key: `J` root job,
   * `C` child job, `T` task, `B` bucket, `A` audit, `H` token holder, `W` waiter, `X` inbox, `S` a staged part; `R` a
   * result row)
   * and `<operation> <item kind> → <index>` for index units; refused writes under `… (refused)`.
   */
  ddbWriteUnitsByKind: Record<string, number>;
  ddbRequests: number;
  /** SQS requests, the event source mappings' empty receives excluded (see {@link UsageTotals.sqsEmptyReceives}). */
  sqsRequests: number;
  /** Long-poll receives of the event source mappings that returned nothing (billed, but a fixed cost per queue). */
  sqsEmptyReceives: number;
  /** EventBridge Scheduler API calls (creating and deleting schedules is not billed). */
  schedulerRequests: number;
  /** Schedules that fired (billed per invocation); counted by the local stand-in, which fires them itself. */
  schedulerInvocations: number;
  eventBridgeRequests: number;
  /** EventBridge events as billed: one per PutEvents entry and 64 KB chunk, published or (locally) not. */
  eventBridgeEvents: number;
  /** Requests per operation name, e.g. `DynamoDB.UpdateItem`. */
  byOperation: Record<string, number>;
}

/** Process-wide usage counters. */
export const usage: UsageTotals = /* @__PURE__ */ emptyUsage();

function emptyUsage(): UsageTotals {
  return {
    ddbReadUnits: 0,
    ddbWriteUnits: 0,
    ddbFailedWriteUnits: 0,
    ddbWriteUnitsByPartition: {},
    ddbWriteUnitsByKind: {},
    ddbRequests: 0,
    sqsRequests: 0,
    sqsEmptyReceives: 0,
    schedulerRequests: 0,
    schedulerInvocations: 0,
    eventBridgeRequests: 0,
    eventBridgeEvents: 0,
    byOperation: {},
  };
}

/** Resets every counter to zero. */
export function resetUsage(): void {
  Object.assign(usage, emptyUsage());
}

/** A copy of the counters. */
export function snapshotUsage(): UsageTotals {
  return { ...usage, byOperation: { ...usage.byOperation }, ddbWriteUnitsByPartition: { ...usage.ddbWriteUnitsByPartition }, ddbWriteUnitsByKind: { ...usage.ddbWriteUnitsByKind } };
}

/**
 * Tables that stand in locally for a service AWS bills otherwise (the local stack's timers table stands in for
 * EventBridge Scheduler): their requests are listed under `LocalStandIn.*`, never counted as DynamoDB.
 */
const standInTables = /* @__PURE__ */ new Set<string>();

/** Marks a table as a local stand-in (see {@link standInTables}). */
export function markStandInTable(tableName: string): void {
  standInTables.add(tableName);
}

interface Capacity {
  TableName?: string;
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  Table?: { CapacityUnits?: number; WriteCapacityUnits?: number };
}

const READ_OPS = /* @__PURE__ */ new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand', 'GetCommand', 'BatchGetCommand']);
const SINGLE_WRITE_OPS = /* @__PURE__ */ new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);

type Av = Record<string, AttributeValue>;
/** One item a write request touches, in the low-level format the request is sent in. */
interface WrittenItem {
  table?: string;
  partition?: string;
  /** Bytes of the item the request writes, when the request carries it (Put); 0 otherwise. */
  newBytes: number;
  /** What the item is (see {@link UsageTotals.ddbWriteUnitsByKind}). */
  kind: string;
}

/** The kind of an item by its key: the first letter of its sort key, or `R` for a row keyed by `jobId` alone. */
function kindOf(key: Av | undefined): string {
  // A staged submission's part (`S#<root>` / `<nonce>#<n>`).
  if (key?.pk?.S?.startsWith('S#')) return 'S';
  const sk = key?.sk?.S;
  if (sk !== undefined) return sk.slice(0, 1);
  return key?.jobId?.S !== undefined ? 'R' : '?';
}

function addKindUnits(kind: string, units: number): void {
  if (units <= 0) return;
  usage.ddbWriteUnitsByKind[kind] = (usage.ddbWriteUnitsByKind[kind] ?? 0) + units;
}

const opShort = (op: string) => op.replace(/Command$/, '').replace(/Item$/, '');

function addPartitionUnits(partition: string | undefined, units: number): void {
  if (partition === undefined || units <= 0) return;
  usage.ddbWriteUnitsByPartition[partition] = (usage.ddbWriteUnitsByPartition[partition] ?? 0) + units;
}

/** The items a write request touches, in request order (a transaction's items, a batch's puts and deletes). */
function writtenItems(op: string, wire: Record<string, unknown>): WrittenItem[] {
  const of = (table: string | undefined, item: Av | undefined, key: Av | undefined): WrittenItem => ({ table, partition: partitionOf(table, key ?? item), newBytes: itemSizeBytes(item), kind: kindOf(key ?? item) });
  if (SINGLE_WRITE_OPS.has(op)) return [of(wire.TableName as string | undefined, wire.Item as Av | undefined, wire.Key as Av | undefined)];
  if (op === 'TransactWriteItemsCommand') {
    return ((wire.TransactItems ?? []) as Array<Record<string, { TableName?: string; Item?: Av; Key?: Av } | undefined>>).map((t) => {
      const action = t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck;
      return of(action?.TableName, action?.Item, action?.Key);
    });
  }
  if (op === 'BatchWriteItemCommand') {
    const out: WrittenItem[] = [];
    for (const [table, requests] of Object.entries((wire.RequestItems ?? {}) as Record<string, Array<{ PutRequest?: { Item?: Av }; DeleteRequest?: { Key?: Av } }>>)) {
      for (const r of requests) out.push(of(table, r.PutRequest?.Item, r.DeleteRequest?.Key));
    }
    return out;
  }
  return [];
}

/**
 * The least a read is billed, whatever it found: "If you perform a read operation on an item that doesn't exist,
 * DynamoDB will still consume read throughput [...]. For Query/Scan operations, you'll still be charged additional
 * read throughput based on read consistency and the number of partitions searched to serve the request, even if no
 * data exists" (DynamoDB Developer Guide, "DynamoDB read and write operations"): half a unit per key or request
 * read eventually consistently, one strongly, two transactionally. DynamoDB Local reports 0 for an empty Query
 * and for BatchGetItem's missing keys, where AWS bills at least this.
 */
function readFloor(op: string, wire: Record<string, unknown>, output: Record<string, unknown>, table: string | undefined): number {
  const unit = (consistent: unknown) => (consistent === true ? 1 : 0.5);
  if (op === 'GetItemCommand' || op === 'QueryCommand' || op === 'ScanCommand') return unit(wire.ConsistentRead);
  if (op === 'BatchGetItemCommand' && table !== undefined) {
    const request = (wire.RequestItems as Record<string, { Keys?: unknown[]; ConsistentRead?: boolean }> | undefined)?.[table];
    const unprocessed = (output.UnprocessedKeys as Record<string, { Keys?: unknown[] }> | undefined)?.[table]?.Keys?.length ?? 0;
    return Math.max(0, (request?.Keys?.length ?? 0) - unprocessed) * unit(request?.ConsistentRead);
  }
  if (op === 'TransactGetItemsCommand') {
    return 2 * ((wire.TransactItems ?? []) as Array<{ Get?: { TableName?: string } }>).filter((t) => table === undefined || t.Get?.TableName === table).length;
  }
  return 0;
}

/** Adds the capacity a successful request reports; a write's table units are spread over the partitions it wrote. */
function addCapacity(op: string, output: Record<string, unknown>, wire: Record<string, unknown>, items: WrittenItem[]): void {
  const consumed = output.ConsumedCapacity as Capacity | Capacity[] | undefined;
  if (!consumed) return;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  for (const c of list) {
    if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
      usage.ddbReadUnits += c.ReadCapacityUnits ?? 0;
      usage.ddbWriteUnits += c.WriteCapacityUnits ?? 0;
    } else if (READ_OPS.has(op)) usage.ddbReadUnits += Math.max(c.CapacityUnits ?? 0, readFloor(op, wire, output, c.TableName));
    else usage.ddbWriteUnits += c.CapacityUnits ?? 0;
    if (READ_OPS.has(op)) continue;
    // The table's own units (index writes go to the index's partitions), shared by the items written to this
    // table in proportion to their size in write units (a transaction reports one figure per table, not per item).
    const tableUnits = c.Table?.CapacityUnits ?? c.Table?.WriteCapacityUnits ?? c.WriteCapacityUnits ?? c.CapacityUnits ?? 0;
    const mine = items.filter((i) => i.table === undefined || c.TableName === undefined || i.table === c.TableName);
    const weights = mine.map((i) => writeUnitsOf(i.newBytes));
    const total = weights.reduce((a, b) => a + b, 0);
    mine.forEach((item, n) => {
      const share = total > 0 ? (tableUnits * weights[n]!) / total : 0;
      addPartitionUnits(item.partition, share);
      addKindUnits(`${opShort(op)} ${item.kind}`, share);
    });
    const indexes = (c as { GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number; WriteCapacityUnits?: number }> }).GlobalSecondaryIndexes ?? {};
    const kinds = [...new Set(mine.map((i) => i.kind))].join('+');
    for (const [name, units] of Object.entries(indexes)) addKindUnits(`${opShort(op)} ${kinds} → ${name}`, units.CapacityUnits ?? units.WriteCapacityUnits ?? 0);
  }
}

/**
 * Write units of a write that was refused, which AWS bills although the response reports no ConsumedCapacity.
 *
 * - A single-item write whose condition is false "still consumes write capacity units from the table. The amount
 *   [...] depends on the size of the item. This item can be an existing item in the table or a new one you're
 *   attempting to create or update" (DynamoDB Developer Guide, "DynamoDB read and write operations"): the larger
 *   of the item the request writes (a Put's) and the existing item (returned on the error, since the middleware
 *   asks for `ReturnValuesOnConditionCheckFailure: ALL_OLD`), one unit per KB, at least one.
 * - A cancelled `TransactWriteItems`: the guide says that DynamoDB "performs two underlying reads or writes of
 *   every item in the transaction: one to prepare the transaction and one to commit the transaction" ("Capacity
 *   management for transactions"), and a cancelled transaction returns no ConsumedCapacity; it does not state
 *   the charge. Counted here: the prepare write of every item (one unit per KB of the item, sized as above),
 *   that is half of what the committed transaction would have cost, as a failed single-item write is billed
 *   one standard write.
 */
function addRefusedWrite(op: string, err: { name?: string; Item?: Av; CancellationReasons?: Array<{ Item?: Av }> }, items: WrittenItem[]): void {
  let units = 0;
  if (err.name === 'ConditionalCheckFailedException' && SINGLE_WRITE_OPS.has(op)) {
    const item = items[0] ?? { newBytes: 0, kind: '?' };
    const u = writeUnitsOf(Math.max(item.newBytes, itemSizeBytes(err.Item)));
    addPartitionUnits(item.partition, u);
    addKindUnits(`${opShort(op)} ${item.kind} (refused)`, u);
    units = u;
  } else if (err.name === 'TransactionCanceledException' && op === 'TransactWriteItemsCommand') {
    items.forEach((item, n) => {
      const u = writeUnitsOf(Math.max(item.newBytes, itemSizeBytes(err.CancellationReasons?.[n]?.Item)));
      addPartitionUnits(item.partition, u);
      addKindUnits(`${opShort(op)} ${item.kind} (refused)`, u);
      units += u;
    });
  }
  usage.ddbWriteUnits += units;
  usage.ddbFailedWriteUnits += units;
}

/** Asks a write for the existing item when its condition fails, so a refused write can be sized. */
function askOldItemOnFailure(op: string, input: Record<string, unknown>): void {
  if (SINGLE_WRITE_OPS.has(op)) input.ReturnValuesOnConditionCheckFailure ??= 'ALL_OLD';
  else if (op === 'TransactWriteItemsCommand') {
    for (const t of (input.TransactItems ?? []) as Array<Record<string, Record<string, unknown> | undefined>>) {
      const action = t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck;
      if (action) action.ReturnValuesOnConditionCheckFailure ??= 'ALL_OLD';
    }
  }
}

/**
 * Counts one request made outside an instrumented client (the local stack's emulated SQS long polls). A receive
 * that returned nothing (`{ empty: true }`) goes to {@link UsageTotals.sqsEmptyReceives}.
 */
export function countRequest(service: 'SQS' | 'Scheduler', operation: string, detail?: { empty?: boolean }): void {
  const key = `${service}.${operation}${detail?.empty ? '.empty' : ''}`;
  usage.byOperation[key] = (usage.byOperation[key] ?? 0) + 1;
  if (service === 'SQS') {
    if (detail?.empty) usage.sqsEmptyReceives += 1;
    else usage.sqsRequests += 1;
  } else usage.schedulerRequests += 1;
}

/** Counts schedules that fired (the local stand-in for EventBridge Scheduler delivers them itself). */
export function countSchedulerInvocations(count: number): void {
  usage.schedulerInvocations += count;
}

/** Counts the events of PutEvents entries as EventBridge bills them (one per entry and 64 KB chunk). */
export function countEventBridgeEntries(entries: readonly PutEventsEntryLike[]): void {
  for (const e of entries) usage.eventBridgeEvents += eventChunksOf(e);
}

/** Context key under which the DynamoDB request is kept as sent (marshalled), for sizing its items. */
const WIRE_INPUT = /* @__PURE__ */ Symbol('jobxUsageWireInput');

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
          const counting = service === 'DynamoDB' && process.env.JOBX_COUNT_CAPACITY === '1';
          const standIn = service === 'DynamoDB' && typeof input.TableName === 'string' && standInTables.has(input.TableName);
          if (counting) {
            // Per table and index, so a write's table units can be told from its index units.
            if (input.ReturnConsumedCapacity === undefined) input.ReturnConsumedCapacity = 'INDEXES';
            askOldItemOnFailure(op, input);
          }
          const key = `${standIn ? 'LocalStandIn' : service}.${op.replace(/Command$/, '')}`;
          usage.byOperation[key] = (usage.byOperation[key] ?? 0) + 1;
          if (standIn) return next(args);
          if (service === 'DynamoDB') usage.ddbRequests += 1;
          else if (service === 'SQS') usage.sqsRequests += sqsChunksOf(op, input);
          else if (service === 'Scheduler') usage.schedulerRequests += 1;
          else {
            usage.eventBridgeRequests += 1;
            if (op === 'PutEventsCommand') countEventBridgeEntries((input.Entries ?? []) as PutEventsEntryLike[]);
          }
          const wire = () => ((context as Record<symbol, unknown>)[WIRE_INPUT] ?? input) as Record<string, unknown>;
          const items = () => writtenItems(op, wire());
          try {
            const result = await next(args);
            if (service === 'DynamoDB') addCapacity(op, result.output as Record<string, unknown>, wire(), items());
            return result;
          } catch (err) {
            if (service === 'DynamoDB') addRefusedWrite(op, err as Parameters<typeof addRefusedWrite>[1], items());
            throw err;
          }
        },
        { step: 'initialize', name: `jobxUsage${service}` },
      );
      if (service === 'DynamoDB') {
        // The document client marshals its input after the initialize step: keep the request as sent.
        stack.add(
          (next, context) => async (args) => {
            (context as Record<symbol, unknown>)[WIRE_INPUT] = args.input;
            return next(args);
          },
          { step: 'build', name: 'jobxUsageDynamoDBWireInput' },
        );
      }
    },
  };
}
