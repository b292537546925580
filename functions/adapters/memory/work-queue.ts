/**
 * Provider queues, one-time timers and the event bus in memory. Nothing is delivered by itself: a test (or the
 * property harness) decides when each message arrives, how often, and in which order, as SQS may.
 * @module
 */
import type { TaskMessage } from '../../core/model';
import type { Clock, EventPublisher, LifecycleEvent, RetryScheduler, WorkQueue } from '../../ports';
import { declaredInboxes, queueRouteOf, UnknownRouteError } from '../../core/routing';

/** A message on a provider queue. */
export interface QueuedMessage {
  id: number;
  /** route it was sent to (`provider` or `provider@executor`). */
  route: string;
  message: TaskMessage;
  /** When it becomes visible (ms since epoch). */
  visibleAt: number;
}

/** {@link WorkQueue} on an array: `sent` holds every message not yet deleted. */
export class MemoryWorkQueue implements WorkQueue {
  readonly sent: QueuedMessage[] = [];
  /** Every message ever sent, deleted or not. */
  readonly history: QueuedMessage[] = [];
  private nextId = 1;

  constructor(
    private readonly opts: {
      clock: Clock;
      /** Routes with a Lambda queue (`provider` or `provider@executor`). */
      routes: ReadonlySet<string>;
      externalProviders?: ReadonlySet<string>;
      /** Route → the longest task timeout (seconds) its function can run. */
      maxTaskSeconds?: Readonly<Record<string, number>>;
      beforeWrite?: (what: string) => void;
    },
  ) {}

  maxTaskSeconds(route: string): number | undefined {
    return Object.hasOwn(this.opts.maxTaskSeconds ?? {}, route) ? this.opts.maxTaskSeconds![route] : undefined;
  }

  hasProvider(provider: string): boolean {
    return this.opts.routes.has(provider);
  }

  isExternal(provider: string): boolean {
    return this.opts.externalProviders?.has(provider) ?? false;
  }

  declaredInboxes(): string[] {
    return declaredInboxes(this.opts.routes, this.opts.externalProviders ?? []);
  }

  async send(message: TaskMessage, delaySeconds = 0): Promise<void> {
    this.opts.beforeWrite?.('sendMessage');
    const route = queueRouteOf(message);
    // The SQS adapter refuses a route without a queue; so does this one.
    if (!this.opts.routes.has(route)) throw new UnknownRouteError(route);
    const delay = Math.max(0, Math.min(900, Math.ceil(delaySeconds)));
    const queued = { id: this.nextId++, route, message: structuredClone(message), visibleAt: this.opts.clock.now() + delay * 1000 };
    this.sent.push(queued);
    this.history.push(queued);
  }

  async sendMany(messages: readonly TaskMessage[]): Promise<void> {
    // One at a time, so a crash injected before any of them leaves the others sent, as a partial batch may.
    for (const message of messages) await this.send(message);
  }

  async waiting(route: string): Promise<number> {
    const now = this.opts.clock.now();
    return this.sent.filter((m) => m.route === route && m.visibleAt <= now).length;
  }

  /** Removes a delivered message (the consumer's DeleteMessage). */
  delete(id: number): void {
    const i = this.sent.findIndex((m) => m.id === id);
    if (i >= 0) this.sent.splice(i, 1);
  }
}

/** {@link RetryScheduler} that keeps timers until {@link MemoryRetryScheduler.fire} sends the due ones. */
export class MemoryRetryScheduler implements RetryScheduler {
  readonly timers = new Map<string, { at: number; message: TaskMessage }>();

  constructor(private readonly opts: { queue: MemoryWorkQueue; beforeWrite?: (what: string) => void }) {}

  async scheduleAt(name: string, at: number, message: TaskMessage): Promise<void> {
    this.opts.beforeWrite?.('createSchedule');
    // Same name = same attempt (EventBridge answers ConflictException); the first schedule stands.
    if (!this.timers.has(name)) this.timers.set(name, { at, message: structuredClone(message) });
  }

  /** Sends every timer due at `now` to its queue (EventBridge Scheduler firing). */
  async fire(now: number): Promise<number> {
    let fired = 0;
    for (const [name, timer] of [...this.timers]) {
      if (timer.at > now) continue;
      this.timers.delete(name);
      fired++;
      // One undeliverable timer does not hold back the others (EventBridge retries, then its DLQ).
      await this.opts.queue.send(timer.message).catch(() => undefined);
    }
    return fired;
  }
}

/** {@link EventPublisher} that keeps what it was given. */
export class MemoryEventPublisher implements EventPublisher {
  readonly published: LifecycleEvent[] = [];

  async publish(events: readonly LifecycleEvent[]): Promise<void> {
    this.published.push(...events);
  }
}

/** A clock a test moves by hand, with a seeded random source. */
export class FakeClock {
  private seed: number;

  constructor(
    private time = Date.parse('2026-01-01T00:00:00.000Z'),
    seed = 1,
  ) {
    this.seed = seed;
  }

  now(): number {
    return this.time;
  }

  /** mulberry32: repeatable jitter for exponential backoff. */
  random(): number {
    let t = (this.seed = (this.seed + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  advance(ms: number): void {
    this.time += ms;
  }

  set(ms: number): void {
    this.time = ms;
  }
}
