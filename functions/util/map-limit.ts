/** Runs `fn` over `items` with at most `limit` calls in flight; resolves when all have finished. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/**
 * Runs `fn` over the items of an async (or plain) iterable with at most `limit` calls in flight, pulling the next
 * item only when a slot is free, so a long stream (every active root) is never read into memory up front.
 * Resolves when all have finished; a rejection of `fn` rejects the whole (catch inside `fn` to isolate items).
 */
export async function forEachLimit<T>(items: AsyncIterable<T> | Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : toAsync(items[Symbol.iterator]());
  // One shared iterator, its next() calls chained: not every async iterator queues overlapping calls as a generator does.
  let last: Promise<unknown> = Promise.resolve();
  const next = (): Promise<IteratorResult<T>> => {
    const result = last.then(() => iterator.next());
    last = result.catch(() => undefined);
    return result;
  };
  await Promise.all(
    Array.from({ length: Math.max(1, limit) }, async () => {
      for (let r = await next(); !r.done; r = await next()) await fn(r.value);
    }),
  );
}

function toAsync<T>(it: Iterator<T>): AsyncIterator<T> {
  return { next: async () => it.next() };
}
