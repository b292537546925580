/**
 * Every price the bench uses, and the deployment figures it prices with. Prices: AWS list prices (US East,
 * N. Virginia) from `../shared/reference/aws-list-prices.md`, the one table every figure in the README uses
 * (rows named in each comment; free tiers ignored). Nothing else in the bench holds a price.
 * @module
 */

/** USD per unit. */
export const PRICES = {
  /** "DynamoDB on-demand | write request unit (1 KB) | 0.625 per million" (a failed conditional write still consumes WRU). */
  ddbWriteUnit: 0.625 / 1e6,
  /** "DynamoDB on-demand | read request unit (4 KB strong) | 0.125 per million" (eventually consistent = 0.5 RRU). */
  ddbReadUnit: 0.125 / 1e6,
  /** "SQS standard | request (each 64 KB chunk) | 0.40 per million" (send, receive incl. empty, delete; a batch of 10 = 1). */
  sqsRequest: 0.4 / 1e6,
  /** "Lambda (arm64) | request | 0.20 per million". */
  lambdaRequest: 0.2 / 1e6,
  /** "Lambda (arm64) | GB-second | 0.0000133334" (1 ms granularity). */
  lambdaGbSecond: 0.0000133334,
  /** "EventBridge Scheduler | invocation | 1.00 per million" (creating and deleting schedules is not billed). */
  schedulerInvocation: 1.0 / 1e6,
  /** "EventBridge custom events | event (64 KB chunk) | 1.00 per million" (one PutEvents entry = one event). */
  eventBridgeEvent: 1.0 / 1e6,
  /** "API Gateway HTTP API | request (512 KB chunk) | 1.00 per million". */
  httpApiRequest: 1.0 / 1e6,
  /** "Step Functions Standard | state transition | 25.00 per million" (every retry is another transition). */
  stepFunctionsTransition: 25.0 / 1e6,
  /** "Lambda durable functions | durable operation | 8.00 per million" (one per step attempt and per execution start). */
  durableOperation: 8.0 / 1e6,
  /** "Lambda durable functions | data written / retained | 0.25 per GB" (checkpointed step results and errors). */
  durableDataWrittenPerGb: 0.25,
} as const;

/**
 * "Lambda (arm64), per function | idle SQS event source mapping | about 0.26 per queue-month | its pollers' empty
 * long-poll receives (about 650,000 a month at 5 pollers)": 5 pollers, each one 20 s long poll at a time, all
 * month, priced as SQS requests. The model behind the table's figure, so the bench derives it, not copies it.
 */
export const IDLE_MAPPING = { pollers: 5, longPollSeconds: 20 } as const;

/** Minutes in the 30-day month the monthly figures use. */
export const MINUTES_PER_MONTH = 30 * 24 * 60;

/** Bytes in the GB of "0.25 per GB" (binary, as AWS's storage and data prices count). */
export const BYTES_PER_GB = 1024 ** 3;

/**
 * Memory of jobx's functions in the bench's deployment (MB): the JobFlow construct's defaults, `DEFAULTS` in
 * `lib/job-flow.ts` and `WAIT_DEFAULTS` in `lib/wait-function.ts` (api 512, wait 128 for the result long-polls,
 * stream 256, sweeper 256, provider 512). `test/unit/bench/deployment-figures.test.ts` synthesizes a JobFlow and
 * fails if these drift from it.
 */
export const FUNCTION_MEMORY_MB = { api: 512, wait: 128, stream: 256, sweeper: 256, provider: 512 } as const;

/**
 * How often the sweeper runs (`DEFAULTS.sweeper.rate` in `lib/job-flow.ts`: `rate(1 minute)`; checked by the
 * same test). The bench's local stack sweeps at the same rate.
 */
export const SWEEPER_RATE_MINUTES = 1;
