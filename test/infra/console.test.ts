/**
 * The console in a deployment (`console` prop, `lib/console.ts`): its two routes on the flow's own HTTP API
 * without an authorizer while every data route keeps the JWT authorizer, its function (settings in the
 * environment, nothing granted but its logs), nothing of it without the prop, the refusal of IAM mode, cdk-nag
 * with every console acknowledgement proven needed, and the bundled asset: the handler with the built console
 * beside it, loaded by Node as Lambda loads it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../functions/runtime/env-names';
import { buildApp } from '../../bin/app';
import { JobFlowConsole, defaultConsoleScopes } from '../../lib/console';
import { JobFlow, type JobFlowJwtProps, type JobFlowProps } from '../../lib/job-flow';
import { recordedAcknowledgements } from '../../lib/nag-acknowledgements';
import { logicalIdOf, testApp } from './support/synth';

type Resource = { Type: string; Properties: Record<string, unknown> };

const JWT: JobFlowJwtProps = { issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc', audience: ['console-client', 'jobx'], scopes: ['jobx/api'], routeScopes: { control: ['jobx/control'], worker: ['jobx/worker'] } };
const WITH_CONSOLE: JobFlowProps = { api: { authMode: 'jwt', jwt: JWT }, console: { clientId: 'console-client' } };

function flowWith(props: JobFlowProps, app: App = testApp()): { app: App; stack: Stack; flow: JobFlow; t: Template } {
  const stack = new Stack(app, 'ConsoleTest');
  const flow = new JobFlow(stack, 'Flow', props);
  return { app, stack, flow, t: Template.fromStack(stack) };
}

const routesOf = (t: Template) => Object.values(t.findResources('AWS::ApiGatewayV2::Route')) as Resource[];
const variablesOf = (t: Template, fn: IConstruct) => (t.toJSON().Resources[logicalIdOf(fn)] as Resource).Properties.Environment as { Variables: Record<string, unknown> };

function findings(app: App): Array<{ rule: string; path: string }> {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack.validateScope(app).violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? r.resourceLogicalId ?? '?' }))),
  );
}

afterEach(() => vi.restoreAllMocks());

describe('the console prop', () => {
  it('adds GET /console and GET /console/{proxy+} without an authorizer, to the console function; every other route keeps the JWT authorizer', () => {
    const { flow, t } = flowWith(WITH_CONSOLE);
    const routes = routesOf(t);
    const open = routes.filter((r) => r.Properties.AuthorizationType === 'NONE');
    expect(open.map((r) => r.Properties.RouteKey).sort()).toEqual(['GET /console', 'GET /console/{proxy+}']);
    for (const r of open) expect(r.Properties.AuthorizationScopes, String(r.Properties.RouteKey)).toBeUndefined();
    // Data routes: the $default route and each routeScopes group's routes, all JWT with their scopes.
    const data = routes.filter((r) => r.Properties.AuthorizationType !== 'NONE');
    expect(data.length).toBeGreaterThan(5);
    for (const r of data) {
      expect(r.Properties, String(r.Properties.RouteKey)).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: expect.any(String) } });
      expect(String(r.Properties.RouteKey)).not.toMatch(/console/);
      expect((r.Properties.AuthorizationScopes as string[]).length, String(r.Properties.RouteKey)).toBeGreaterThan(0);
    }
    expect(data.find((r) => r.Properties.RouteKey === '$default')?.Properties.AuthorizationScopes).toEqual(['jobx/api']);
    // Both console routes go to one integration of the console function, payload v2.
    const integrations = t.toJSON().Resources as Record<string, Resource>;
    const targets = new Set(open.map((r) => JSON.stringify(r.Properties.Target)));
    expect(targets.size).toBe(1);
    const integrationId = (open[0]!.Properties.Target as { 'Fn::Join': [string, Array<string | { Ref: string }>] })['Fn::Join'][1].find((p) => typeof p === 'object') as { Ref: string };
    expect(integrations[integrationId.Ref]!.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: { 'Fn::GetAtt': [logicalIdOf(flow.console!.fn), 'Arn'] } });
    expect(flow.console!.routes).toHaveLength(2);
  });

  it("the console function: the sign-in settings in its environment (issuer and scopes from the API's JWT settings by default)", () => {
    const { flow, t } = flowWith(WITH_CONSOLE);
    const site = flow.console!;
    expect(variablesOf(t, site.fn).Variables).toEqual({
      [ENV.consoleIssuer]: JWT.issuer,
      [ENV.consoleClientId]: 'console-client',
      // openid, the $default routes' scope (list and read have no routeScopes), and control's own.
      [ENV.consoleScopes]: 'openid jobx/api jobx/control',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(site.scopes).toEqual(defaultConsoleScopes(JWT));
    expect(site.issuer).toBe(JWT.issuer);
    expect(Stack.of(flow).resolve(site.url)).toEqual(Stack.of(flow).resolve(`${flow.apiUrl}console/`));
    expect(site.redirectUri).toBe(site.url);
    expect(defaultConsoleScopes({ issuer: 'https://i', audience: ['a'] })).toEqual(['openid']);
    expect(defaultConsoleScopes({ issuer: 'https://i', audience: ['a'], scopes: ['s'], routeScopes: { list: ['l'], read: ['r', 'l'], control: ['c'] } })).toEqual(['openid', 'l', 'r', 'c']);
  });

  it('explicit issuer and scopes win', () => {
    const { flow, t } = flowWith({ ...WITH_CONSOLE, console: { clientId: 'c2', issuer: 'https://login.example.com/tenant', scopes: ['openid', 'profile'] } });
    expect(variablesOf(t, flow.console!.fn).Variables).toMatchObject({ [ENV.consoleIssuer]: 'https://login.example.com/tenant', [ENV.consoleClientId]: 'c2', [ENV.consoleScopes]: 'openid profile' });
  });

  it('the function is small and short (arm64, 128 MB, 5 s), logs to its own group, and is granted nothing else', () => {
    const { flow, t } = flowWith({ ...WITH_CONSOLE, tracing: true });
    const fn = (t.toJSON().Resources[logicalIdOf(flow.console!.fn)] as Resource).Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', MemorySize: 128, Timeout: 5, TracingConfig: { Mode: 'Active' } });
    const logGroup = (fn.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect((t.toJSON().Resources[logGroup] as Resource).Properties.RetentionInDays).toBe(30);
    const roleId = logicalIdOf(flow.console!.fn.role!);
    expect((t.toJSON().Resources[roleId] as Resource).Properties.ManagedPolicyArns).toBeUndefined();
    const statements = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify((p as Resource).Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => ((p as Resource).Properties.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement);
    // Its log group, and X-Ray (asked for here) as every traced function: no table, queue, bus or key.
    for (const s of statements) {
      const actions = [s.Action].flat();
      if (actions.every((a) => a.startsWith('xray:'))) continue;
      expect(actions.every((a) => a.startsWith('logs:')), JSON.stringify(s)).toBe(true);
      expect(s.Resource).toEqual({ 'Fn::GetAtt': [logGroup, 'Arn'] });
    }
    // API Gateway may invoke it from this API only.
    const permissions = Object.values(t.findResources('AWS::Lambda::Permission')).map((p) => (p as Resource).Properties).filter((p) => JSON.stringify(p.FunctionName).includes(logicalIdOf(flow.console!.fn)));
    expect(permissions.length).toBeGreaterThan(0);
    for (const p of permissions) {
      expect(p.Principal).toBe('apigateway.amazonaws.com');
      expect(JSON.stringify(p.SourceArn)).toContain(logicalIdOf(flow.api));
    }
  });

  it('without the prop: no console route, function or setting (JWT and IAM alike)', () => {
    for (const props of [{ api: WITH_CONSOLE.api }, {}] as JobFlowProps[]) {
      const { flow, t } = flowWith(props);
      expect(flow.console).toBeUndefined();
      expect(routesOf(t).map((r) => r.Properties.RouteKey).filter((k) => String(k).includes('console'))).toEqual([]);
      expect(JSON.stringify(t.findResources('AWS::Lambda::Function'))).not.toMatch(/JOBX_CONSOLE_|operator console/);
    }
    const { t } = { t: Template.fromStack(buildApp(testApp()).stack) };
    expect(JSON.stringify(t.toJSON())).not.toMatch(/JOBX_CONSOLE_|GET \/console/);
  });

  it("IAM authorization with a console fails synthesis, saying the console needs authMode: 'jwt' and why", () => {
    const attempt = () => flowWith({ console: { clientId: 'console-client' } });
    expect(attempt).toThrow(/console needs authMode: 'jwt'/);
    expect(attempt).toThrow(/signs people in against the JWT issuer .* a browser has no AWS credentials/);
    expect(() => buildApp(testApp({ context: { consoleClientId: 'console-client' } }))).toThrow(/console needs authMode: 'jwt'/);
  });

  it.each([
    ['an empty client id', { clientId: '' }, /console\.clientId/],
    ['a client id with a space', { clientId: 'a b' }, /console\.clientId/],
    ['an http issuer', { clientId: 'c', issuer: 'http://issuer.example.com' }, /console\.issuer must be an https URL/],
    ['no scopes at all', { clientId: 'c', scopes: [] }, /console\.scopes must name at least one/],
    ['a scope with a space', { clientId: 'c', scopes: ['openid jobx'] }, /"openid jobx" is not a scope/],
  ])('refuses %s', (_name, consoleProps, message) => {
    expect(() => flowWith({ ...WITH_CONSOLE, console: consoleProps })).toThrow(message);
  });

  it('bin/app.ts: -c consoleClientId with JWT serves the console and outputs its URL', () => {
    const { stack } = buildApp(testApp({ context: { auth: 'jwt', jwtIssuer: 'https://issuer.example.com', jwtAudience: 'console-client', consoleClientId: 'console-client' } }));
    expect(stack.jobFlow.console).toBeDefined();
    const t = Template.fromStack(stack);
    expect(Object.keys(t.findOutputs('ConsoleUrl'))).toEqual(['ConsoleUrl']);
    expect(variablesOf(t, stack.jobFlow.console!.fn).Variables).toMatchObject({ [ENV.consoleIssuer]: 'https://issuer.example.com', [ENV.consoleScopes]: 'openid' });
  });
});

describe('cdk-nag with the console', () => {
  const CONSOLE_CONTEXT = { auth: 'jwt', jwtIssuer: 'https://issuer.example.com', jwtAudience: 'console-client', consoleClientId: 'console-client' };

  it('synthesizes like `cdk synth`: the nag plugins and CloudFormation schema checks pass', () => {
    expect(() => buildApp(testApp({ cfnValidation: true, context: CONSOLE_CONTEXT })).app.synth()).not.toThrow();
  });

  it('finds nothing unacknowledged, and each console acknowledgement matches a finding on exactly its construct', () => {
    const build = () => buildApp(testApp({ context: CONSOLE_CONTEXT }));
    const before = recordedAcknowledgements().length;
    const { app, stack } = build();
    const acks = recordedAcknowledgements().slice(before).filter((a) => a.scope.node.path.startsWith(`${stack.jobFlow.console!.node.path}/`) || stack.jobFlow.console!.routes.includes(a.scope as apigwv2.HttpRoute));
    expect(findings(app)).toEqual([]);
    expect(acks.map((a) => a.id).sort()).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-APIG4', 'AwsSolutions-L1', 'Serverless-LambdaDLQ', 'Serverless-LambdaLatestVersion', 'Serverless-LambdaTracing']);
    for (const a of acks) expect(a.reason.length, a.id).toBeGreaterThan(40);
    // The same app without acknowledgements: each console acknowledgement is needed where it sits.
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    const raw = findings(build().app);
    const within = (scope: IConstruct, p: string) => p === scope.node.path || p.startsWith(`${scope.node.path}/`);
    for (const a of acks) expect(raw.some((f) => f.rule === a.id && within(a.scope, f.path)), `${a.id} on ${a.scope.node.path}`).toBe(true);
    // And only the console's two routes lack an authorizer.
    expect(raw.filter((f) => f.rule === 'AwsSolutions-APIG4').map((f) => f.path.split('/').slice(-2, -1)[0]).sort()).toEqual(['GET--console', 'GET--console--{proxy+}']);
  });
});

describe('the bundled console function', () => {
  it('ships the handler with the built console beside it; loaded by Node it serves the index, a deep link, an asset and config.json', () => {
    // A stack holding only the console (bundled for real: esbuild, and the console built when missing or stale).
    const app = testApp({ bundle: true });
    const stack = new Stack(app, 'ConsoleBundle');
    const api = new apigwv2.HttpApi(stack, 'Api');
    const props: JobFlowProps = WITH_CONSOLE;
    const site = new JobFlowConsole(stack, 'Console', { props, api, apiUrl: 'https://api.example.com/', stageName: 'test', logRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
    const assembly = app.synth();
    const code = stack.resolve((site.fn.node.defaultChild as CfnFunction).code) as { s3Key: string };
    const manifest = JSON.parse(readFileSync(path.join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8')) as { files: Record<string, { source: { path: string } }> };
    const dir = path.join(assembly.directory, manifest.files[code.s3Key.replace(/\.zip$/, '')]!.source.path);
    expect(readdirSync(dir).sort()).toEqual(['console', 'index.mjs', 'index.mjs.map']);
    expect(existsSync(path.join(dir, 'console', 'index.html'))).toBe(true);
    const asset = readdirSync(path.join(dir, 'console', 'assets')).find((f) => f.endsWith('.js'))!;
    expect(asset).toMatch(/^index-[\w-]+\.js$/);
    expect(statSizeKb(path.join(dir, 'index.mjs'))).toBeLessThan(200);

    const script = `
      const { handler } = await import(${JSON.stringify(path.join(dir, 'index.mjs'))});
      const get = (rawPath) => handler({ version: '2.0', rawPath, rawQueryString: '', headers: {}, requestContext: { http: { method: 'GET', path: rawPath } } }, {});
      const out = {};
      for (const p of ['/console/', '/console/jobs/01JABC', '/console/assets/${asset}', '/console/config.json']) {
        const r = await get(p);
        out[p] = { status: r.statusCode, type: r.headers['content-type'], cache: r.headers['cache-control'], head: (r.isBase64Encoded ? Buffer.from(r.body, 'base64').toString() : r.body).slice(0, 200) };
      }
      console.log(JSON.stringify(out));`;
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, [ENV.consoleIssuer]: JWT.issuer, [ENV.consoleClientId]: 'console-client', [ENV.consoleScopes]: 'openid jobx/api' },
      timeout: 30_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, { status: number; type: string; cache: string; head: string }>;
    expect(out['/console/']).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', cache: 'no-cache' });
    expect(out['/console/']!.head).toMatch(/<!doctype html>/i);
    expect(out['/console/jobs/01JABC']!.head).toBe(out['/console/']!.head);
    expect(out[`/console/assets/${asset}`]).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', cache: 'public, max-age=31536000, immutable' });
    expect(JSON.parse(out['/console/config.json']!.head)).toEqual({ auth: 'oidc', issuer: JWT.issuer, clientId: 'console-client', scopes: ['openid', 'jobx/api'], redirectPath: '/console/' });
  }, 120_000);
});

function statSizeKb(file: string): number {
  return readFileSync(file).length / 1024;
}
