/**
 * `JobxStack`: a deployable jobx with the example providers (`demo`, `flaky`, `delay`, `callback`), as `bin/app.ts` builds it.
 * @module
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { JobFlow } from './job-flow';
import type { JobFlowProps } from './job-flow-props';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The example providers and their entry files (`functions/providers/examples`). */
export const EXAMPLE_PROVIDERS = {
  demo: 'functions/providers/examples/demo.ts',
  flaky: 'functions/providers/examples/flaky.ts',
  delay: 'functions/providers/examples/delay.ts',
  callback: 'functions/providers/examples/callback.ts',
} as const;

/** Properties of {@link JobxStack}. */
export interface JobxStackProps extends StackProps {
  /**
   * Properties of the stack's JobFlow.
   * @default - the JobFlow defaults
   */
  readonly jobFlow?: JobFlowProps;
}

/** A stack with one JobFlow and the example providers. */
export class JobxStack extends Stack {
  /** The system. */
  public readonly jobFlow: JobFlow;

  constructor(scope: Construct, id: string, props: JobxStackProps = {}) {
    super(scope, id, { description: 'jobx: serverless asynchronous jobs (DynamoDB, SQS, Lambda)', ...props });
    this.jobFlow = new JobFlow(this, 'JobFlow', props.jobFlow);
    this.jobFlow.addProvider('demo', { entry: path.join(ROOT, EXAMPLE_PROVIDERS.demo), timeout: Duration.minutes(6), maxConcurrency: 5 });
    this.jobFlow.addProvider('flaky', { entry: path.join(ROOT, EXAMPLE_PROVIDERS.flaky), timeout: Duration.minutes(6), maxConcurrency: 5 });
    // `delay` waits `input.seconds` (up to the task's timeoutSeconds, 300 by default).
    this.jobFlow.addProvider('delay', { entry: path.join(ROOT, EXAMPLE_PROVIDERS.delay), timeout: Duration.minutes(6), maxConcurrency: 5, memorySize: 256 });
    // `callback` hands its task token to a webhook (`input.callbackUrl`) and leaves the task running.
    this.jobFlow.addProvider('callback', { entry: path.join(ROOT, EXAMPLE_PROVIDERS.callback), timeout: Duration.minutes(6), maxConcurrency: 5 });

    new CfnOutput(this, 'ApiUrl', { value: this.jobFlow.apiUrl, description: 'Base URL of the jobx API' });
    new CfnOutput(this, 'AuthMode', { value: this.jobFlow.authMode, description: 'iam: sign requests with SigV4 (execute-api); jwt: send a bearer token' });
    new CfnOutput(this, 'EventBusName', { value: this.jobFlow.eventBus.eventBusName, description: 'Bus of the lifecycle events (source "jobx")' });
    new CfnOutput(this, 'JobsTableName', { value: this.jobFlow.table.tableName });
    new CfnOutput(this, 'ResultsTableName', { value: this.jobFlow.resultsTable.tableName });
    new CfnOutput(this, 'DashboardName', { value: this.jobFlow.dashboard.dashboardName });
    if (this.jobFlow.console) new CfnOutput(this, 'ConsoleUrl', { value: this.jobFlow.console.url, description: 'The console (also the redirect URI its app client must allow)' });
  }
}
