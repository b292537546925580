/**
 * The wait function of a deployment: `GET /jobs/{jobId}/result`, the result long-poll, and `GET /openapi.json`, the
 * API's description (`WAIT_ROUTES` in `functions/http/route-access.ts`), get routes of their own on the flow's HTTP
 * API, integrated with a function of its own (`functions/handlers/http-wait.ts`, the same request parsing and error
 * mapping as the API's), at a small memory size: a long-poll spends nearly all its time waiting on DynamoDB reads,
 * and Lambda bills that wait by memory × duration; the description's code stays out of the API function's bundle.
 * It reads the jobs and result tables and nothing else (`ENGINE_GRANTS.wait`), has its own reserved concurrency,
 * the API's timeout, authorizer and access logs, and the `read` group's JWT scopes.
 *
 * API Gateway routes by method and path, not by query string: `POST /jobs?wait=N` stays on the API function.
 * @module
 */
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { ROUTE_ACCESS, WAIT_ROUTES } from '../functions/http/route-access';
import { ENV } from '../functions/runtime/env-names';
import type { JobFlowProps } from './job-flow-props';
import { acknowledgeWaitFunction } from './nag-acknowledgements';

/** Defaults of the wait function (`api.waitMemorySize`, `api.waitReservedConcurrency`). */
export const WAIT_DEFAULTS = { memorySize: 128, reservedConcurrency: 100 } as const;

/**
 * The jobx variables the wait function reads: the table names (`resultDeps` in `functions/runtime/deps.ts`);
 * `test/infra/env-contract.test.ts` derives the same from the code of the routes it serves.
 */
export const WAIT_FUNCTION_ENV: readonly string[] = [ENV.jobsTable, ENV.resultsTable];

/** What the wait function's wiring needs from its flow. */
export interface WaitRoutesOptions {
  /** The flow's props (`api`, `tracing`, `encryptionKey`). */
  readonly props: JobFlowProps;
  /** The flow's HTTP API: the wait routes are added to it. */
  readonly api: apigwv2.HttpApi;
  /** The API's authorizer (IAM or JWT), the same on the wait routes. */
  readonly authorizer: apigwv2.IHttpRouteAuthorizer;
}

/** Memory of the wait function (MB). */
export function waitMemorySize(props: JobFlowProps): number {
  return props.api?.waitMemorySize ?? WAIT_DEFAULTS.memorySize;
}

/**
 * Wires the wait function (built by the flow, granted `ENGINE_GRANTS.wait`): its reserved concurrency, the use
 * of the flow's key to read the tables, and its routes on the API with the API's authorizer and the scopes of
 * the routes' access group (`api.jwt.routeScopes.read`; else the API's default scopes). Returns the routes.
 */
export function serveWaitRoutes(fn: lambda.Function, options: WaitRoutesOptions): apigwv2.HttpRoute[] {
  const { props, api, authorizer } = options;
  // Long-polls hold an execution each for up to their wait: the wait function gets a bounded share of the account.
  const reserved = props.api?.waitReservedConcurrency ?? WAIT_DEFAULTS.reservedConcurrency;
  if (reserved > 0) (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = reserved;
  // Reads of tables under the flow's key decrypt; it writes nothing.
  props.encryptionKey?.grant(fn, 'kms:Decrypt', 'kms:DescribeKey');
  const integration = new HttpLambdaIntegration('WaitIntegration', fn, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 });
  const routes = WAIT_ROUTES.flatMap((route) => {
    const access = ROUTE_ACCESS.find((r) => r.method === route.method && r.path === route.path)!.access;
    const scopes = access === 'public' ? undefined : props.api?.jwt?.routeScopes?.[access];
    return api.addRoutes({
      path: route.path,
      methods: [route.method === 'GET' ? apigwv2.HttpMethod.GET : apigwv2.HttpMethod.POST],
      integration,
      authorizer,
      // Unset: the API's default scopes (`api.jwt.scopes`), as on `$default`.
      ...(scopes ? { authorizationScopes: [...scopes] } : {}),
    });
  });
  acknowledgeWaitFunction(fn, { tracing: props.tracing === true });
  return routes;
}
