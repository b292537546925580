/**
 * The bench prices jobx's functions at the construct's default memory sizes and its sweeper at the construct's
 * default rate (`bench/prices.ts`): a JobFlow with default props is synthesized here, so the bench's figures
 * fail this test the day the construct's defaults change.
 */
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FUNCTION_MEMORY_MB, SWEEPER_RATE_MINUTES } from '../../../bench/prices';
import { JobFlow } from '../../../lib/job-flow';
import { EXAMPLE_PROVIDERS } from '../../../lib/jobx-stack';
import { ROOT, logicalIdOf, testApp } from '../../infra/support/synth';

describe('deployment figures of the bench', () => {
  const stack = new Stack(testApp(), 'BenchFigures');
  const flow = new JobFlow(stack, 'Flow');
  const provider = flow.addProvider('demo', { entry: path.join(ROOT, EXAMPLE_PROVIDERS.demo), timeout: Duration.minutes(6) });
  const template = Template.fromStack(stack);
  const functions = template.findResources('AWS::Lambda::Function') as Record<string, { Properties: { MemorySize?: number } }>;
  const memoryOf = (fn: Parameters<typeof logicalIdOf>[0]) => functions[logicalIdOf(fn)]?.Properties.MemorySize;

  it('function memory sizes are the construct defaults', () => {
    expect({ api: memoryOf(flow.apiFunction), wait: memoryOf(flow.waitFunction), stream: memoryOf(flow.streamFunction), sweeper: memoryOf(flow.sweeperFunction), provider: memoryOf(provider.fn) }).toEqual(
      FUNCTION_MEMORY_MB,
    );
  });

  it('the sweeper runs at the rate the bench assumes', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule') as Record<string, { Properties: { ScheduleExpression?: string } }>);
    const expected = SWEEPER_RATE_MINUTES === 1 ? 'rate(1 minute)' : `rate(${SWEEPER_RATE_MINUTES} minutes)`;
    expect(rules.map((r) => r.Properties.ScheduleExpression).filter(Boolean)).toEqual([expected]);
  });
});
