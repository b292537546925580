/**
 * Synthesis helpers of the infrastructure tests: the app of `cdk.json` (same feature flags), bundling skipped
 * unless asked for (esbuild runs once, in the bundle test), and construct-based lookups of logical ids so no
 * test names a hash-suffixed id.
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { afterAll } from 'vitest';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The context of cdk.json (feature flags), as `cdk synth` passes it. */
export function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return { ...cdkJson.context };
}

// An App without an outdir synthesizes into a new cdk.outXXXXXX of the OS temp dir that nothing removes (about a
// hundred per run): every test app gets a folder under one temp dir per test file, removed when the file is done.
// Registered at the top level of this module, so the hook belongs to the file that imports it.
let outRoot: string | undefined;
afterAll(() => {
  if (outRoot !== undefined) rmSync(outRoot, { recursive: true, force: true });
  outRoot = undefined;
});

/** A new, empty synthesis folder under this test file's temp dir. */
export function testOutdir(): string {
  outRoot ??= mkdtempSync(path.join(tmpdir(), 'jobx-infra-test-'));
  return mkdtempSync(path.join(outRoot, 'cdk.out-'));
}

/**
 * An app with cdk.json's flags. `bundle` (default false) runs esbuild, else NodejsFunction assets are
 * placeholders; `cfnValidation` (default false) runs CloudFormation's schema checks at synthesis (seconds on a
 * first run: the nag test runs them once, as `cdk synth` does). `outdir` defaults to a {@link testOutdir}.
 */
export function testApp(opts: { bundle?: boolean; cfnValidation?: boolean; context?: Record<string, unknown>; outdir?: string } = {}): App {
  return new App({
    context: { ...cdkContext(), ...(opts.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...opts.context },
    builtinCloudFormationValidation: opts.cfnValidation ?? false,
    outdir: opts.outdir ?? testOutdir(),
  });
}

/** Logical id of the CloudFormation resource of a construct (an L2's default child, or an L1 itself). */
export function logicalIdOf(construct: IConstruct): string {
  const cfn = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(cfn instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return String(Stack.of(cfn).resolve(Stack.of(cfn).getLogicalId(cfn)));
}
