/**
 * Grants by route for callers of a flow's API (IAM authorization): one customer-managed policy per kind of
 * access (and per worker id), attached to each grantee's role, user or group. The wildcard in those policies
 * (jobs are addressed by id) then lives in jobx's stack, where jobx acknowledges it for cdk-nag with its reason,
 * instead of in every caller's own policy.
 * @module
 */
import { createHash } from 'node:crypto';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { accessPaths, type RouteAccess } from '../functions/http/route-access';
import { acknowledgeAccessPolicy } from './nag-acknowledgements';

/** The kinds of access `JobFlow.grant…` gives. */
export type GrantedAccess = Exclude<RouteAccess, 'public'>;

const DESCRIPTIONS: Record<GrantedAccess, string> = {
  submit: 'submit jobs (POST /jobs, with or without a wait)',
  read: 'read jobs, tasks, results, tokens and worker inboxes by id, count jobs (GET /jobs/{jobId}…, /jobs/counts, /tokens/{token}, /executors/{target})',
  list: 'list jobs, tokens and worker inboxes (GET /jobs, /tokens, /executors)',
  control: 'skip, retry, pause, resume and discard (POST /jobs/{jobId}/…)',
  worker: 'claim tasks as one worker and report them by task token',
};

type WithManagedPolicies = iam.IPrincipal & { addManagedPolicy(policy: iam.IManagedPolicy): void };

function takesManagedPolicies(principal: iam.IPrincipal): principal is WithManagedPolicies {
  return typeof (principal as Partial<WithManagedPolicies>).addManagedPolicy === 'function';
}

/** The managed policies of one flow's API, created on first use. */
export class ApiGrants extends Construct {
  private readonly policies = new Map<string, iam.ManagedPolicy>();

  constructor(
    scope: Construct,
    id: string,
    private readonly api: apigwv2.HttpApi,
    private readonly what: string,
  ) {
    super(scope, id);
  }

  /** Grants one kind of access to a principal (a worker's access to its own worker id only). */
  grant(grantee: iam.IGrantable, access: GrantedAccess, workerId?: string): iam.Grant {
    const statement = this.statement(access, workerId);
    const principal = grantee.grantPrincipal;
    if (!takesManagedPolicies(principal)) {
      // A principal that takes no managed policy (a service or account principal): the statement inline.
      return iam.Grant.addToPrincipal({ grantee, actions: statement.actions, resourceArns: statement.resources });
    }
    principal.addManagedPolicy(this.policy(access, workerId));
    return iam.Grant.drop(grantee, `${access} access to ${this.what} (through its managed policy)`);
  }

  private statement(access: GrantedAccess, workerId?: string): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['execute-api:Invoke'],
      resources: accessPaths(access, workerId).map((p) => this.api.arnForExecuteApi(p.method, p.path, '$default')),
    });
  }

  private policy(access: GrantedAccess, workerId?: string): iam.ManagedPolicy {
    const key = workerId === undefined ? access : `${access}:${workerId}`;
    const existing = this.policies.get(key);
    if (existing) return existing;
    const id = workerId === undefined ? `${access}Access` : `workerAccess${createHash('sha256').update(workerId).digest('hex').slice(0, 12)}`;
    const statement = this.statement(access, workerId);
    const policy = new iam.ManagedPolicy(this, id, {
      description: `${this.what}: ${DESCRIPTIONS[access]}${workerId === undefined ? '' : ` (worker ${workerId})`}`,
      statements: [statement],
    });
    acknowledgeAccessPolicy(policy, statement.resources, access);
    this.policies.set(key, policy);
    return policy;
  }
}
