/**
 * `jobx/construct`: the `JobFlow` CDK construct, its props and the facts it is built from. The construct
 * acknowledges its own cdk-nag findings (each with its reason) on the resources it creates.
 * @module
 */
export * from './job-flow';
/** Every lifecycle event type, and the lean default of `events.publish`, to build a selection from. */
export { DEFAULT_PUBLISHED_EVENTS, LIFECYCLE_EVENT_TYPES } from '../functions/core/lifecycle-events';
