/** AWS list prices (US East), from ../shared/reference/aws-list-prices.md: the one table every figure uses. */
export const PRICES = {
  ddbWriteUnit: 0.625 / 1e6,
  ddbReadUnit: 0.125 / 1e6,
  sqsRequest: 0.4 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  schedulerInvocation: 1.0 / 1e6,
  eventBridgeEvent: 1.0 / 1e6,
  httpApiRequest: 1.0 / 1e6,
  stepFunctionsTransition: 25.0 / 1e6,
} as const;

/** Memory of jobx's own functions in the deployment (GB), for GB-seconds. */
export const ENGINE_MEMORY_GB = 0.25;
