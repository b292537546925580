/**
 * Scheduled sweeper (every minute on AWS and in the local stack): repairs expired leases, lost dispatches and
 * retries, and lost wake-ups. Not a polling loop of the normal flow: it only finds what the event flow missed.
 * @module
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { sweep, sweepWorthLogging, type SweepReport } from '../engine/reconcile';
import { requeueAfterMs, sweeperDeps } from '../runtime/deps';
import { METRIC, logger, metrics, withRuntime } from '../runtime/middy';

/** Event of the sweeper; `requeueAfterSeconds` overrides the configured grace (the local stack passes 0 at start). */
export interface SweeperEvent {
  requeueAfterSeconds?: number;
  /** Local stack only, at start: every running attempt died with the previous process. */
  abandonRunning?: boolean;
}

/** Share of the function's time in which roots are started; the rest is for the ones already started to finish. */
const SWEEP_START_SHARE = 0.75;

/** Lambda handler. A job whose repair fails is logged and counted (metric `SweepRepairFailed`); the sweep goes on. */
export const handler = withRuntime(
  async (event: SweeperEvent | undefined, context): Promise<SweepReport> => {
    const grace = event?.requeueAfterSeconds !== undefined ? event.requeueAfterSeconds * 1000 : requeueAfterMs();
    const report = await sweep(sweeperDeps(), {
      requeueAfterMs: grace,
      // Roots not started by then wait for the next sweep: the sweep ends well within its timeout.
      deadline: Date.now() + context.getRemainingTimeInMillis() * SWEEP_START_SHARE,
      abandonRunning: event?.abandonRunning === true,
      onError: (jobId, error) => logger.error('sweep could not repair a job; the next sweep tries again', { jobId, error: error as Error }),
    });
    // Always emitted (0 included), so an alarm on it sees a steady series rather than missing data.
    metrics.addMetric(METRIC.sweepFailed, MetricUnit.Count, report.failed);
    if (sweepWorthLogging(report)) logger.info('sweep done', { ...report });
    return report;
  },
  { metrics: true },
);
