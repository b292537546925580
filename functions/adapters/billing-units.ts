/**
 * How AWS sizes what it bills, for the usage counters (`usage.ts`) where a response does not say: DynamoDB item
 * sizes (a write whose condition failed returns no ConsumedCapacity) and EventBridge PutEvents entry sizes.
 * @module
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Bytes of a DynamoDB number: one per two significant digits, plus one (leading and trailing zeros trimmed). */
function numberSize(n: string): number {
  const digits = n.replace(/^[-+]/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function binarySize(b: unknown): number {
  if (b instanceof Uint8Array) return b.byteLength;
  if (typeof b === 'string') return Buffer.from(b, 'base64').byteLength;
  return 0;
}

/**
 * Bytes of one attribute value as DynamoDB counts them (Developer Guide, "Item sizes and formats"): strings and
 * binaries by length, numbers by significant digits, booleans and nulls 1 byte, a list or map 3 bytes plus 1 per
 * element plus its elements (a map's element names included).
 */
export function attributeValueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return binarySize(value.B);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + numberSize(s), 0);
  if (value.BS !== undefined) return value.BS.reduce((n, b) => n + binarySize(b), 0);
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + attributeValueSize(v), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + utf8(k) + attributeValueSize(v), 0);
  return 0;
}

/** Bytes of an item in the low-level (marshalled) format: its attribute names plus their values. */
export function itemSizeBytes(item: Record<string, AttributeValue> | undefined): number {
  if (!item) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + attributeValueSize(value);
  return size;
}

/** Write request units of a standard write of an item of `bytes`: one per KB, rounded up, at least one. */
export function writeUnitsOf(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

/** Attribute names that hold the partition key of jobx's tables (jobs `pk`, results `jobId`, local timers `name`). */
const PARTITION_KEY_NAMES = ['pk', 'jobId', 'name'];

/** The partition key value of a key or item (low-level format), as `table|value`; undefined when none is known. */
export function partitionOf(table: string | undefined, keyOrItem: Record<string, AttributeValue> | undefined): string | undefined {
  if (!keyOrItem) return undefined;
  for (const name of PARTITION_KEY_NAMES) {
    const v = keyOrItem[name];
    if (v?.S !== undefined) return `${table ?? '?'}|${v.S}`;
    if (v?.N !== undefined) return `${table ?? '?'}|${v.N}`;
  }
  return undefined;
}

/** An entry of a PutEvents request (the fields that count towards its size). */
export interface PutEventsEntryLike {
  Time?: Date | string;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
}

/**
 * Bytes of a PutEvents entry as EventBridge computes them (User Guide, "Calculating PutEvents event entry size"):
 * 14 bytes for `Time` when present, plus the UTF-8 bytes of `Source`, `DetailType`, `Detail` and each resource.
 */
export function putEventsEntrySize(entry: PutEventsEntryLike): number {
  return (entry.Time !== undefined ? 14 : 0) + utf8(entry.Source ?? '') + utf8(entry.DetailType ?? '') + utf8(entry.Detail ?? '') + (entry.Resources ?? []).reduce((n, r) => n + utf8(r), 0);
}

/**
 * Billed SQS requests of a send: one per 64 KiB chunk of its message bodies (a SendMessageBatch of small
 * messages is one request; its bodies are added up). Other requests are one each.
 */
export function sqsChunksOf(operation: string, input: { MessageBody?: unknown; Entries?: ReadonlyArray<{ MessageBody?: unknown }> }): number {
  if (operation !== 'SendMessageCommand' && operation !== 'SendMessageBatchCommand') return 1;
  const bodies = operation === 'SendMessageCommand' ? [input.MessageBody] : (input.Entries ?? []).map((e) => e.MessageBody);
  const bytes = bodies.reduce<number>((n, b) => n + (typeof b === 'string' ? Buffer.byteLength(b, 'utf8') : 0), 0);
  return Math.max(1, Math.ceil(bytes / (64 * 1024)));
}

/** Billed events of one PutEvents entry: each 64 KB chunk of its payload is one event. */
export function eventChunksOf(entry: PutEventsEntryLike): number {
  return Math.max(1, Math.ceil(putEventsEntrySize(entry) / (64 * 1024)));
}
