/**
 * The JobFlow construct at synth time: every resource of the system and its key properties, IAM statements
 * without wildcard actions, and props that contradict each other. Logical ids come from the constructs
 * (`logicalIdOf`), never from hash-suffixed literals.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTIVE_INDEX } from '../../functions/adapters/dynamodb/keys';
import { jobsTableDefinition, resultsTableDefinition } from '../../functions/adapters/dynamodb/tables';
import { ENV } from '../../functions/runtime/env-names';
import { queueNameOf } from '../../functions/core/topology';
import { buildApp } from '../../bin/app';
import { JOBS_TTL_ATTRIBUTE } from '../../functions/adapters/dynamodb/keys';
import { JobFlow, RESULT_TTL_ATTRIBUTE, TASK_METRICS, type JobFlowProps } from '../../lib/job-flow';
import { EXAMPLE_PROVIDERS, type JobxStack } from '../../lib/jobx-stack';
import { ROOT, logicalIdOf, testApp } from './support/synth';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const DEMO_ENTRY = path.join(ROOT, EXAMPLE_PROVIDERS.demo);
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** A bare JobFlow in its own stack, for props tests. */
function flowWith(props: JobFlowProps | ((stack: Stack) => JobFlowProps) = {}, setup?: (flow: JobFlow) => void): { stack: Stack; flow: JobFlow; template: () => Template } {
  const app = testApp();
  const stack = new Stack(app, 'PropsTest');
  const flow = new JobFlow(stack, 'Flow', typeof props === 'function' ? props(stack) : props);
  setup?.(flow);
  return { stack, flow, template: () => Template.fromStack(stack) };
}

let stack: JobxStack;
let t: Template;
let flow: JobFlow;

beforeAll(() => {
  stack = buildApp(testApp()).stack;
  flow = stack.jobFlow;
  t = Template.fromStack(stack);
});

const resourcesOf = (type: string) => t.findResources(type) as Record<string, Resource>;
const ref = (c: Parameters<typeof logicalIdOf>[0]) => ({ Ref: logicalIdOf(c) });
const arnOf = (c: Parameters<typeof logicalIdOf>[0]) => ({ 'Fn::GetAtt': [logicalIdOf(c), 'Arn'] });

/** The function (its `Fn::GetAtt … Arn`) a route's integration invokes. */
function functionOfRoute(tpl: Template, routeKey: string): unknown {
  const routes = Object.values(tpl.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } })) as Resource[];
  expect(routes, routeKey).toHaveLength(1);
  const target = routes[0]!.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
  const integration = (tpl.toJSON().Resources as Record<string, Resource>)[target['Fn::Join'][1][1].Ref]!;
  return integration.Properties.IntegrationUri;
}

describe('tables', () => {
  it('jobs table: on-demand, streamed with both images, PITR, deletion protection, retained', () => {
    const jobs = resourcesOf('AWS::DynamoDB::Table')[logicalIdOf(flow.table)]!;
    expect(jobs.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(jobs.DeletionPolicy).toBe('Retain');
    expect(jobs.UpdateReplacePolicy).toBe('Retain');
  });

  it('jobs table: keys and indexes exactly as the local stack creates them (tables.ts)', () => {
    const def = jobsTableDefinition('x');
    const jobs = resourcesOf('AWS::DynamoDB::Table')[logicalIdOf(flow.table)]!.Properties;
    expect(jobs.KeySchema).toEqual(def.KeySchema);
    expect(new Set(jobs.AttributeDefinitions as unknown[])).toEqual(new Set(def.AttributeDefinitions));
    const indexes = (jobs.GlobalSecondaryIndexes as Array<Record<string, unknown>>).map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection }));
    expect(indexes).toEqual(def.GlobalSecondaryIndexes!.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection })));
    // The sweeper's sparse index: partition activeShard, sort pk, keys only.
    expect(indexes).toContainEqual({
      IndexName: ACTIVE_INDEX,
      KeySchema: [{ AttributeName: 'activeShard', KeyType: 'HASH' }, { AttributeName: 'pk', KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });

  it('jobs table: TTL on expiresAt (only the parts of staged submissions carry it; TTL deletes cost no writes)', () => {
    const jobs = resourcesOf('AWS::DynamoDB::Table')[logicalIdOf(flow.table)]!;
    expect(jobs.Properties).toMatchObject({ TimeToLiveSpecification: { AttributeName: JOBS_TTL_ATTRIBUTE, Enabled: true } });
  });

  it('result table: keyed by jobId, TTL on expiresAt, PITR, deletion protection, retained', () => {
    const results = resourcesOf('AWS::DynamoDB::Table')[logicalIdOf(flow.resultsTable)]!;
    expect(results.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: resultsTableDefinition('x').KeySchema,
      TimeToLiveSpecification: { AttributeName: RESULT_TTL_ATTRIBUTE, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(results.DeletionPolicy).toBe('Retain');
  });

  it('the tables keep their logical ids: a refactor that renamed them would make CloudFormation replace them (data lost)', () => {
    // Pinned on purpose. If this fails, the change would delete and recreate the tables of every deployment.
    expect(logicalIdOf(flow.table)).toBe('JobFlowJobsTableC9663379');
    expect(logicalIdOf(flow.resultsTable)).toBe('JobFlowResultsTableF27DE734');
  });

  it('removalPolicy DESTROY and deletionProtection false are honoured', () => {
    const { template } = flowWith({ removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false });
    const tables = Object.values(template().findResources('AWS::DynamoDB::Table')) as Resource[];
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
  });
});

describe('provider queues', () => {
  const functionTimeout = (fnLogicalId: string) => resourcesOf('AWS::Lambda::Function')[fnLogicalId]!.Properties.Timeout as number;

  it('each provider has its queue and DLQ: SSE, TLS-only policy, redrive, visibility ≥ 6 × the function timeout', () => {
    const queues = resourcesOf('AWS::SQS::Queue');
    const policies = Object.values(resourcesOf('AWS::SQS::QueuePolicy'));
    expect([...flow.providers.keys()]).toEqual(Object.keys(EXAMPLE_PROVIDERS));
    for (const p of flow.providers.values()) {
      const queue = queues[logicalIdOf(p.queue)]!.Properties;
      const dlq = queues[logicalIdOf(p.deadLetterQueue)]!.Properties;
      expect(queue.SqsManagedSseEnabled).toBe(true);
      expect(dlq.SqsManagedSseEnabled).toBe(true);
      expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(p.deadLetterQueue), maxReceiveCount: 5 });
      expect(queue.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * functionTimeout(logicalIdOf(p.fn)));
      for (const q of [p.queue, p.deadLetterQueue]) {
        const policy = policies.find((x) => JSON.stringify(x.Properties.Queues) === JSON.stringify([ref(q)]));
        expect(policy?.Properties.PolicyDocument).toMatchObject({
          Statement: [{ Effect: 'Deny', Action: 'sqs:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
        });
      }
    }
  });

  it('every queue in the stack is encrypted and TLS-only (stream on-failure queue included)', () => {
    const policies = Object.values(resourcesOf('AWS::SQS::QueuePolicy'));
    for (const [id, queue] of Object.entries(resourcesOf('AWS::SQS::Queue'))) {
      expect(queue.Properties.SqsManagedSseEnabled, id).toBe(true);
      expect(policies.some((p) => JSON.stringify(p.Properties).includes(`"aws:SecureTransport":"false"`) && JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: id }])), id).toBe(true);
    }
  });

  it('SQS event source mappings report batch item failures and cap concurrency', () => {
    for (const p of flow.providers.values()) {
      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(p.queue),
        FunctionName: ref(p.fn),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 10,
        ScalingConfig: { MaximumConcurrency: 5 },
      });
    }
  });

  it('provider options reach the queue, the mapping and the function', () => {
    const { flow: f, template } = flowWith({}, (fl) =>
      fl.addProvider('resize', { entry: DEMO_ENTRY, timeout: Duration.minutes(2), maxTaskTimeout: Duration.seconds(110), memorySize: 1024, batchSize: 3, maxConcurrency: 20, maxReceiveCount: 7, reservedConcurrency: 25 }),
    );
    const p = f.providers.get('resize')!;
    const tt = template();
    tt.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 720, RedrivePolicy: { maxReceiveCount: 7 } });
    tt.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: { Ref: logicalIdOf(p.fn) }, BatchSize: 3, ScalingConfig: { MaximumConcurrency: 20 } });
    tt.hasResourceProperties('AWS::Lambda::Function', { Timeout: 120, MemorySize: 1024, ReservedConcurrentExecutions: 25 });
  });

  it('an existing lambda.Function becomes a provider: env set on it, queue sized from its timeout', () => {
    const { flow: f, template } = flowWith({}, (fl) => {
      const own = new lambda.Function(fl, 'Own', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('export const handler = async () => ({})'), timeout: Duration.seconds(40) });
      fl.addProvider('own', own, { maxTaskTimeout: Duration.seconds(30) });
    });
    const p = f.providers.get('own')!;
    const tt = template();
    tt.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 240 });
    tt.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ [ENV.jobsTable]: { Ref: logicalIdOf(f.table) }, [ENV.schedulerKind]: 'eventbridge' }) },
    });
    tt.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: { Ref: logicalIdOf(p.fn) }, FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });

  it('a provider function from another stack: no dependency cycle; its queue, mapping and grants live in its stack', () => {
    const app = testApp();
    const jobs = new Stack(app, 'Jobs');
    const flow = new JobFlow(jobs, 'Flow');
    const apps = new Stack(app, 'Orders');
    const fn = new lambda.Function(apps, 'Orders', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'), timeout: Duration.seconds(60) });
    flow.addProvider('orders', fn, { maxTaskTimeout: Duration.seconds(50) });
    // The cycle showed here: synthesis of either stack fails once both depend on each other.
    const orders = Template.fromStack(apps);
    const jobsTemplate = Template.fromStack(jobs);
    orders.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    expect(jobs.dependencies).toEqual([]);
    expect(apps.dependencies).toEqual([jobs]);
    expect(Object.keys(orders.findResources('AWS::SQS::Queue')).some((id) => id.includes('ordersProviderQueue'))).toBe(true);
    expect(Object.keys(jobsTemplate.findResources('AWS::SQS::Queue')).some((id) => id.includes('ordersProvider'))).toBe(false);
    // The provider wrapper's table grants are on the function's own role.
    const policies = Object.values(orders.findResources('AWS::IAM::Policy')) as Array<{ Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }>;
    const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((st) => asArray(st.Action)));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'sqs:ReceiveMessage']));
  });

  it('an imported function without its role fails synthesis with what to pass; grantProvider grants a role jobx did not wire', () => {
    const { flow: f, stack, template } = flowWith();
    const imported = lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:us-east-1:123456789012:function:x');
    expect(() => f.addProvider('x', imported, { timeout: Duration.seconds(30) })).toThrow(/no role jobx can grant to.*fromFunctionAttributes/);
    const role = new iam.Role(stack, 'WorkerRole', { assumedBy: new iam.AccountRootPrincipal() });
    f.grantProvider(role);
    template().hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(role) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['dynamodb:GetItem', 'dynamodb:UpdateItem']), Resource: { 'Fn::GetAtt': [logicalIdOf(f.table), 'Arn'] } })]) },
    });
  });

  it('the example deployment has exactly the example providers the local stack loads, under the names they define', async () => {
    const { exampleProviders } = await import('../../functions/providers/examples/index');
    expect(Object.keys(EXAMPLE_PROVIDERS).sort()).toEqual(exampleProviders.map((p) => p.name).sort());
    for (const [name, entry] of Object.entries(EXAMPLE_PROVIDERS)) {
      const mod = (await import(path.join(ROOT, entry))) as { handler: unknown };
      expect(exampleProviders.find((p) => p.name === name)?.handler, entry).toBe(mod.handler);
    }
  });

  it('external providers: no queue, listed in JOBX_EXTERNAL_PROVIDERS of every engine function, names unique', () => {
    const { flow: f, template } = flowWith({}, (fl) => fl.addProvider('lambda-one', { entry: DEMO_ENTRY }));
    f.addExternalProvider('gpu');
    f.addExternalProvider('on-prem');
    expect(() => f.addExternalProvider('lambda-one')).toThrow(/already added/);
    expect(() => f.addProvider('gpu', { entry: DEMO_ENTRY })).toThrow(/already added/);
    const tt = template();
    tt.resourceCountIs('AWS::SQS::Queue', 4); // lambda-one + its DLQ + the stream on-failure queue + the schedules' DLQ
    // The engine's functions route by it; a provider function never dispatches, so it does not carry it.
    for (const fn of [f.apiFunction, f.streamFunction, f.sweeperFunction]) {
      expect(((tt.toJSON().Resources[logicalIdOf(fn)] as Resource).Properties.Environment as { Variables: Record<string, unknown> }).Variables[ENV.externalProviders]).toBe('gpu,on-prem');
    }
  });

  it('providers added after construction are in JOBX_ROUTES (lazy)', () => {
    const { flow: f, template } = flowWith({}, (fl) => fl.addProvider('first', { entry: DEMO_ENTRY }));
    f.addProvider('later', { entry: DEMO_ENTRY });
    const variables = template().findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('stream consumer') } });
    const env = (Object.values(variables)[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
    expect(env[ENV.routes]).toBe('first,later,*=357');
  });

  it('addProvider(name, source, { executor }) deploys the provider for tasks pinned to that executor, on its own queue', () => {
    const { flow: f, template } = flowWith({}, (fl) => {
      fl.addProvider('demo', { entry: DEMO_ENTRY });
      fl.addProvider('demo', { entry: DEMO_ENTRY, executor: 'edge-1' });
    });
    expect([...f.providers.keys()]).toEqual(['demo', 'demo@edge-1']);
    const pinned = f.providers.get('demo@edge-1')!;
    expect(pinned).toMatchObject({ name: 'demo', executor: 'edge-1', route: 'demo@edge-1' });
    const tt = template();
    const names = Object.values(tt.findResources('AWS::SQS::Queue')).map((q) => (q as { Properties: { QueueName?: string } }).Properties.QueueName).filter(Boolean);
    expect(names).toEqual(expect.arrayContaining([queueNameOf(f.queueNamePrefix, 'demo'), queueNameOf(f.queueNamePrefix, 'demo@edge-1')]));
    const stream = tt.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('stream consumer') } });
    expect((Object.values(stream)[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables[ENV.routes]).toBe('demo,demo@edge-1,*=357');
    expect(() => f.addProvider('demo', { entry: DEMO_ENTRY, executor: 'edge-1' })).toThrow(/already added/);
    expect(() => f.addProvider('demo', { entry: DEMO_ENTRY, executor: 'no spaces' })).toThrow(/executor "no spaces"/);
  });

  it('a flow takes 150 providers over several stacks: its environment holds their routes, its stack none of their resources', () => {
    const app = testApp();
    const jobs = new Stack(app, 'Jobs');
    const f = new JobFlow(jobs, 'Flow');
    const teams = [0, 1, 2].map((i) => new Stack(app, `Team${i}`));
    for (let i = 0; i < 150; i++) {
      const team = teams[i % 3]!;
      const fn = new lambda.Function(team, `P${i}`, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'), timeout: Duration.seconds(60) });
      f.addProvider(`provider-number-${i}`, fn, { maxTaskTimeout: Duration.seconds(50) });
    }
    const tt = Template.fromStack(jobs);
    for (const team of teams) Template.fromStack(team).resourceCountIs('AWS::SQS::Queue', 100);
    tt.resourceCountIs('AWS::SQS::Queue', 2);
    const stream = Object.values(tt.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('stream consumer') } }))[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    const bytes = Object.entries(stream.Properties.Environment.Variables).reduce((n, [k, v]) => n + k.length + JSON.stringify(v).length, 0);
    expect(bytes).toBeLessThan(4096);
    expect(jobs.dependencies).toEqual([]);
  });
});

describe('identity and JWT routes', () => {
  it('owner binding and the control scope reach the API function only', () => {
    const { flow: f, template } = flowWith({ api: { bindOwner: true, controlScope: 'ops/admin' } });
    const tt = template();
    const env = (fn: lambda.IFunction) => (tt.toJSON().Resources[logicalIdOf(fn)] as Resource).Properties.Environment as { Variables: Record<string, unknown> };
    expect(env(f.apiFunction).Variables[ENV.bindOwner]).toBe('true');
    expect(env(f.apiFunction).Variables[ENV.controlScope]).toBe('ops/admin');
    expect(env(f.streamFunction).Variables[ENV.bindOwner]).toBeUndefined();
  });

  it('JWT routeScopes: each group gets its own routes with its scopes; CORS; the subject in the access log', () => {
    const { template } = flowWith({
      api: {
        authMode: 'jwt',
        jwt: { issuer: 'https://issuer.example.com', audience: ['jobx'], routeScopes: { control: ['jobx/control'], worker: ['jobx/worker'] } },
        cors: { allowOrigins: ['https://console.example.com'], allowHeaders: ['authorization', 'content-type'] },
      },
    });
    const tt = template();
    tt.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /jobs/{jobId}/pause', AuthorizationScopes: ['jobx/control'], AuthorizationType: 'JWT' });
    tt.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /workers/{workerId}/claim', AuthorizationScopes: ['jobx/worker'] });
    tt.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', AuthorizationType: 'JWT' });
    expect(Object.keys(tt.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: 'POST /jobs' } }))).toHaveLength(0);
    // The wait route: the API's authorizer and its default scopes (none here) while `read` has no scopes of its own.
    tt.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /jobs/{jobId}/result', AuthorizationType: 'JWT', AuthorizationScopes: Match.absent() });
    tt.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: { AllowOrigins: ['https://console.example.com'] } });
    tt.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: { Format: Match.stringLikeRegexp('authorizer.claims.sub') } });
    expect(() => flowWith({ api: { authMode: 'jwt', jwt: { issuer: 'https://i.example.com', audience: ['a'], routeScopes: { admin: ['x'] } as never } } })).toThrow(/not a kind of route/);
  });

  it('JWT: the wait route takes the read group\'s scopes when it has some (one route, to the wait function), else the API\'s scopes', () => {
    const read = flowWith({ api: { authMode: 'jwt', jwt: { issuer: 'https://issuer.example.com', audience: ['jobx'], scopes: ['jobx/all'], routeScopes: { read: ['jobx/read'] } } } }).template();
    const result = Object.values(read.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: 'GET /jobs/{jobId}/result' } })) as Resource[];
    expect(result).toHaveLength(1);
    expect(result[0]!.Properties).toMatchObject({ AuthorizationType: 'JWT', AuthorizationScopes: ['jobx/read'] });
    expect(functionOfRoute(read, 'GET /jobs/{jobId}/result')).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^FlowWaitFunction/), 'Arn'] });
    // The rest of the read group stays on the API function, with the same scopes.
    read.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /jobs/{jobId}', AuthorizationScopes: ['jobx/read'] });
    expect(functionOfRoute(read, 'GET /jobs/{jobId}')).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^FlowApiFunction/), 'Arn'] });
    const shared = flowWith({ api: { authMode: 'jwt', jwt: { issuer: 'https://issuer.example.com', audience: ['jobx'], scopes: ['jobx/all'] } } }).template();
    shared.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /jobs/{jobId}/result', AuthorizationType: 'JWT', AuthorizationScopes: ['jobx/all'] });
  });
});

describe('a customer-managed key', () => {
  it('encrypts tables, queues, log groups, the bus and the alarm topic; functions and the scheduler may use it; the services are in its policy', () => {
    let key!: kms.Key;
    const { flow: f, template } = flowWith(
      (stack) => {
        key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
        return { encryptionKey: key };
      },
      (fl) => fl.addProvider('p', { entry: DEMO_ENTRY }),
    );
    const tt = template();
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] };
    tt.allResourcesProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn } });
    tt.allResourcesProperties('AWS::SQS::Queue', { KmsMasterKeyId: keyArn });
    tt.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: keyArn });
    tt.hasResourceProperties('AWS::Events::EventBus', { KmsKeyIdentifier: keyArn });
    tt.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
    const statementsOf = (role: iam.IRole) =>
      Object.values(tt.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify((p as Resource).Properties.Roles).includes(logicalIdOf(role)))
        .flatMap((p) => ((p as Resource).Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    for (const role of [f.streamFunction.role!, f.sweeperFunction.role!, f.apiFunction.role!, f.waitFunction.role!, f.providers.get('p')!.fn.role!, f.schedulerRole]) {
      expect(statementsOf(role).some((st) => asArray(st.Action).includes('kms:Decrypt') && JSON.stringify(st.Resource) === JSON.stringify(keyArn)), role.node.path).toBe(true);
    }
    // The wait function reads only: it decrypts, never encrypts.
    expect(statementsOf(f.waitFunction.role!).flatMap((st) => asArray(st.Action)).filter((a) => a.startsWith('kms:')).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    const policy = JSON.stringify((tt.toJSON().Resources[logicalIdOf(key)] as Resource).Properties.KeyPolicy);
    expect(policy).toContain('logs.');
    expect(policy).toContain('events.amazonaws.com');
    expect(policy).toContain('cloudwatch.amazonaws.com');
  });
});

describe('tracing and tags', () => {
  it('tracing: true turns X-Ray on for every function jobx builds; off by default', () => {
    const on = flowWith({ tracing: true }, (f) => f.addProvider('p', { entry: DEMO_ENTRY })).template();
    for (const fn of Object.values(on.findResources('AWS::Lambda::Function'))) expect((fn as Resource).Properties.TracingConfig).toEqual({ Mode: 'Active' });
    const off = flowWith().template();
    for (const fn of Object.values(off.findResources('AWS::Lambda::Function'))) expect((fn as Resource).Properties.TracingConfig).toBeUndefined();
  });

  it('tags reach the resources', () => {
    const tt = flowWith({ tags: { team: 'payments', 'cost-center': '42' } }).template();
    tt.hasResourceProperties('AWS::DynamoDB::Table', { Tags: Match.arrayWith([{ Key: 'team', Value: 'payments' }]) });
    tt.hasResourceProperties('AWS::Lambda::Function', { Tags: Match.arrayWith([{ Key: 'cost-center', Value: '42' }]) });
  });
});

describe('stream consumer', () => {
  it('maps the jobs stream: TRIM_HORIZON, bisect, partial batch responses, bounded retries, record age, on-failure queue', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(flow.table), 'StreamArn'] },
      FunctionName: ref(flow.streamFunction),
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 21_600,
      ParallelizationFactor: 2,
      BatchSize: 100,
      DestinationConfig: { OnFailure: { Destination: arnOf(flow.streamFailureQueue) } },
    });
  });

  it('stream props are validated and applied', () => {
    const { template } = flowWith({ stream: { retryAttempts: 3, batchSize: 20, parallelizationFactor: 1, maxRecordAge: Duration.hours(1) } });
    template().hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumRetryAttempts: 3, BatchSize: 20, ParallelizationFactor: 1, MaximumRecordAgeInSeconds: 3600 });
    expect(() => flowWith({ stream: { parallelizationFactor: 11 } })).toThrow(/parallelizationFactor/);
    expect(() => flowWith({ stream: { maxRecordAge: Duration.seconds(10) } })).toThrow(/maxRecordAge/);
  });
});

describe('sweeper, scheduler, bus', () => {
  it('the sweeper runs every minute', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: arnOf(flow.sweeperFunction) })],
    });
  });

  it('the sweeper never overlaps itself (reserved concurrency 1) and Lambda never retries a failed sweep (invariant 11)', () => {
    const sweeper = t.toJSON().Resources[logicalIdOf(flow.sweeperFunction)] as { Properties: { ReservedConcurrentExecutions?: number } };
    expect(sweeper.Properties.ReservedConcurrentExecutions).toBe(1);
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: Match.objectLike({ Ref: logicalIdOf(flow.sweeperFunction) }),
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('the schedule group exists and its name and the role are what the handlers that schedule read (the API schedules nothing)', () => {
    const groups = resourcesOf('AWS::Scheduler::ScheduleGroup');
    const group = groups[logicalIdOf(flow.scheduleGroup)]!;
    const varsOf = (fn: lambda.IFunction) => (resourcesOf('AWS::Lambda::Function')[logicalIdOf(fn)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const fn of [flow.streamFunction, flow.sweeperFunction]) {
      expect(varsOf(fn)[ENV.schedulerGroup]).toEqual(group.Properties.Name);
      expect(varsOf(fn)[ENV.schedulerRoleArn]).toEqual(arnOf(flow.schedulerRole));
      expect(varsOf(fn)[ENV.schedulerKind]).toBe('eventbridge');
    }
    for (const name of [ENV.schedulerKind, ENV.schedulerGroup, ENV.schedulerRoleArn, ENV.schedulerDlqArn, ENV.eventBus]) expect(varsOf(flow.apiFunction)[name], name).toBeUndefined();
    expect(varsOf(flow.sweeperFunction)[ENV.eventBus]).toBeUndefined();
  });

  it('the scheduler role is assumed by schedules of this flow\'s group only and may only send to provider queues and its dead-letter queue', () => {
    const role = resourcesOf('AWS::IAM::Role')[logicalIdOf(flow.schedulerRole)]!;
    expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': expect.anything() } },
        },
      ],
    });
    // The source ARN names the schedules of this flow's group.
    const sourceArn = JSON.stringify((role.Properties.AssumeRolePolicyDocument as { Statement: Array<{ Condition: { ArnLike: unknown } }> }).Statement[0]!.Condition.ArnLike);
    expect(sourceArn).toContain(`:schedule/${String(Stack.of(flow).resolve(flow.scheduleGroup.scheduleGroupName))}/*`);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const policies = Object.values(resourcesOf('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([ref(flow.schedulerRole)]));
    const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    expect(statements).toHaveLength(1);
    expect(statements[0]!.Action).toBe('sqs:SendMessage');
    expect(new Set(asArray(statements[0]!.Resource))).toEqual(new Set([Stack.of(flow).resolve(flow.providerQueueArnPattern()), arnOf(flow.scheduleDeadLetterQueue)]));
    // Every function that may create a schedule names the dead-letter queue in it; the queue alarms when it fills.
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: Match.stringLikeRegexp('retry schedules dead-letter queue') });
  });

  it('a custom event bus receives lifecycle events from the stream consumer', () => {
    t.resourceCountIs('AWS::Events::EventBus', 1);
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(flow.streamFunction.role!)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents', Resource: arnOf(flow.eventBus) })]) },
    });
  });

  it('the stream consumer publishes the lean default of lifecycle events unless events.publish says otherwise; only it reads the selection', () => {
    const varsOf = (template: Template, fn: lambda.IFunction) => (template.toJSON().Resources[logicalIdOf(fn)] as Resource).Properties.Environment as { Variables: Record<string, unknown> };
    expect(varsOf(t, flow.streamFunction).Variables[ENV.publishEvents]).toBe('jobx.job.succeeded,jobx.job.failed,jobx.job.discarded,jobx.task.failed');
    for (const fn of [flow.apiFunction, flow.sweeperFunction]) expect(varsOf(t, fn).Variables[ENV.publishEvents]).toBeUndefined();
    const all = flowWith({ events: { publish: 'all' } });
    expect(varsOf(all.template(), all.flow.streamFunction).Variables[ENV.publishEvents]).toBe('all');
    const none = flowWith({ events: { publish: 'none' } });
    expect(varsOf(none.template(), none.flow.streamFunction).Variables[ENV.publishEvents]).toBe('none');
    const listed = flowWith({ events: { publish: ['jobx.job.failed', 'jobx.task.retrying'], childJobs: true } });
    expect(varsOf(listed.template(), listed.flow.streamFunction).Variables[ENV.publishEvents]).toBe('jobx.job.failed,jobx.task.retrying,child-jobs');
  });

  it('events.publish with an unknown type fails synthesis, naming it and the known types', () => {
    expect(() => flowWith({ events: { publish: ['jobx.job.succeeded', 'jobx.job.finished' as never] } })).toThrow(
      /JobFlow: events.publish: "jobx.job.finished" is not a lifecycle event type; known: jobx.job.started, .*jobx.task.skipped \(or 'all', 'none'\)/,
    );
    expect(() => flowWith({ events: { publish: 'some' as never } })).toThrow(/events.publish must be 'all', 'none' or a list of event types, not "some"/);
  });
});

describe('HTTP API', () => {
  it('$default to the API function, GET /jobs/{jobId}/result and GET /openapi.json to the wait function, IAM-authorized; every route has an authorizer', () => {
    const routes = Object.values(resourcesOf('AWS::ApiGatewayV2::Route'));
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(['$default', 'GET /jobs/{jobId}/result', 'GET /openapi.json']);
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    expect(functionOfRoute(t, '$default')).toEqual(arnOf(flow.apiFunction));
    expect(functionOfRoute(t, 'GET /jobs/{jobId}/result')).toEqual(arnOf(flow.waitFunction));
    expect(functionOfRoute(t, 'GET /openapi.json')).toEqual(arnOf(flow.waitFunction));
    for (const fn of [flow.apiFunction, flow.waitFunction]) t.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: arnOf(fn) });
  });

  it('the wait function: a bundle of its own (http-wait.ts) at 128 MB (a prop), the API timeout, the table names only', () => {
    const fnOf = (tpl: Template, fn: lambda.IFunction) => (tpl.toJSON().Resources[logicalIdOf(fn)] as Resource).Properties as { MemorySize: number; Timeout: number; Handler: string; Code: unknown; Environment: { Variables: Record<string, unknown> } };
    const wait = fnOf(t, flow.waitFunction);
    const api = fnOf(t, flow.apiFunction);
    expect(wait).toMatchObject({ MemorySize: 128, Timeout: 29, Handler: api.Handler });
    // Its own asset: the API function's bundle leaves the wait routes' code out.
    expect(wait.Code).not.toEqual(api.Code);
    expect(Object.keys(wait.Environment.Variables).filter((k) => k.startsWith('JOBX_')).sort()).toEqual([ENV.jobsTable, ENV.resultsTable].sort());
    const custom = flowWith({ api: { waitMemorySize: 256, timeout: Duration.seconds(20) } });
    expect(fnOf(custom.template(), custom.flow.waitFunction)).toMatchObject({ MemorySize: 256, Timeout: 20 });
    expect(() => flowWith({ api: { waitMemorySize: 64 } })).toThrow(/api.waitMemorySize must be an integer from 128/);
  });

  it('the wait function has its own bounded reserved concurrency (100 by default, a prop, 0 = unreserved)', () => {
    const reservedOf = (tpl: Template, fn: lambda.IFunction) => (tpl.toJSON().Resources[logicalIdOf(fn)] as { Properties: { ReservedConcurrentExecutions?: number } }).Properties.ReservedConcurrentExecutions;
    expect(reservedOf(t, flow.waitFunction)).toBe(100);
    const custom = flowWith({ api: { waitReservedConcurrency: 30, reservedConcurrency: 20 } });
    expect(reservedOf(custom.template(), custom.flow.waitFunction)).toBe(30);
    expect(reservedOf(custom.template(), custom.flow.apiFunction)).toBe(20);
    const none = flowWith({ api: { waitReservedConcurrency: 0 } });
    expect(reservedOf(none.template(), none.flow.waitFunction)).toBeUndefined();
    expect(() => flowWith({ api: { waitReservedConcurrency: 1.5 } })).toThrow(/api.waitReservedConcurrency must be an integer/);
  });

  it('the wait function may only read: GetItem and Query on the jobs table, GetItem on the result table', () => {
    const roleId = logicalIdOf(flow.waitFunction.role!);
    const statements = Object.values(resourcesOf('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const data = statements.filter((st) => asArray(st.Action).some((a) => !a.startsWith('logs:')));
    expect(data.map((st) => ({ actions: asArray(st.Action).sort(), resource: st.Resource }))).toEqual([
      { actions: ['dynamodb:GetItem', 'dynamodb:Query'], resource: arnOf(flow.table) },
      { actions: ['dynamodb:GetItem'], resource: arnOf(flow.resultsTable) },
    ]);
  });

  it('only the $default stage, with JSON access logs to a log group and throttling', () => {
    t.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    const stage = Object.values(resourcesOf('AWS::ApiGatewayV2::Stage'))[0]!.Properties;
    expect(stage).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 } });
    const logs = stage.AccessLogSettings as { DestinationArn: { 'Fn::GetAtt': [string, string] }; Format: string };
    expect(resourcesOf('AWS::Logs::LogGroup')[logs.DestinationArn['Fn::GetAtt'][0]]).toBeDefined();
    expect(JSON.parse(logs.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status', caller: '$context.identity.caller' });
  });

  it('the API function has a bounded reserved concurrency (100 by default, a prop, 0 = unreserved)', () => {
    const reservedOf = (tpl: Template, fn: JobFlow['apiFunction']) => (tpl.toJSON().Resources[logicalIdOf(fn)] as { Properties: { ReservedConcurrentExecutions?: number } }).Properties.ReservedConcurrentExecutions;
    expect(reservedOf(t, flow.apiFunction)).toBe(100);
    const custom = flowWith({ api: { reservedConcurrency: 20 } });
    expect(reservedOf(custom.template(), custom.flow.apiFunction)).toBe(20);
    const none = flowWith({ api: { reservedConcurrency: 0 } });
    expect(reservedOf(none.template(), none.flow.apiFunction)).toBeUndefined();
    expect(() => flowWith({ api: { reservedConcurrency: -1 } })).toThrow(/api.reservedConcurrency must be an integer/);
  });

  it('throttling props reach the stage', () => {
    const { template } = flowWith({ api: { throttle: { rateLimit: 5, burstLimit: 10 } } });
    template().hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } });
  });

  it('JWT mode: a JWT authorizer with the issuer and audience on every route', () => {
    const { template } = flowWith({ api: { authMode: 'jwt', jwt: { issuer: 'https://issuer.example.com', audience: ['jobx'], scopes: ['jobs/write'] } } });
    const tt = template();
    tt.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT', JwtConfiguration: { Issuer: 'https://issuer.example.com', Audience: ['jobx'] } });
    for (const route of Object.values(tt.findResources('AWS::ApiGatewayV2::Route')) as Resource[]) {
      expect(route.Properties).toMatchObject({ AuthorizationType: 'JWT', AuthorizationScopes: ['jobs/write'] });
    }
  });

  it('grants by route: each kind of access is one managed policy with exactly its routes, attached to the grantee', () => {
    const { stack: s, flow: f, template } = flowWith();
    const role = (id: string) => new iam.Role(s, id, { assumedBy: new iam.AccountRootPrincipal() });
    const submitter = role('Submitter');
    const operator = role('Operator');
    const worker = role('Worker');
    f.grantSubmit(submitter);
    f.grantRead(submitter);
    f.grantRead(operator);
    f.grantList(operator);
    f.grantControl(operator);
    f.grantWorker(worker, 'edge-1');
    const tt = template();
    const policies = tt.findResources('AWS::IAM::ManagedPolicy') as Record<string, Resource>;
    const text = (r: unknown): string => (typeof r === 'string' ? r : Array.isArray((r as { 'Fn::Join'?: unknown })['Fn::Join']) ? ((r as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map(text).join('')) : '');
    const routesOf = (id: string) =>
      ((policies[id]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement.flatMap((st) => asArray(st.Resource)) as unknown[]).map((r) => text(r).split('/$default/')[1]).sort();
    const attached = (r: iam.Role) => (Stack.of(r).resolve((r.node.defaultChild as iam.CfnRole).managedPolicyArns) as Array<{ Ref: string }>).map((x) => x.Ref);
    const byAccess = (access: string) => Object.keys(policies).find((id) => id.includes(`${access}Access`))!;
    expect(routesOf(byAccess('submit'))).toEqual(['POST/jobs']);
    expect(routesOf(byAccess('read'))).toEqual(['GET/jobs/*', 'GET/jobs/counts', 'GET/jobs/*/tasks/*', 'GET/jobs/*/result', 'GET/tokens/*', 'GET/executors/*'].sort());
    expect(routesOf(byAccess('list'))).toEqual(['GET/jobs', 'GET/tokens', 'GET/executors'].sort());
    expect(routesOf(byAccess('control'))).toEqual(['POST/jobs/*/tasks/*/skip', 'POST/jobs/*/tasks/*/retry', 'POST/jobs/*/pause', 'POST/jobs/*/resume', 'POST/jobs/*/discard'].sort());
    expect(routesOf(byAccess('worker'))).toEqual(['POST/workers/edge-1/claim', 'POST/task-tokens/heartbeat', 'POST/task-tokens/success', 'POST/task-tokens/failure'].sort());
    // One policy per kind, shared by every grantee of it; nothing inline on the grantees.
    expect(attached(submitter).sort()).toEqual([byAccess('submit'), byAccess('read')].sort());
    expect(attached(operator).sort()).toEqual([byAccess('read'), byAccess('list'), byAccess('control')].sort());
    expect(attached(worker)).toEqual([byAccess('worker')]);
    expect(Object.values(tt.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify((p as Resource).Properties.Roles).includes(logicalIdOf(submitter)))).toEqual([]);
    expect(() => f.grantWorker(worker, 'no spaces')).toThrow(/worker id/);
  });

});

describe('functions', () => {
  it('every function: NodejsFunction output on nodejs22.x arm64 (ESM index.mjs), source maps on, Powertools env, its own log group', () => {
    const functions = resourcesOf('AWS::Lambda::Function');
    const logGroups = resourcesOf('AWS::Logs::LogGroup');
    expect(Object.keys(functions)).toHaveLength(4 + Object.keys(EXAMPLE_PROVIDERS).length);
    for (const [id, fn] of Object.entries(functions)) {
      const p = fn.Properties as { Environment: { Variables: Record<string, unknown> }; LoggingConfig: { LogGroup: { Ref: string } } } & Record<string, unknown>;
      expect(p, id).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
      expect(p.Environment.Variables, id).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'jobx',
        POWERTOOLS_METRICS_NAMESPACE: 'jobx',
      });
      expect(logGroups[p.LoggingConfig.LogGroup.Ref]?.Properties.RetentionInDays, id).toBe(30);
    }
  });

  it('no function role carries a managed policy (only its own log group, granted inline)', () => {
    for (const fn of [flow.apiFunction, flow.waitFunction, flow.streamFunction, flow.sweeperFunction, ...[...flow.providers.values()].map((p) => p.fn)]) {
      expect(resourcesOf('AWS::IAM::Role')[logicalIdOf(fn.role!)]!.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('alarms and dashboard', () => {
  const alarms = () => Object.values(resourcesOf('AWS::CloudWatch::Alarm')).map((a) => a.Properties);

  it('each dead-letter queue (providers and stream on-failure) alarms on depth > 0', () => {
    const dlqs = [flow.streamFailureQueue, ...[...flow.providers.values()].map((p) => p.deadLetterQueue)];
    for (const q of dlqs) {
      expect(alarms()).toContainEqual(
        expect.objectContaining({
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Namespace: 'AWS/SQS',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(q), 'QueueName'] } }],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      );
    }
  });

  it('task metrics and their alarm are scoped to the flow and its stage: another stage in the account never trips them', () => {
    const dimsOf = (tpl: Template) => {
      const alarm = Object.values(tpl.findResources('AWS::CloudWatch::Alarm')).find((a) => JSON.stringify(a).includes(TASK_METRICS.failed))!;
      const metric = (alarm.Properties.Metrics as Array<{ MetricStat?: { Metric: { Dimensions: Array<{ Name: string; Value: string }> } } }>).find((m) => m.MetricStat)!;
      return Object.fromEntries(metric.MetricStat!.Metric.Dimensions.map((d) => [d.Name, d.Value]));
    };
    const prod = flowWith({ stageName: 'prod' });
    const test = flowWith({ stageName: 'test' });
    expect(dimsOf(prod.template())).toEqual({ service: 'jobx', stage: 'prod', flow: 'PropsTest/Flow' });
    expect(dimsOf(test.template())).toMatchObject({ stage: 'test' });
  });

  it('stream iterator age, API 5xx and the task failure rate alarm', () => {
    expect(alarms()).toContainEqual(expect.objectContaining({ MetricName: 'IteratorAge', Namespace: 'AWS/Lambda', Statistic: 'Maximum', Threshold: 300_000 }));
    expect(alarms()).toContainEqual(expect.objectContaining({ MetricName: '5xx', Namespace: 'AWS/ApiGateway', Threshold: 5 }));
    const rate = alarms().find((a) => Array.isArray(a.Metrics));
    expect(rate).toMatchObject({ Threshold: 10, ComparisonOperator: 'GreaterThanThreshold' });
    const names = JSON.stringify(rate?.Metrics);
    expect(names).toContain(`"MetricName":"${TASK_METRICS.failed}"`);
    expect(names).toContain(`"MetricName":"${TASK_METRICS.succeeded}"`);
    expect(names).toContain('"Namespace":"jobx"');
  });

  it('alarms notify the topic when given; the flow\'s own TLS-only topic by default; none when disabled', () => {
    const given = flowWith((s) => ({ alarms: { topic: new sns.Topic(s, 'Ops', { enforceSSL: true }) } }));
    for (const a of Object.values(given.template().findResources('AWS::CloudWatch::Alarm')) as Resource[]) {
      expect(a.Properties.AlarmActions).toEqual([ref(given.flow.alarmTopic!)]);
      expect(a.Properties.OKActions).toEqual([ref(given.flow.alarmTopic!)]);
    }
    given.template().resourceCountIs('AWS::SNS::Topic', 1);
    // By default: a topic of the flow's own, exposed, notified by every alarm (nobody is left unaware).
    const alarms = Object.values(resourcesOf('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(5);
    for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([ref(flow.alarmTopic!)]);
    t.hasResourceProperties('AWS::SNS::TopicPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) } });
    const off = flowWith({ alarms: { enabled: false } });
    off.template().resourceCountIs('AWS::CloudWatch::Alarm', 0);
    off.template().resourceCountIs('AWS::SNS::Topic', 0);
    expect(off.flow.alarmTopic).toBeUndefined();
  });

  it('a dashboard with a widget per provider and the status of every alarm, providers\' included', () => {
    const dashboards = Object.values(resourcesOf('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
    for (const name of flow.providers.keys()) expect(body).toContain(`provider ${name}: queue`);
    expect(flow.alarms.length).toBe(Object.keys(resourcesOf('AWS::CloudWatch::Alarm')).length);
    for (const alarm of flow.alarms) expect(body, alarm.node.id).toContain(logicalIdOf(alarm));
  });
});

describe('IAM', () => {
  const statements = () =>
    Object.entries(resourcesOf('AWS::IAM::Policy')).flatMap(([id, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.map((s) => ({ id, ...s })));

  it('no wildcard actions anywhere (no "*", no "dynamodb:*", "sqs:*", …)', () => {
    for (const s of statements()) {
      for (const action of asArray(s.Action)) expect(action, `${s.id}: ${action}`).not.toMatch(/\*/);
    }
  });

  it('the only "*" resource is dynamodb:ListStreams (which has no resource-level permissions)', () => {
    for (const s of statements().filter((x) => asArray(x.Resource).includes('*'))) expect(s.Action, s.id).toBe('dynamodb:ListStreams');
  });

  it('data resources are named exactly: tables by ARN, indexes by name, no table wildcard', () => {
    for (const s of statements()) {
      const text = JSON.stringify(s.Resource);
      expect(text, s.id).not.toMatch(/\/index\/\*/);
      expect(text, s.id).not.toMatch(/table\/\*/);
    }
  });
});

describe('bin/app.ts', () => {
  it('context selects the stage, the auth mode and retention', () => {
    const prod = buildApp(testApp({ context: { stage: 'prod', retain: 'false' } })).stack;
    expect(prod.stackName).toBe('Jobx-prod');
    for (const table of Object.values(Template.fromStack(prod).findResources('AWS::DynamoDB::Table')) as Resource[]) {
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
    expect(stack.stackName).toBe('Jobx-dev');
    expect(flow.authMode).toBe('iam');
  });

  it('auth=jwt without an issuer fails with the reason', () => {
    expect(() => buildApp(testApp({ context: { auth: 'jwt' } }))).toThrow(/jwt\.issuer/);
  });
});

describe('contradictory or out-of-range props throw', () => {
  it.each([
    ['jwt without issuer', { api: { authMode: 'jwt' } } as JobFlowProps, /jwt\.issuer/],
    ['jwt without audience', { api: { authMode: 'jwt', jwt: { issuer: 'https://x.example.com', audience: [] } } } as JobFlowProps, /audience/],
    ['jwt settings with iam auth', { api: { authMode: 'iam', jwt: { issuer: 'https://x.example.com', audience: ['a'] } } } as JobFlowProps, /authMode is "iam"/],
    ['unknown auth mode', { api: { authMode: 'basic' } } as unknown as JobFlowProps, /authMode/],
    ['sweeper faster than a minute', { sweeper: { rate: Duration.seconds(30) } } as JobFlowProps, /sweeper\.rate/],
    ['API timeout beyond the integration limit', { api: { timeout: Duration.seconds(40) } } as JobFlowProps, /api\.timeout/],
    ['alarm topic with alarms off', { alarms: { enabled: false, topic: {} } } as unknown as JobFlowProps, /alarms are disabled/],
  ])('%s', (_name, props, message) => {
    expect(() => flowWith(props)).toThrow(message);
  });

  it.each([
    ['a bad provider name', (f: JobFlow) => f.addProvider('no spaces', { entry: DEMO_ENTRY }), /provider name/],
    ['a duplicate provider', (f: JobFlow) => (f.addProvider('a', { entry: DEMO_ENTRY }), f.addProvider('a', { entry: DEMO_ENTRY })), /already added/],
    ['maxConcurrency below 2', (f: JobFlow) => f.addProvider('a', { entry: DEMO_ENTRY, maxConcurrency: 1 }), /maxConcurrency/],
    ['reservedConcurrency below maxConcurrency', (f: JobFlow) => f.addProvider('a', { entry: DEMO_ENTRY, maxConcurrency: 10, reservedConcurrency: 5 }), /reservedConcurrency/],
    ['a timeout over 15 minutes', (f: JobFlow) => f.addProvider('a', { entry: DEMO_ENTRY, timeout: Duration.minutes(16) }), /15 minutes/],
    ['a missing entry file', (f: JobFlow) => f.addProvider('a', { entry: path.join(ROOT, 'nope.ts') }), /does not exist/],
    ['an environment that overrides jobx variables', (f: JobFlow) => f.addProvider('a', { entry: DEMO_ENTRY, environment: { [ENV.jobsTable]: 'x' } }), /may not override/],
    [
      'an imported function without timeout',
      (f: JobFlow) => f.addProvider('a', lambda.Function.fromFunctionArn(f, 'Imported', 'arn:aws:lambda:us-east-1:123456789012:function:x')),
      /options\.timeout/,
    ],
    ['grantSubmit with JWT auth', (f: JobFlow) => f.grantSubmit(new iam.AccountRootPrincipal()), /grantSubmit needs authMode "iam"/],
    ['grantControl with JWT auth', (f: JobFlow) => f.grantControl(new iam.AccountRootPrincipal()), /grantControl needs authMode "iam"/],
  ])('%s', (_name, act, message) => {
    const props: JobFlowProps = String(message).includes('needs authMode') ? { api: { authMode: 'jwt', jwt: { issuer: 'https://x.example.com', audience: ['a'] } } } : {};
    const { flow: f } = flowWith(props);
    expect(() => act(f)).toThrow(message);
  });

  it('too many providers for the 4 KB Lambda environment fail synthesis', () => {
    const { template } = flowWith({}, (f) => {
      const shared = new lambda.Function(f, 'Shared', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'), timeout: Duration.seconds(60) });
      for (let i = 0; i < 400; i++) f.addProvider(`a-rather-long-provider-name-number-${i}`, shared, { maxTaskTimeout: Duration.seconds(50) });
    });
    expect(() => template()).toThrow(/4 KB/);
  });
});

