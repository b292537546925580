/**
 * BatchGetItem over any number of keys: 100 keys per request (its limit), unprocessed keys asked again.
 * @module
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;

/** What to read of each item. */
export interface BatchGetOptions {
  consistent: boolean;
  projection?: { expression: string; names: Record<string, string> };
}

/** Items by key, decoded, in the order of `keys` (only those that exist). */
export async function batchGetItems<T>(
  client: DynamoDBDocumentClient,
  table: string,
  keys: ReadonlyArray<{ pk: string; sk: string }>,
  opts: BatchGetOptions,
  decode: (item: Item) => T,
): Promise<T[]> {
  const found = new Map<string, T>();
  const projection = opts.projection ? { ProjectionExpression: opts.projection.expression, ExpressionAttributeNames: opts.projection.names } : {};
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Item[] = keys.slice(i, i + 100).map((k) => ({ pk: k.pk, sk: k.sk }));
    while (pending.length) {
      const out = await client.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: opts.consistent, ...projection } } }));
      for (const item of out.Responses?.[table] ?? []) found.set(`${String(item.pk)}|${String(item.sk)}`, decode(item));
      pending = (out.UnprocessedKeys?.[table]?.Keys as Item[] | undefined) ?? [];
    }
  }
  return keys.map((k) => found.get(`${k.pk}|${k.sk}`)).filter((j): j is T => j !== undefined);
}
