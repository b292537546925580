/**
 * Stands in for `@smithy/core/event-streams` in the engine functions' bundles (`lib/lambda-aliases.ts`). The SDK's
 * HTTP protocol loads that module only for operations that stream events, and none of the engine's clients
 * (DynamoDB, SQS, EventBridge Scheduler, EventBridge) has one: leaving it out saves about 15 KB per bundle.
 * Should a client with event streams ever be added, its first such call fails with this message.
 * @module
 */
function absent(): never {
  throw new Error('jobx: event streams are not bundled in this function (see lib/lambda-aliases.ts)');
}

/** What the SDK's HTTP protocol asks the event-streams module for. */
export const eventStreamSerdeProvider = (): never => absent();

/** What the SDK's HTTP protocol asks the event-streams module for. */
export class EventStreamSerde {
  constructor() {
    absent();
  }
}
