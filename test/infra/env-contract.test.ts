/**
 * Deploys nothing, but proves that what the template gives each function is what its handler code reads and
 * calls. The code side is derived from the source (`support/code-contract.ts`: every `ENV.*` read and every AWS
 * SDK command reachable from the handler, through the port interfaces into the AWS adapters); the template side
 * from the synthesized stack. Names come from one place (`functions/runtime/env-names.ts`).
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoResultStore } from '../../functions/adapters/dynamodb/result-store';
import { ENV } from '../../functions/runtime/env-names';
import { parseRoutes, queuesOf } from '../../functions/core/topology';
import { buildApp } from '../../bin/app';
import { HANDLER_ENTRIES, RESULT_TTL_ATTRIBUTE, SERVICE_NAME, TASK_METRICS, type JobFlow } from '../../lib/job-flow';
import { EXAMPLE_PROVIDERS } from '../../lib/jobx-stack';
import { CONSOLE_HANDLER_ENTRY } from '../../lib/bundling';
import { isWaitRoute } from '../../functions/http/route-access';
import { routes as apiRoutes } from '../../functions/handlers/http-api';
import { routes as waitRoutes } from '../../functions/handlers/http-wait';
import { actionsByResource, analyseHandlers, type HandlerContract, type Resource } from './support/code-contract';
import { logicalIdOf, testApp } from './support/synth';

/** Variables only the local stack sets (env-names.ts: "local stack only"; the timers table backs JOBX_SCHEDULER=table). */
const LOCAL_ONLY: ReadonlyArray<keyof typeof ENV> = ['timersTable', 'localInfo'];

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

let flow: JobFlow;
let t: Template;
let contracts: Map<string, HandlerContract>;
/** Each function of the template, its handler entry and, for the two HTTP functions, the routes it serves. */
let functions: Array<{ label: string; fn: IFunction; entry: string; serves?: (method: string, path: string) => boolean }>;
/** The console function (`console` prop, JWT only), in a stack of its own. */
let consoleSite: { fn: IFunction; t: Template };

beforeAll(() => {
  const { stack } = buildApp(testApp());
  flow = stack.jobFlow;
  t = Template.fromStack(stack);
  functions = [
    // Two handlers, two functions: API Gateway sends the wait routes to the wait function, the rest to the API function.
    { label: 'api', fn: flow.apiFunction, entry: HANDLER_ENTRIES.api, serves: (method: string, path: string) => !isWaitRoute(method, path) },
    { label: 'wait', fn: flow.waitFunction, entry: HANDLER_ENTRIES.wait, serves: isWaitRoute },
    { label: 'stream', fn: flow.streamFunction, entry: HANDLER_ENTRIES.stream },
    { label: 'sweeper', fn: flow.sweeperFunction, entry: HANDLER_ENTRIES.sweeper },
    ...Object.entries(EXAMPLE_PROVIDERS).map(([name, entry]) => ({ label: `provider ${name}`, fn: flow.providers.get(name)!.fn, entry })),
  ];
  const withConsole = buildApp(testApp({ context: { auth: 'jwt', jwtIssuer: 'https://issuer.example.com', jwtAudience: 'console-client', consoleClientId: 'console-client' } })).stack;
  consoleSite = { fn: withConsole.jobFlow.console!.fn, t: Template.fromStack(withConsole) };
  contracts = analyseHandlers([...functions.map((f) => ({ name: f.label, entry: f.entry, ...(f.serves ? { serves: f.serves } : {}) })), CONSOLE_HANDLER_ENTRY]);
});

function variablesOf(fn: IFunction): Record<string, unknown> {
  const resource = t.toJSON().Resources[logicalIdOf(fn)] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
  return resource.Properties.Environment.Variables;
}

/** A CloudFormation string (Fn::Join of Ref / GetAtt) as text with `<Ref:id>` / `<id.Attr>` placeholders. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(sep);
  }
  if (v.Ref) return `<Ref:${String(v.Ref)}>`;
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

describe('environment variables', () => {
  it('the analysis found the handlers and what they read', () => {
    for (const f of functions) {
      const c = contracts.get(f.label)!;
      expect(c.envKeys.has('jobsTable'), f.label).toBe(true);
      expect(c.needs.length, f.label).toBeGreaterThan(0);
    }
    expect(contracts.get('sweeper')!.envKeys.has('requeueAfterSeconds')).toBe(true);
  });

  it('the API function and the wait function split the routes: each route is served by exactly one, the wait routes by the wait function', () => {
    const all = [...apiRoutes, ...waitRoutes].map((r) => `${r.method} ${r.path}`).sort();
    const served = [...contracts.get('api')!.routes, ...contracts.get('wait')!.routes].sort();
    expect(served).toEqual(all);
    expect(contracts.get('wait')!.routes.sort()).toEqual(['GET /jobs/{jobId}/result', 'GET /openapi.json']);
  });

  it('the wait function reads the table names only: no routes, queues, scheduler, bus or identity settings', () => {
    expect([...contracts.get('wait')!.envKeys].sort()).toEqual(['jobsTable', 'resultsTable']);
    expect(Object.keys(variablesOf(flow.waitFunction)).filter((k) => k.startsWith('JOBX_')).sort()).toEqual([ENV.jobsTable, ENV.resultsTable].sort());
  });

  it('every ENV name a handler reads is set on its function; local-only ones are not', () => {
    for (const f of functions) {
      const vars = variablesOf(f.fn);
      for (const key of contracts.get(f.label)!.envKeys) {
        if (LOCAL_ONLY.includes(key)) expect(vars[ENV[key]], `${f.label}: ${ENV[key]} is local only`).toBeUndefined();
        else expect(vars[ENV[key]], `${f.label} reads ${ENV[key]}`).toBeDefined();
      }
      // The AWS branch of deps.ts: EventBridge Scheduler (the timers table is the local stack's) for the functions that
      // dispatch (stream, sweeper); the API and providers never schedule.
      if (f.fn === flow.streamFunction || f.fn === flow.sweeperFunction) expect(vars[ENV.schedulerKind], f.label).toBe('eventbridge');
      else expect(vars[ENV.schedulerKind], f.label).toBeUndefined();
      if (f.label.startsWith('provider ')) expect(Object.keys(vars).filter((k) => k.startsWith('JOBX_')).sort(), f.label).toEqual([ENV.jobsTable, ENV.metricFlow, ENV.metricStage, ENV.resultsTable].sort());
    }
  });

  it('no JOBX_ variable is set that the handler does not read', () => {
    const known = new Set<string>(Object.values(ENV));
    for (const f of functions) {
      const read = new Set([...contracts.get(f.label)!.envKeys].map((k) => ENV[k]));
      for (const name of Object.keys(variablesOf(f.fn)).filter((n) => n.startsWith('JOBX_'))) {
        expect(known.has(name), `${f.label}: ${name} is not in env-names.ts`).toBe(true);
        expect(read.has(name as (typeof ENV)[keyof typeof ENV]), `${f.label}: ${name} is set but never read`).toBe(true);
      }
    }
  });

  it('the values point at the right resources', () => {
    const group = t.toJSON().Resources[logicalIdOf(flow.scheduleGroup)].Properties.Name as string;
    for (const f of functions) {
      const vars = variablesOf(f.fn);
      expect(vars[ENV.jobsTable], f.label).toEqual({ Ref: logicalIdOf(flow.table) });
      expect(vars[ENV.resultsTable], f.label).toEqual({ Ref: logicalIdOf(flow.resultsTable) });
      // Providers read the tables only: no routes, scheduler or bus; the API no scheduler or bus, the sweeper no bus
      // (checked by the two tests above).
      if (f.fn !== flow.streamFunction && f.fn !== flow.sweeperFunction) continue;
      expect(vars[ENV.schedulerGroup], f.label).toBe(group);
      expect(vars[ENV.schedulerRoleArn], f.label).toEqual({ 'Fn::GetAtt': [logicalIdOf(flow.schedulerRole), 'Arn'] });
      if (f.fn === flow.streamFunction) expect(vars[ENV.eventBus], f.label).toEqual({ Ref: logicalIdOf(flow.eventBus) });
    }
    expect(variablesOf(flow.sweeperFunction)[ENV.requeueAfterSeconds]).toBe('300');
  });

  it('JOBX_ROUTES and the queue prefixes lead every engine function to every provider queue, as CloudFormation names it', () => {
    // Every function whose code reads the routes (not the providers, not the wait function: it reads results only).
    const readers = functions.filter((fn) => contracts.get(fn.label)!.envKeys.has('routes'));
    expect(readers.map((f) => f.label).sort()).toEqual(['api', 'stream', 'sweeper']);
    for (const f of readers) {
      const vars = variablesOf(f.fn);
      const routes = parseRoutes(flatten(vars[ENV.routes]));
      expect(routes, f.label).toEqual([...flow.providers.keys()]);
      const topology = { urlPrefix: flatten(vars[ENV.queueUrlPrefix]), arnPrefix: flatten(vars[ENV.queueArnPrefix]), routes };
      expect(topology.urlPrefix, f.label).toBe(`https://sqs.<Ref:AWS::Region>.<Ref:AWS::URLSuffix>/<Ref:AWS::AccountId>/${flow.queueNamePrefix}`);
      expect(topology.arnPrefix, f.label).toBe(`arn:<Ref:AWS::Partition>:sqs:<Ref:AWS::Region>:<Ref:AWS::AccountId>:${flow.queueNamePrefix}`);
      const derived = queuesOf(topology);
      for (const [route, p] of flow.providers) {
        const name = (t.toJSON().Resources[logicalIdOf(p.queue)] as { Properties: { QueueName: string } }).Properties.QueueName;
        // SQS's URL and ARN of a queue are these forms of its name (what `Ref` and `Fn::GetAtt Arn` return).
        expect(derived[route], `${f.label}: ${route}`).toEqual({
          queueUrl: `https://sqs.<Ref:AWS::Region>.<Ref:AWS::URLSuffix>/<Ref:AWS::AccountId>/${name}`,
          queueArn: `arn:<Ref:AWS::Partition>:sqs:<Ref:AWS::Region>:<Ref:AWS::AccountId>:${name}`,
        });
      }
    }
  });

  it('the result table TTL attribute is the one DynamoResultStore writes (epoch seconds)', async () => {
    const sent: Array<{ input: { Item: Record<string, unknown> } }> = [];
    const client = { send: async (command: { input: { Item: Record<string, unknown> } }) => void sent.push(command) };
    const store = new DynamoResultStore({ client: client as never, tableName: 'results' });
    await store.put({ jobId: 'J1', status: 'succeeded', endedAt: new Date().toISOString() });
    const ttl = sent[0]!.input.Item[RESULT_TTL_ATTRIBUTE];
    expect(typeof ttl).toBe('number');
    expect(ttl as number).toBeGreaterThan(Date.now() / 1000);
    expect(ttl as number).toBeLessThan(Date.now() / 1000 + 366 * 86_400);
  });
});

describe('the console function', () => {
  it('reads exactly the sign-in settings, each set on its function, and no other JOBX_ variable is set', () => {
    const read = contracts.get(CONSOLE_HANDLER_ENTRY)!.envKeys;
    expect([...read].sort()).toEqual(['consoleClientId', 'consoleIssuer', 'consoleScopes']);
    const resource = consoleSite.t.toJSON().Resources[logicalIdOf(consoleSite.fn)] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    const vars = resource.Properties.Environment.Variables;
    for (const key of read) expect(vars[ENV[key]], ENV[key]).toBeDefined();
    expect(Object.keys(vars).filter((n) => n.startsWith('JOBX_')).sort()).toEqual([...read].map((k) => ENV[k]).sort());
  });

  it('calls no AWS API (its role holds its log group only, see console.test.ts)', () => {
    expect(contracts.get(CONSOLE_HANDLER_ENTRY)!.needs).toEqual([]);
  });
});

describe('metrics', () => {
  it('the task failure-rate alarm reads the namespace, names and dimension the provider wrapper emits', async () => {
    // The provider's own environment, then the code's metrics object, as on Lambda.
    const vars = variablesOf(flow.providers.get('demo')!.fn);
    const saved = { ...process.env };
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    try {
      for (const [k, v] of Object.entries(vars)) if (typeof v === 'string' && (k.startsWith('POWERTOOLS_') || k.startsWith('JOBX_METRIC_'))) process.env[k] = v;
      vi.resetModules();
      delete process.env.POWERTOOLS_METRICS_DISABLED;
      delete process.env.POWERTOOLS_DEV;
      const { metrics } = await import('../../functions/runtime/middy');
      metrics.addMetric(TASK_METRICS.failed, 'Count', 1);
      metrics.addMetric(TASK_METRICS.succeeded, 'Count', 1);
      metrics.publishStoredMetrics();
    } finally {
      write.mockRestore();
      process.env = saved;
    }
    const emf = lines.map((l) => JSON.parse(l) as { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> }; service?: string }).find((l) => l._aws);
    const directive = emf!._aws.CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe(flow.metricsNamespace);
    expect(directive.Dimensions.map((d) => [...d].sort())).toEqual([['flow', 'service', 'stage']]);
    expect(emf!.service).toBe(SERVICE_NAME);
    expect(directive.Metrics.map((m) => m.Name).sort()).toEqual([TASK_METRICS.failed, TASK_METRICS.succeeded].sort());
    // …and the alarm asks for exactly those.
    const alarm = Object.values(t.findResources('AWS::CloudWatch::Alarm')).find((a) => JSON.stringify(a).includes(TASK_METRICS.failed));
    const metricStats = JSON.stringify(alarm);
    expect(metricStats).toContain(`"Namespace":"${flow.metricsNamespace}"`);
    // The same dimensions, with the values the provider's environment gives its metrics.
    const dims = (JSON.parse(metricStats) as { Properties: { Metrics: Array<{ MetricStat?: { Metric: { Dimensions: Array<{ Name: string; Value: string }> } } }> } }).Properties.Metrics.find((m) => m.MetricStat)!.MetricStat!.Metric.Dimensions;
    expect(Object.fromEntries(dims.map((d) => [d.Name, d.Value]))).toEqual({ service: SERVICE_NAME, stage: vars.JOBX_METRIC_STAGE, flow: vars.JOBX_METRIC_FLOW });
    expect(emf).toMatchObject({ stage: flow.stageName, flow: flow.node.path });
  });
});

describe('grants', () => {
  /** Statements of every policy attached to the function's role. */
  function statementsOf(fn: IFunction): Statement[] {
    const roleId = logicalIdOf(fn.role!);
    return Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => asArray((p as { Properties: { Roles: unknown } }).Properties.Roles).some((r) => same(r, { Ref: roleId })))
      .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
  }

  /** What a statement resource is, from this function's point of view. */
  function classify(fn: IFunction, resource: unknown, action: string): Resource | 'own' {
    const getAtt = (c: Parameters<typeof logicalIdOf>[0], attr = 'Arn') => ({ 'Fn::GetAtt': [logicalIdOf(c), attr] });
    if (same(resource, getAtt(flow.table))) return 'jobsTable';
    const indexed = /^<(.+)\.Arn>\/index\/(.+)$/.exec(typeof resource === 'object' ? flatten(resource) : '');
    if (indexed && indexed[1] === logicalIdOf(flow.table)) return `jobsIndex:${indexed[2]}`;
    if (same(resource, getAtt(flow.resultsTable))) return 'resultsTable';
    if (same(resource, getAtt(flow.eventBus))) return 'events';
    if (same(resource, getAtt(flow.schedulerRole))) return 'schedulerRole';
    if (same(resource, Stack.of(flow).resolve(flow.scheduleArnPattern()))) return 'schedules';
    if ((action === 'sqs:SendMessage' || action === 'sqs:GetQueueAttributes') && same(resource, Stack.of(flow).resolve(flow.providerQueueArnPattern()))) return 'providerQueues';
    const provider = [...flow.providers.values()].find((p) => same(resource, getAtt(p.queue)));
    // The function's own plumbing: its log group, its event source (own queue, jobs stream, on-failure queue).
    if (provider && provider.fn === fn) return 'own';
    if (same(resource, getAtt(flow.table, 'StreamArn')) && fn === flow.streamFunction) return 'own';
    if (same(resource, getAtt(flow.streamFailureQueue)) && fn === flow.streamFunction) return 'own';
    if (resource === '*' && action === 'dynamodb:ListStreams' && fn === flow.streamFunction) return 'own';
    const logGroupId = (t.toJSON().Resources[logicalIdOf(fn)] as { Properties: { LoggingConfig: { LogGroup: { Ref: string } } } }).Properties.LoggingConfig.LogGroup.Ref;
    if (same(resource, { 'Fn::GetAtt': [logGroupId, 'Arn'] })) return 'own';
    throw new Error(`${fn.node.path}: ${action} on an unexpected resource ${JSON.stringify(resource)}`);
  }

  function granted(fn: IFunction): { data: Map<Resource, string[]>; queuesPerSend: Set<string>; passRoleConditions: unknown[] } {
    const data = new Map<Resource, Set<string>>();
    const queuesPerSend = new Set<string>();
    const passRoleConditions: unknown[] = [];
    for (const s of statementsOf(fn)) {
      expect(s.Effect).toBe('Allow');
      for (const action of asArray(s.Action)) {
        for (const resource of asArray(s.Resource)) {
          const kind = classify(fn, resource, action);
          if (kind === 'own') continue;
          data.set(kind, (data.get(kind) ?? new Set()).add(action));
          if (kind === 'providerQueues') queuesPerSend.add(JSON.stringify(resource));
          if (action === 'iam:PassRole') passRoleConditions.push(s.Condition);
        }
      }
    }
    return { data: new Map([...data].map(([k, v]) => [k, [...v].sort()])), queuesPerSend, passRoleConditions };
  }

  it('each function is granted exactly the data actions its handler code can call, on exactly those resources', () => {
    for (const f of functions) {
      const needed = Object.fromEntries([...actionsByResource(contracts.get(f.label)!.needs)].sort());
      const got = Object.fromEntries([...granted(f.fn).data].sort());
      const why = [...new Set(contracts.get(f.label)!.needs.map((n) => `${n.action} on ${n.resource} ← ${n.from}`))].join('; ');
      expect(got, `${f.label} (code needs: ${why})`).toEqual(needed);
    }
  });

  it('whoever sends to provider queues may send to every one of them: the prefix every queue name has, nothing wider', () => {
    for (const [route, p] of flow.providers) {
      const name = (t.toJSON().Resources[logicalIdOf(p.queue)] as { Properties: { QueueName: string } }).Properties.QueueName;
      expect(name.startsWith(flow.queueNamePrefix), route).toBe(true);
    }
    expect(flow.queueNamePrefix).toMatch(/^jobx-[0-9a-f]{8}-$/);
    for (const f of functions) {
      const g = granted(f.fn);
      if (g.data.has('providerQueues')) expect([...g.queuesPerSend], f.label).toEqual([JSON.stringify(Stack.of(flow).resolve(flow.providerQueueArnPattern()))]);
    }
  });

  it('iam:PassRole of the scheduler role is limited to EventBridge Scheduler', () => {
    for (const f of functions) {
      for (const condition of granted(f.fn).passRoleConditions) {
        expect(condition, f.label).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
      }
    }
  });

  it('every index a handler queries exists on the jobs table', () => {
    const indexes = (t.toJSON().Resources[logicalIdOf(flow.table)].Properties.GlobalSecondaryIndexes as Array<{ IndexName: string }>).map((i) => i.IndexName);
    for (const c of contracts.values()) {
      for (const n of c.needs) if (n.resource.startsWith('jobsIndex:')) expect(indexes).toContain(n.resource.slice('jobsIndex:'.length));
    }
  });
});
