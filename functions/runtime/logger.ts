/**
 * The process-wide logger, apart from `runtime/middy.ts` (which re-exports it): the API function logs through
 * it but emits no metrics, and importing the logger alone keeps the metrics library out of its bundle.
 * @module
 */
import { Logger } from '@aws-lambda-powertools/logger';

/** The process-wide logger (JSON; `POWERTOOLS_LOG_LEVEL` sets the level). */
export const logger = new Logger({ serviceName: 'jobx' });
