/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` (see cdk.json). Offline by design: no lookups, and an
 * environment only when the CLI provides one (CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION).
 *
 * Context (or environment): `-c stage=prod` (JOBX_STAGE, default dev), `-c auth=iam|jwt` (JOBX_AUTH, default iam),
 * with jwt: `-c jwtIssuer=https://…` `-c jwtAudience=a,b` (JOBX_JWT_ISSUER, JOBX_JWT_AUDIENCE) and, to serve the
 * console at /console signing in with that issuer, `-c consoleClientId=…` (JOBX_CONSOLE_CLIENT_ID: a public app client),
 * `-c retain=false` (tables and logs are deleted with the stack; default: retained, deletion protection on).
 * @module
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { JobFlowAuthMode } from '../lib/job-flow-props';
import { JobxStack } from '../lib/jobx-stack';

/** Builds the app (exported for the tests and the bundle-size report). */
export function buildApp(app: App = new App()): { app: App; stack: JobxStack } {
  const setting = (key: string, envName: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key) ?? process.env[envName];
    return value === undefined || value === '' ? undefined : String(value);
  };
  const stageName = setting('stage', 'JOBX_STAGE') ?? 'dev';
  const auth = (setting('auth', 'JOBX_AUTH') ?? 'iam') as JobFlowAuthMode;
  const issuer = setting('jwtIssuer', 'JOBX_JWT_ISSUER');
  const audience = setting('jwtAudience', 'JOBX_JWT_AUDIENCE')?.split(',').map((a) => a.trim()).filter(Boolean);
  const retain = setting('retain', 'JOBX_RETAIN') !== 'false';
  const consoleClientId = setting('consoleClientId', 'JOBX_CONSOLE_CLIENT_ID');

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));

  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const stack = new JobxStack(app, `Jobx-${stageName}`, {
    ...(account || region ? { env: { ...(account ? { account } : {}), ...(region ? { region } : {}) } } : {}),
    jobFlow: {
      stageName,
      api: {
        authMode: auth,
        ...(auth === 'jwt' || issuer || audience ? { jwt: { issuer: issuer ?? '', audience: audience ?? [] } } : {}),
      },
      ...(retain ? {} : { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false }),
      ...(consoleClientId ? { console: { clientId: consoleClientId } } : {}),
    },
  });
  return { app, stack };
}

// Run as the CDK app (not when imported by a test or script).
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildApp().app.synth();
}
