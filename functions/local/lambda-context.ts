import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_REGION } from './client-config';

/** Fake account id used in local Lambda ARNs (matches DynamoDB Local's `000000000000`). */
const LOCAL_ACCOUNT_ID = '000000000000';

/** Memory size reported to handlers; only informational locally (Powertools logs it). */
const LOCAL_MEMORY_MB = '1024';

/**
 * Creates a Lambda `Context` for one local invocation of a handler.
 *
 * Each call models one invocation: a fresh `awsRequestId` (a random UUID, as
 * Lambda uses) and a deadline of `timeoutMs` from now, which
 * `getRemainingTimeInMillis()` counts down to (never below 0). Nothing
 * enforces the deadline; handlers that budget their work with
 * `getRemainingTimeInMillis()` (e.g. to stop a batch early) see realistic
 * values. ARNs, log group and stream names follow the real formats so code
 * and loggers that parse them keep working.
 *
 * The deprecated `done`/`fail`/`succeed` callbacks are no-ops: handlers in
 * this project are async and signal completion through their promise.
 *
 * @param functionName - Logical function name, used in the ARN and log names.
 * @param timeoutMs - Invocation timeout in milliseconds.
 * @returns A new context object; do not reuse it across invocations.
 */
export function createLambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    // Irrelevant for async handlers, but Lambda's default is true.
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: LOCAL_MEMORY_MB,
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
