/**
 * Shared middy setup for every handler: a structured logger and handler-level error logging.
 * @module
 */
import middy, { type MiddlewareObj } from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/** The process-wide logger (JSON; `POWERTOOLS_LOG_LEVEL` sets the level). */
export const logger = new Logger({ serviceName: 'jobx' });

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
export function withRuntime<E, R>(fn: (event: E, context: Context) => Promise<R>) {
  // timeoutEarlyInMillis 0: in the local stack many invocations share one process, and middy 6 shares one abort controller.
  return middy<E, R>({ timeoutEarlyInMillis: 0 }).use(logErrors()).handler(fn);
}
