/** The bench's accounting (`bench/cost-model.ts`): hand-computed cases at the prices of `bench/prices.ts`. */
import { describe, expect, it } from 'vitest';
import {
  SERVICES,
  durableDataBytes,
  durableOperations,
  idleMappingsUsdPerMonth,
  jobxCost,
  lambdaDurableUsdPerMillionTasks,
  stepFunctionsTransitions,
  stepFunctionsUsdPerMillionTasks,
  sweeperUsdPerMonth,
  type CountedUsage,
  type WorkflowRun,
} from '../../../bench/cost-model';

const none = { invocations: 0, billedMs: 0 };
const usage = (u: Partial<CountedUsage>): CountedUsage => ({
  tasks: 1,
  ddbReadUnits: 0,
  ddbWriteUnits: 0,
  sqsRequests: 0,
  schedulerInvocations: 0,
  eventBridgeEvents: 0,
  apiGatewayRequests: 0,
  api: none,
  wait: none,
  stream: none,
  sweeper: none,
  providers: none,
  ...u,
});

describe('jobx cost per million tasks', () => {
  it('a million tasks: each service is its count times its list price', () => {
    const cost = jobxCost(
      usage({
        tasks: 1e6,
        ddbWriteUnits: 4e6, // 4 × 0.625 = 2.5
        ddbReadUnits: 2e6, // 2 × 0.125 = 0.25
        sqsRequests: 3e6, // 3 × 0.40 = 1.2
        schedulerInvocations: 1e5, // 0.1 × 1 = 0.1
        eventBridgeEvents: 2e6, // 2 × 1 = 2
        apiGatewayRequests: 1e6, // 1
        // 1e6 × 0.2/M = 0.2, plus 1e6 × 100 ms × 0.5 GB = 50,000 GB-s × 0.0000133334 = 0.66667
        api: { invocations: 1e6, billedMs: 1e8 },
        // 1e5 × 0.2/M = 0.02, plus 1e7 ms × 0.25 GB = 2,500 GB-s = 0.0333335; sweeper 10 × 0.2/M + 1e4 ms × 0.25 GB
        stream: { invocations: 1e5, billedMs: 1e7 },
        sweeper: { invocations: 10, billedMs: 1e4 },
        // apart: 1e5 × 0.2/M = 0.02 plus 1e7 ms × 0.5 GB = 5,000 GB-s = 0.066667
        providers: { invocations: 1e5, billedMs: 1e7 },
      }),
    );
    expect(cost.byService).toEqual({
      dynamodb: 2.75,
      sqs: 1.2,
      scheduler: 0.1,
      eventbridge: 2,
      apiGateway: 1,
      apiLambda: 0.8667,
      // 0.02 + 0.0333335 + 0.000002 + 0.0000333335
      engineLambda: 0.0534,
    });
    expect(cost.usdPerMillionTasks).toBe(7.9701);
    expect(cost.providerLambdaUsdPerMillionTasks).toBe(0.0867);
  });

  it('a 3-task job with one API call waiting 2.5 s: waits are billed at the API function memory', () => {
    // 2,500 ms × 0.5 GB = 1.25 GB-s × 0.0000133334 = 0.0000166668, plus a request 0.0000002 → per task × 1e6 / 3
    const cost = jobxCost(usage({ tasks: 3, apiGatewayRequests: 1, api: { invocations: 1, billedMs: 2500 } }));
    expect(cost.byService.apiLambda).toBe(5.6223);
    expect(cost.byService.apiGateway).toBe(0.3333);
    expect(cost.usdPerMillionTasks).toBe(5.9556);
  });

  it('the same wait on the wait function (the result long-poll) is billed at its 128 MB: a quarter of the GB-seconds', () => {
    // 2,500 ms × 0.125 GB = 0.3125 GB-s × 0.0000133334 = 0.00000416669, plus a request 0.0000002 → per task × 1e6 / 3
    const cost = jobxCost(usage({ tasks: 3, apiGatewayRequests: 1, wait: { invocations: 1, billedMs: 2500 } }));
    expect(cost.byService.apiLambda).toBe(1.4556);
    expect(cost.usdPerMillionTasks).toBe(1.7889);
  });

  it('apiLambda is the API function at its memory plus the wait function at its own', () => {
    // API: 1e6 × 0.2/M + 1e8 ms × 0.5 GB = 0.86667; wait: 1e6 × 0.2/M + 1e9 ms × 0.125 GB = 125,000 GB-s = 1.866675
    const both = jobxCost(usage({ tasks: 1e6, api: { invocations: 1e6, billedMs: 1e8 }, wait: { invocations: 1e6, billedMs: 1e9 } }));
    expect(both.byService.apiLambda).toBe(2.7333);
    // Priced at other sizes when asked (a deployment with api.waitMemorySize 512 pays the API's rate for its waits).
    const atApiSize = jobxCost(usage({ tasks: 1e6, wait: { invocations: 0, billedMs: 1e9 } }), { api: 512, wait: 512, stream: 256, sweeper: 256, provider: 512 });
    expect(atApiSize.byService.apiLambda).toBe(6.6667);
  });

  it('the services add up to the total, whatever the usage', () => {
    for (let i = 0; i < 200; i++) {
      const r = () => Math.floor(Math.random() * 1e6);
      const cost = jobxCost(
        usage({
          tasks: 1 + r(),
          ddbWriteUnits: r(),
          ddbReadUnits: r(),
          sqsRequests: r(),
          schedulerInvocations: r(),
          eventBridgeEvents: r(),
          apiGatewayRequests: r(),
          api: { invocations: r(), billedMs: r() * 100 },
          wait: { invocations: r(), billedMs: r() * 1000 },
          stream: { invocations: r(), billedMs: r() * 10 },
          sweeper: { invocations: r(), billedMs: r() },
          providers: { invocations: r(), billedMs: r() },
        }),
      );
      expect(Object.keys(cost.byService)).toEqual([...SERVICES]);
      const sum = SERVICES.reduce((s, k) => s + cost.byService[k], 0);
      expect(Math.abs(sum - cost.usdPerMillionTasks)).toBeLessThan(1e-9);
    }
  });

  it('providers are never part of jobx total', () => {
    const cost = jobxCost(usage({ providers: { invocations: 1, billedMs: 1000 } }));
    expect(cost.usdPerMillionTasks).toBe(0);
    expect(cost.providerLambdaUsdPerMillionTasks).toBeGreaterThan(0);
  });

  it('refuses a scenario without tasks', () => {
    expect(() => jobxCost(usage({ tasks: 0 }))).toThrow();
  });
});

const pipeline = (attempts = 3, resultBytes = 0): WorkflowRun => ({ attempts, resultBytes });

describe('Step Functions Standard', () => {
  it('one transition per state entered: a 3-task pipeline is 3, no charge for start or end', () => {
    expect(stepFunctionsTransitions(pipeline())).toBe(3);
  });

  it('every retry enters its state again', () => {
    // task a fails twice then succeeds, b and c once: 5 attempts
    expect(stepFunctionsTransitions(pipeline(5))).toBe(5);
  });

  it('a parent as a Map adds one for the Map state, then its children own states', () => {
    const parent: WorkflowRun = { attempts: 0, resultBytes: 0, children: [pipeline(), pipeline(), pipeline(4)] };
    expect(stepFunctionsTransitions(parent)).toBe(1 + 3 + 3 + 4);
    const withOwnTask: WorkflowRun = { ...parent, attempts: 1 };
    expect(stepFunctionsTransitions(withOwnTask)).toBe(12);
  });

  it('per million tasks: 3 transitions for 3 tasks is 25 USD; a parent of 10 children of 3 tasks is 31 × 25 / 30', () => {
    expect(stepFunctionsUsdPerMillionTasks([pipeline(), pipeline()], 6)).toBe(25);
    const parent: WorkflowRun = { attempts: 0, resultBytes: 0, children: Array.from({ length: 10 }, () => pipeline()) };
    expect(stepFunctionsUsdPerMillionTasks([parent], 30)).toBe(25.8333);
  });
});

describe('Lambda durable functions', () => {
  it('one operation per execution start and per step attempt, retries included', () => {
    expect(durableOperations(pipeline())).toBe(4);
    expect(durableOperations(pipeline(5))).toBe(6);
  });

  it('a parent map: one per branch, plus each branch steps; one start for the whole execution', () => {
    const parent: WorkflowRun = { attempts: 0, resultBytes: 0, children: [pipeline(), pipeline(4)] };
    expect(durableOperations(parent)).toBe(1 + (1 + 3) + (1 + 4));
  });

  it('data written: the bytes of every step result, children included', () => {
    const parent: WorkflowRun = { attempts: 1, resultBytes: 100, children: [pipeline(3, 300), pipeline(3, 1000)] };
    expect(durableDataBytes(parent)).toBe(1400);
  });

  it('per million tasks: 8 USD per million operations plus 0.25 USD per GB written', () => {
    // 4 operations for 3 tasks: 4 × 8 / 3 = 10.6667 per million tasks
    expect(lambdaDurableUsdPerMillionTasks([pipeline()], 3)).toBe(10.6667);
    // 1 GB of results over a million tasks: 0.25 more per million tasks
    const heavy = { attempts: 1e6, resultBytes: 1024 ** 3 };
    expect(lambdaDurableUsdPerMillionTasks([heavy], 1e6)).toBe(roundTo((1e6 + 1) * 8e-6 + 0.25));
  });
});

const roundTo = (n: number) => Math.round(n * 1e4) / 1e4;

describe('fixed monthly costs', () => {
  it('an idle event source mapping: 5 pollers × 3 long polls a minute × 43,200 minutes, as SQS requests (≈ 0.26 USD)', () => {
    expect(idleMappingsUsdPerMonth(1)).toBeCloseTo(0.2592, 10);
    expect(idleMappingsUsdPerMonth(3)).toBeCloseTo(0.7776, 10);
  });

  it('the sweeper: its per-run cost on an idle deployment, 43,200 runs a month', () => {
    // per run: 0.2/M request + 10 ms × 0.25 GB × 0.0000133334 + 1 RRU × 0.125/M
    const runs = usage({ tasks: 2, ddbReadUnits: 2, sweeper: { invocations: 2, billedMs: 20 } });
    const perRun = 0.2e-6 + 0.01 * 0.25 * 0.0000133334 + 0.125e-6;
    expect(sweeperUsdPerMonth(runs, 2)).toBeCloseTo(perRun * 43_200, 12);
  });
});
