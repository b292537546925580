/** The result long-poll, `GET /jobs/{jobId}/result?wait=N`, served by the wait function. @module */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { waitForResult } from '../../engine/jobs-service';
import { resultDeps } from '../../runtime/deps';
import { json } from '../api-errors';
import { jobIdParam, queryParam } from '../request';
import { waitSchema } from '../schemas';

type Handler = (event: APIGatewayProxyEventV2, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<APIGatewayProxyStructuredResultV2>;

/** Time kept back from the function's remaining time to answer after a wait (read the view, serialise it). */
const ANSWER_RESERVE_MS = 2_000;

/** The wait asked for, cut to what the invocation has left: a wait never ends in a timeout instead of an answer. */
export function waitWithin(seconds: number, context: Pick<Context, 'getRemainingTimeInMillis'> | undefined): number {
  if (!context) return seconds;
  return Math.max(0, Math.min(seconds, (context.getRemainingTimeInMillis() - ANSWER_RESERVE_MS) / 1000));
}

/**
 * GET /jobs/{jobId}/result?wait=N: 200 with the result once finished, else 202 with the status. Served on AWS by
 * the wait function (`WAIT_ROUTES`): it reads the two tables only, hence {@link resultDeps}.
 */
export const getResult: Handler = async (event, context) => {
  const jobId = jobIdParam(event);
  const wait = queryParam(event, 'wait', waitSchema) ?? 0;
  const { finished, ...result } = await waitForResult(resultDeps(), jobId, waitWithin(wait, context));
  if (!finished) return json(202, { jobId: result.jobId, status: result.status });
  const { endedAt: _endedAt, ...body } = result;
  return json(200, body);
};
