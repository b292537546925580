/** Lifecycle events on an EventBridge bus, so users subscribe with rules (`source: jobx`, `detail-type: jobx.job.failed`). @module */
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { EventPublisher, LifecycleEvent } from '../../ports';
import { countEventBridgeEntries } from '../usage';

/** The `source` of every jobx event. */
export const EVENT_SOURCE = 'jobx';

/** The PutEvents entry of a lifecycle event. */
export function eventEntry(e: LifecycleEvent, busName: string): PutEventsRequestEntry {
  return { EventBusName: busName, Source: EVENT_SOURCE, DetailType: e.type, Detail: JSON.stringify(e.detail) };
}

/** {@link EventPublisher} on an EventBridge bus (PutEvents takes at most 10 entries per call). */
export class EventBridgePublisher implements EventPublisher {
  constructor(private readonly opts: { client: EventBridgeClient; busName: string }) {}

  async publish(events: readonly LifecycleEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 10) {
      const batch = events.slice(i, i + 10);
      const out = await this.opts.client.send(new PutEventsCommand({ Entries: batch.map((e) => eventEntry(e, this.opts.busName)) }));
      // A partial failure must be retried by the stream (at-least-once); EventBridge rules see duplicates as such.
      if ((out.FailedEntryCount ?? 0) > 0) throw new Error(`EventBridge refused ${out.FailedEntryCount} of ${batch.length} events`);
    }
  }
}

/**
 * Publishes nowhere (no bus configured, e.g. the local stack), but keeps the last events for inspection and
 * counts them as the bus would bill them (the usage counters), so the local bench sees what AWS would charge.
 */
export class NoopPublisher implements EventPublisher {
  readonly recent: LifecycleEvent[] = [];
  async publish(events: readonly LifecycleEvent[]): Promise<void> {
    // Counted where requests are counted (the local stack); Lambda bundles leave it out (adapters/clients.ts).
    if (process.env.JOBX_COUNT_REQUESTS !== 'off') countEventBridgeEntries(events.map((e) => eventEntry(e, 'local')));
    this.recent.push(...events);
    if (this.recent.length > 1000) this.recent.splice(0, this.recent.length - 1000);
  }
}
