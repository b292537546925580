/**
 * Turns a plain function into a jobx provider: a Lambda handler for its SQS queue that claims each task,
 * runs it and records success or failure.
 * @module
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { JsonObject } from '../core/json';
import { INVOCATION_END_RESERVE_MS } from '../core/attempt-limits';
import { MAX_CONTINUED_STEPS } from '../core/continuation';
import type { TaskMessage } from '../core/model';
import { runTask, type ProviderFunction } from '../engine/run-task';
import { providerDeps } from '../runtime/deps';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC, logger, metrics, withRuntime } from '../runtime/middy';
import type { RunTaskResult } from '../engine/run-task';

const OUTCOME_METRIC: Record<RunTaskResult, string> = {
  succeeded: METRIC.attemptSucceeded,
  failed: METRIC.attemptFailed,
  duplicate: METRIC.duplicateDelivery,
  late: METRIC.lateResult,
  pending: METRIC.pending,
};

/** Invocation time kept back to record an attempt's end after it was stopped for the invocation's sake. */
const END_RESERVE_MS = INVOCATION_END_RESERVE_MS;

export type { ProviderEvent, ProviderFunction } from '../engine/run-task';
export { NonRetryableError, RetryAfterError } from '../core/provider-errors';
export { pending, PendingResult } from '../core/pending';
export type { Env, Json, JsonObject } from '../core/json';

/** A provider's name with its handler. */
export interface ProviderDefinition {
  name: string;
  fn: ProviderFunction;
  /** The Lambda handler for the provider's SQS queue. */
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
}

/**
 * Defines a provider.
 * @example
 * export const { handler } = defineProvider('resize', async ({ input }) => ({ url: await resize(input.src) }));
 */
export function defineProvider<I extends JsonObject = JsonObject>(name: string, fn: ProviderFunction<I>): ProviderDefinition {
  const processor = new BatchProcessor(EventType.SQS);
  const generic = fn as ProviderFunction;
  const handler = withRuntime(async (event: SQSEvent, context: Context) =>
    processPartialResponse(
      event,
      async (record: SQSRecord) => {
        const message = JSON.parse(record.body) as TaskMessage;
        // Stop the attempt (recorded as timed out) before Lambda stops the invocation and loses the batch.
        await runTask(providerDeps(), message, generic, {
          deadline: Date.now() + context.getRemainingTimeInMillis() - END_RESERVE_MS,
          // The pipeline's next tasks of this function run here too, while they fit (core/continuation.ts).
          continueSteps: MAX_CONTINUED_STEPS,
          onAttempt: (ran, outcome) => {
            metrics.addMetric(OUTCOME_METRIC[outcome], MetricUnit.Count, 1);
            if (outcome === 'late') logger.warn('late result kept, nothing changed', { jobId: ran.jobId, taskId: ran.taskId, attempt: ran.attempt });
          },
          onContinueError: (next, error) =>
            logger.warn('a continued task stopped on an error; the sweeper takes it up', { jobId: next.jobId, taskId: next.taskId, error: error as Error }),
        });
      },
      processor,
      // Tasks in one batch are independent: run them side by side (the explicit choice the model code asks for).
      { context, processInParallel: true },
    ),
    { metrics: true },
  );
  return { name, fn: generic, handler };
}
