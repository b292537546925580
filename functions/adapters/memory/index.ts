/**
 * The engine's dependencies in memory: the same guards as DynamoDB, a fake clock, and queues and a stream that
 * deliver only when a test says so.
 * @module
 */
import type { EngineDeps } from '../../ports';
import { MemoryJobStore, type MemoryChange } from './job-store';
import { MemoryResultStore } from './result-store';
import { FakeClock, MemoryEventPublisher, MemoryRetryScheduler, MemoryWorkQueue } from './work-queue';

export { ItemTooLargeError, MAX_ITEM_BYTES, MemoryJobStore, type MemoryChange } from './job-store';
export { MemoryResultStore } from './result-store';
export { FakeClock, MemoryEventPublisher, MemoryRetryScheduler, MemoryWorkQueue, type QueuedMessage } from './work-queue';

/** Options of {@link createMemoryEngine}. */
export interface MemoryEngineOptions {
  /** Routes with a Lambda queue: provider names, or `provider@executor` deployments. */
  routes: readonly string[];
  /** Route → the longest task timeout its function can run (the API refuses longer tasks). */
  maxTaskSeconds?: Readonly<Record<string, number>>;
  externalProviders?: readonly string[];
  clock?: FakeClock;
  onChange?: (change: MemoryChange) => void;
  beforeWrite?: (what: string) => void;
}

/** An in-memory engine world: the deps plus direct handles on each fake. */
export interface MemoryEngine {
  deps: EngineDeps;
  clock: FakeClock;
  store: MemoryJobStore;
  results: MemoryResultStore;
  queue: MemoryWorkQueue;
  scheduler: MemoryRetryScheduler;
  events: MemoryEventPublisher;
}

/** Builds an in-memory engine world. */
export function createMemoryEngine(opts: MemoryEngineOptions): MemoryEngine {
  const clock = opts.clock ?? new FakeClock();
  const hooks = opts.beforeWrite ? { beforeWrite: opts.beforeWrite } : {};
  const results = new MemoryResultStore(hooks);
  const store = new MemoryJobStore({ clock, results, ...hooks, ...(opts.onChange ? { onChange: opts.onChange } : {}) });
  const queue = new MemoryWorkQueue({ clock, routes: new Set(opts.routes), externalProviders: new Set(opts.externalProviders ?? []), ...(opts.maxTaskSeconds ? { maxTaskSeconds: opts.maxTaskSeconds } : {}), ...hooks });
  const scheduler = new MemoryRetryScheduler({ queue, ...hooks });
  const events = new MemoryEventPublisher();
  return { deps: { store, results, queue, scheduler, events, clock }, clock, store, results, queue, scheduler, events };
}
