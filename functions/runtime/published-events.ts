/**
 * The lifecycle events this flow publishes, from `JOBX_PUBLISH_EVENTS` (set on the stream function by the
 * construct's `events` prop, and by the local stack). Read by the stream handler only: it alone publishes.
 * @module
 */
import { parseEventSelection, type EventSelection } from '../core/lifecycle-events';
import { ENV } from './env-names';

let published: EventSelection | undefined;

/** The selection, read once per process; unset is the lean default. Throws, naming the variable, on an unknown word. */
export function publishedEvents(): EventSelection {
  if (!published) {
    try {
      published = parseEventSelection(process.env[ENV.publishEvents]);
    } catch (err) {
      throw new Error(`environment variable ${ENV.publishEvents}: ${(err as Error).message}`);
    }
  }
  return published;
}
