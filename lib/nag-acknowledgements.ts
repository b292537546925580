/**
 * Every cdk-nag acknowledgement of jobx, in one place. Each names its rule, the exact finding (for rules that
 * report one: `AwsSolutions-IAM5[Resource::…]`), a reason, and sits on the narrowest construct that has the
 * finding. An acknowledgement that matches nothing is silently ignored, so `test/infra/nag.test.ts` checks that
 * each one is still needed.
 * @module
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { JobFlowConsole } from './console';
import type { JobFlow, JobFlowProvider } from './job-flow';

/** One acknowledgement, as recorded (exported for the test that proves each is still needed). */
export interface JobxAcknowledgement {
  readonly scope: IConstruct;
  readonly id: string;
  readonly reason: string;
}

const recorded: JobxAcknowledgement[] = [];

/** Acknowledgements made so far in this process (for tests). */
export function recordedAcknowledgements(): readonly JobxAcknowledgement[] {
  return recorded;
}

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
  recorded.push({ scope, id, reason });
}

/**
 * The flat form cdk-nag gives a resource in a finding id: `Fn::Join` joined, `Ref`/`Fn::GetAtt` as `<…>`.
 * Computed from the same token the policy uses, so the id survives renames.
 */
export function nagResourceId(scope: IConstruct, arn: string): string {
  const flatten = (node: unknown): string => {
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
    if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (Array.isArray(o['Fn::Join'])) {
        const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
        return items.map(flatten).join(delimiter);
      }
      if (o['Fn::Sub'] !== undefined) return flatten(o['Fn::Sub']);
      if (Array.isArray(o['Fn::GetAtt'])) {
        const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
        return `<${flatten(resource)}.${flatten(attribute)}>`;
      }
      if (o.Ref !== undefined) return `<${flatten(o.Ref)}>`;
    }
    return JSON.stringify(node);
  };
  return flatten(Stack.of(scope).resolve(arn));
}

const L1_REASON =
  'jobx targets nodejs22.x, the runtime its code, tests and the local stack are verified on (Node 20 locally, ' +
  'no Node 24 API used); AwsSolutions-L1 asks for the newest runtime aws-cdk-lib knows (nodejs24.x). ' +
  'Moving to nodejs24.x is one constant in lib/job-flow.ts once it is tested.';

const TRACING_REASON =
  'X-Ray tracing is a prop (tracing: true), off by default: it bills per trace, and the jobs table records every attempt with its times already.';
const ESM_DLQ_REASON =
  'Invoked by an event source mapping only (a function dead-letter queue applies to asynchronous invocations): what it gives up on goes to the mapping\'s own failure destination or its queue\'s redrive dead-letter queue.';
const IS_DLQ_REASON = 'This queue is itself a dead-letter queue (alarmed on depth > 0): a redrive policy of its own would only move dead letters further away.';

/** Serverless-pack acknowledgements of a function jobx builds. */
function acknowledgeBuiltFunction(fn: IConstruct, tracing: boolean): void {
  acknowledge(fn, 'Serverless-LambdaLatestVersion', L1_REASON);
  if (!tracing) acknowledge(fn, 'Serverless-LambdaTracing', TRACING_REASON);
}

/** Acknowledgements of the construct's own resources. */
export function acknowledgeJobFlow(flow: JobFlow, opts: { tracing: boolean; sweepRule: IConstruct; keyed: boolean }): void {
  if (opts.keyed) {
    // CDK's own grant for the stream mapping's on-failure queue under the flow's key (Queue.grantSendMessages).
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      acknowledge(
        flow.streamFunction.role!,
        `AwsSolutions-IAM5[Action::${action}]`,
        "Granted by aws-cdk-lib's SqsDlq for sending the stream's failed records to the on-failure queue under the flow's key (Queue.grantSendMessages); jobx's own key grants name exact actions.",
      );
    }
  }
  for (const fn of [flow.apiFunction, flow.streamFunction, flow.sweeperFunction]) {
    acknowledge(fn, 'AwsSolutions-L1', L1_REASON);
    acknowledgeBuiltFunction(fn, opts.tracing);
  }
  acknowledge(flow.apiFunction, 'Serverless-LambdaDLQ', 'Invoked synchronously by API Gateway: a failure is the caller\'s answer (a function dead-letter queue applies to asynchronous invocations only).');
  acknowledge(flow.streamFunction, 'Serverless-LambdaDLQ', ESM_DLQ_REASON);
  const sweep = 'A failed sweep is repeated by the next scheduled one a minute later (every repair is idempotent): there is nothing to keep, and Lambda\'s own retries are off so that sweeps never overlap.';
  acknowledge(flow.sweeperFunction, 'Serverless-LambdaDLQ', sweep);
  acknowledge(flow.sweeperFunction, 'Serverless-LambdaAsyncFailureDestination', sweep);
  acknowledge(opts.sweepRule, 'Serverless-EventBusDLQ', sweep);
  acknowledge(flow.streamFailureQueue, 'Serverless-SQSRedrivePolicy', IS_DLQ_REASON);
  acknowledge(flow.scheduleDeadLetterQueue, 'Serverless-SQSRedrivePolicy', IS_DLQ_REASON);

  // DynamoEventSource grants dynamodb:ListStreams, which has no resource-level permissions (AWS requires "*").
  acknowledge(
    flow.streamFunction.role!,
    'AwsSolutions-IAM5[Resource::*]',
    'dynamodb:ListStreams (granted by the DynamoDB event source) supports no resource-level permissions; every other stream action is scoped to the jobs table stream.',
  );

  // Retry schedules are created at run time with names derived from the job, task and attempt.
  const schedules = `AwsSolutions-IAM5[Resource::${nagResourceId(flow, flow.scheduleArnPattern())}]`;
  for (const fn of [flow.streamFunction, flow.sweeperFunction]) {
    acknowledge(
      fn.role!,
      schedules,
      'scheduler:CreateSchedule on schedules of jobx\'s own schedule group only: each retry schedule is named at run time after its job, task and attempt.',
    );
  }

  // Provider queues are granted by their name prefix: one statement for any number of providers.
  const queues = `AwsSolutions-IAM5[Resource::${nagResourceId(flow, flow.providerQueueArnPattern())}]`;
  for (const grantee of [flow.streamFunction.role!, flow.sweeperFunction.role!, flow.apiFunction.role!, flow.schedulerRole]) {
    acknowledge(
      grantee,
      queues,
      `sqs:SendMessage on the provider queues of this flow only, by their name prefix (${flow.queueNamePrefix}): one ARN per queue would outgrow a role's inline policy with a hundred providers.`,
    );
  }

  acknowledge(
    flow.streamFailureQueue,
    'AwsSolutions-SQS3',
    'This queue is itself the on-failure destination of the stream event source mapping (a dead-letter queue); CloudFormation has no redrive policy that names it, so the rule does not see it as one.',
  );
  acknowledge(
    flow.scheduleDeadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue is itself the dead-letter queue of the retry schedules (named in each schedule target at run time by the scheduler adapter); no redrive policy names it, so the rule does not see it as one.',
  );
}

/** Acknowledgements of the wait function (`lib/wait-function.ts`): a function jobx builds, invoked by API Gateway. */
export function acknowledgeWaitFunction(fn: IConstruct, opts: { tracing: boolean }): void {
  acknowledge(fn, 'AwsSolutions-L1', L1_REASON);
  acknowledgeBuiltFunction(fn, opts.tracing);
  acknowledge(fn, 'Serverless-LambdaDLQ', "Invoked synchronously by API Gateway to answer a result long-poll: a failure is the caller's answer (a function dead-letter queue applies to asynchronous invocations only).");
}

/** Acknowledgements of one provider's resources (its function's only when jobx built it). */
export function acknowledgeProvider(provider: JobFlowProvider, opts: { builtByJobx: boolean; tracing: boolean; mapping: IConstruct }): void {
  if (opts.builtByJobx) {
    acknowledge(provider.fn, 'AwsSolutions-L1', L1_REASON);
    acknowledgeBuiltFunction(provider.fn, opts.tracing);
    acknowledge(provider.fn, 'Serverless-LambdaDLQ', ESM_DLQ_REASON);
  }
  acknowledge(provider.deadLetterQueue, 'Serverless-SQSRedrivePolicy', IS_DLQ_REASON);
  acknowledge(
    opts.mapping,
    'Serverless-LambdaEventSourceMappingDestination',
    'An SQS event source mapping takes no on-failure destination (Lambda supports one for streams and Kafka only): a message that keeps failing moves to the queue\'s redrive dead-letter queue, which is alarmed.',
  );
}

/** Acknowledgements of the console's function and of its two routes without an authorizer (`lib/console.ts`). */
export function acknowledgeConsole(site: JobFlowConsole, opts: { tracing: boolean }): void {
  acknowledge(site.fn, 'AwsSolutions-L1', L1_REASON);
  acknowledgeBuiltFunction(site.fn, opts.tracing);
  acknowledge(site.fn, 'Serverless-LambdaDLQ', "Invoked synchronously by API Gateway to answer a browser's GET of a static file: a failure is that answer (a function dead-letter queue applies to asynchronous invocations only).");
  for (const route of site.routes) {
    acknowledge(
      route,
      'AwsSolutions-APIG4',
      "The console's own route: it serves the console's static files (HTML, script, styles) and its sign-in settings (issuer, public client id, scopes), which a browser must load before it can sign in and get a token. It reads no data; every data route of the API keeps the JWT authorizer, and the console calls them with the signed-in person's token.",
    );
  }
}

/**
 * Acknowledgements of an API access policy (`lib/api-grants.ts`): execute-api resources name jobs, tasks and
 * workers by id, so each route with an id in its path is a wildcard.
 */
export function acknowledgeAccessPolicy(policy: IConstruct, resourceArns: readonly string[], access: string): void {
  for (const arn of resourceArns) {
    const id = nagResourceId(policy, arn);
    if (!id.includes('*')) continue;
    acknowledge(policy, `AwsSolutions-IAM5[Resource::${id}]`, `${access} access by route: the API addresses jobs, tasks and task tokens by id in the path, so the route's ARN ends in a wildcard; the method and route are exact.`);
  }
}
