/**
 * cdk-nag AwsSolutions on the deployable app: zero unacknowledged findings, and every acknowledgement in
 * lib/nag-acknowledgements.ts still matches a real finding on exactly the construct it sits on (an
 * acknowledgement that matches nothing is silently ignored by cdk-nag, so it would otherwise rot).
 */
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as path from 'node:path';
import { EXAMPLE_PROVIDERS } from '../../lib/jobx-stack';
import { JobFlow } from '../../lib/job-flow';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../bin/app';
import { recordedAcknowledgements, type JobxAcknowledgement } from '../../lib/nag-acknowledgements';
import { ROOT, testApp } from './support/synth';

interface Finding {
  rule: string;
  path: string;
}

/** Findings of both packs jobx is held to: AwsSolutions and Serverless. */
function findings(app: App): Finding[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack.validateScope(app).violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? r.resourceLogicalId ?? '?' }))),
  );
}

const isWithin = (scope: IConstruct, path: string) => path === scope.node.path || path.startsWith(`${scope.node.path}/`);

describe('cdk-nag AwsSolutions and Serverless', () => {
  let app: App;
  let acks: JobxAcknowledgement[];

  beforeAll(() => {
    const before = recordedAcknowledgements().length;
    app = buildApp(testApp()).app;
    acks = recordedAcknowledgements().slice(before);
  });

  afterEach(() => vi.restoreAllMocks());

  it('finds nothing unacknowledged (IAM auth)', () => {
    expect(findings(app)).toEqual([]);
  });

  it('finds nothing unacknowledged (JWT auth)', () => {
    const jwtApp = buildApp(testApp({ context: { auth: 'jwt', jwtIssuer: 'https://issuer.example.com', jwtAudience: 'jobx' } })).app;
    expect(findings(jwtApp)).toEqual([]);
  });

  it('synthesizes like `cdk synth`: AwsSolutions plugin and CloudFormation schema checks both pass', () => {
    const full = buildApp(testApp({ cfnValidation: true })).app;
    expect(() => full.synth()).not.toThrow();
  });

  it('synthesis fails on an unacknowledged finding (the plugin really runs in `cdk synth`)', () => {
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    const unacknowledged = buildApp(testApp()).app;
    expect(() => unacknowledged.synth()).toThrow(/AwsSolutions-SQS3|AwsSolutions-L1/);
  });

  it('every acknowledgement has a rule id, a reason, and is needed on exactly its construct', () => {
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^(AwsSolutions-[A-Z]+\d+(\[.+\])?|Serverless-[A-Za-z]+)$/);
      expect(ack.reason.length).toBeGreaterThan(40);
    }
    // The same app without acknowledgements: what would be found, and where.
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    const raw = findings(buildApp(testApp()).app);
    expect(raw.length).toBeGreaterThan(0);
    // Paths are compared by their position under the stack (the second app has its own construct objects).
    for (const ack of acks) {
      expect(
        raw.some((f) => f.rule === ack.id && isWithin(ack.scope, f.path)),
        `${ack.id} on ${ack.scope.node.path} matches no finding`,
      ).toBe(true);
    }
    for (const f of raw) {
      expect(
        acks.some((a) => a.id === f.rule && isWithin(a.scope, f.path)),
        `${f.rule} on ${f.path} is not acknowledged`,
      ).toBe(true);
    }
  });

  it('acknowledges no rule wholesale: IAM5 only with its exact finding, nothing at stack or app level', () => {
    for (const ack of acks) {
      if (ack.id.startsWith('AwsSolutions-IAM5')) expect(ack.id).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
      expect(ack.scope.node.scopes.length, `${ack.id} on ${ack.scope.node.path}`).toBeGreaterThan(3); // app / stack / JobFlow / resource
    }
  });

  it('grants by route leave nothing unacknowledged in the grantee\'s stack or jobx\'s, and each of their acknowledgements is needed', () => {
    const build = () => {
      const app = testApp();
      const jobs = new Stack(app, 'Jobs');
      const flow = new JobFlow(jobs, 'Flow');
      const team = new Stack(app, 'Team');
      const role = new iam.Role(team, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
      flow.grantSubmit(role);
      flow.grantRead(role);
      flow.grantList(role);
      flow.grantControl(role);
      flow.grantWorker(role, 'edge-1');
      return app;
    };
    const before = recordedAcknowledgements().length;
    const app = build();
    const grantAcks = recordedAcknowledgements().slice(before).filter((a) => a.scope.node.path.includes('/ApiAccess/'));
    expect(grantAcks.length).toBeGreaterThan(0);
    expect(findings(app)).toEqual([]);
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    const raw = findings(build());
    for (const ack of grantAcks) expect(raw.some((f) => f.rule === ack.id && isWithin(ack.scope, f.path)), `${ack.id} on ${ack.scope.node.path}`).toBe(true);
  });

  it('a flow under a customer-managed key leaves nothing unacknowledged', () => {
    const app = testApp();
    const stack = new Stack(app, 'Keyed');
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const flow = new JobFlow(stack, 'Flow', { encryptionKey: key });
    flow.addProvider('p', { entry: path.join(ROOT, EXAMPLE_PROVIDERS.demo), timeout: Duration.minutes(6) });
    expect(findings(app)).toEqual([]);
    // The key's own acknowledgements are needed: without them, CDK's on-failure queue grant is found.
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    const bare = testApp();
    const bareStack = new Stack(bare, 'Keyed');
    new JobFlow(bareStack, 'Flow', { encryptionKey: new kms.Key(bareStack, 'Key', { enableKeyRotation: true }) });
    expect(findings(bare).filter((f) => f.path.includes('StreamFunctionRole')).map((f) => f.rule)).toEqual(expect.arrayContaining(['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]']));
  });
});
