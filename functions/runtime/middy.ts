/**
 * Shared middy setup for every handler: a structured logger and handler-level error logging.
 * @module
 */
import middy, { type MiddlewareObj } from '@middy/core';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ENV } from './env-names';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { logger } from './logger';

export { logger } from './logger';

/** Metric names jobx emits (CloudWatch EMF, namespace `jobx`): alarms in the CDK construct use these. */
export const METRIC = {
  /** A task attempt succeeded (provider functions). */
  attemptSucceeded: 'TaskAttemptSucceeded',
  /** A task attempt failed (provider functions). */
  attemptFailed: 'TaskAttemptFailed',
  /** A message asked for an attempt that was already claimed or no longer due (a duplicate). */
  duplicateDelivery: 'DuplicateDelivery',
  /** An attempt ended after its task was discarded or its lease was taken. */
  lateResult: 'LateResult',
  /** A provider handed its attempt over for completion by task token. */
  pending: 'TaskAttemptPending',
  /** The sweeper could not repair a job (root or child); the others were repaired, this one waits for the next sweep. */
  sweepFailed: 'SweepRepairFailed',
} as const;

/** Dimensions every metric carries besides `service`: the flow and stage it belongs to (set by the construct). */
function flowDimensions(): Record<string, string> {
  const dims: Record<string, string> = {};
  const stage = process.env[ENV.metricStage];
  const flow = process.env[ENV.metricFlow];
  if (stage) dims.stage = stage;
  if (flow) dims.flow = flow;
  return dims;
}

/** The process-wide metrics (EMF to stdout, flushed after each invocation; off when `POWERTOOLS_METRICS_DISABLED`). */
export const metrics = new Metrics({ namespace: 'jobx', serviceName: 'jobx', defaultDimensions: flowDimensions() });

function logErrors(): MiddlewareObj {
  return {
    onError: async (request) => {
      logger.error('handler failed', { error: request.error as Error });
    },
  };
}

/**
 * Wraps a handler with jobx's middlewares. The same wrapped handler runs on Lambda and in the local stack.
 * @example
 * export const handler = withRuntime(async (event: SQSEvent) => ...);
 */
export function withRuntime<E, R>(fn: (event: E, context: Context) => Promise<R>, opts: { metrics?: boolean } = {}) {
  // timeoutEarlyInMillis 0: in the local stack many invocations share one process, and middy 6 shares one abort controller.
  const chain = middy<E, R>({ timeoutEarlyInMillis: 0 });
  // Only handlers that emit metrics flush them (an empty flush logs a warning on every invocation).
  if (opts.metrics) chain.use(logMetrics(metrics));
  return chain.use(logErrors()).handler(fn);
}
