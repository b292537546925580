/**
 * Scheduled sweeper (every minute on AWS and in the local stack): repairs expired leases, lost dispatches and
 * retries, and lost wake-ups. Not a polling loop of the normal flow: it only finds what the event flow missed.
 * @module
 */
import { sweep, type SweepReport } from '../engine/reconcile';
import { engineDeps, requeueAfterMs } from '../runtime/deps';
import { logger, withRuntime } from '../runtime/middy';

/** Event of the sweeper; `requeueAfterSeconds` overrides the configured grace (the local stack passes 0 at start). */
export interface SweeperEvent {
  requeueAfterSeconds?: number;
  /** Local stack only, at start: every running attempt died with the previous process. */
  abandonRunning?: boolean;
}

/** Lambda handler. */
export const handler = withRuntime(async (event: SweeperEvent | undefined): Promise<SweepReport> => {
  const grace = event?.requeueAfterSeconds !== undefined ? event.requeueAfterSeconds * 1000 : requeueAfterMs();
  const report = await sweep(engineDeps(), { requeueAfterMs: grace, abandonRunning: event?.abandonRunning === true });
  if (report.leasesExpired + report.redispatched + report.repaired > 0) logger.info('sweep repaired', { ...report });
  return report;
});
