/** Lifecycle events on an EventBridge bus, so users subscribe with rules (`source: jobx`, `detail-type: jobx.job.failed`). @module */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventPublisher, LifecycleEvent } from '../../ports';

/** The `source` of every jobx event. */
export const EVENT_SOURCE = 'jobx';

/** {@link EventPublisher} on an EventBridge bus (PutEvents takes at most 10 entries per call). */
export class EventBridgePublisher implements EventPublisher {
  constructor(private readonly opts: { client: EventBridgeClient; busName: string }) {}

  async publish(events: readonly LifecycleEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 10) {
      const batch = events.slice(i, i + 10);
      const out = await this.opts.client.send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({ EventBusName: this.opts.busName, Source: EVENT_SOURCE, DetailType: e.type, Detail: JSON.stringify(e.detail) })),
        }),
      );
      // A partial failure must be retried by the stream (at-least-once); EventBridge rules see duplicates as such.
      if ((out.FailedEntryCount ?? 0) > 0) throw new Error(`EventBridge refused ${out.FailedEntryCount} of ${batch.length} events`);
    }
  }
}

/** Publishes nowhere (no bus configured, e.g. the local stack), but keeps the last events for inspection. */
export class NoopPublisher implements EventPublisher {
  readonly recent: LifecycleEvent[] = [];
  async publish(events: readonly LifecycleEvent[]): Promise<void> {
    this.recent.push(...events);
    if (this.recent.length > 1000) this.recent.splice(0, this.recent.length - 1000);
  }
}
