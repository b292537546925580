import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The slowest files, longest first (seconds each on the 2-core CI machine, 2026-12-01). With two workers, the
 * suite's wall time is at least its longest file: starting the long ones first keeps the others filling the second
 * worker, instead of a 4-minute file starting last and running alone (12.5 min → about 9).
 */
const LONGEST_FIRST = [
  'test/integration/scale.test.ts', // 265
  'test/integration/tokens.test.ts', // 77
  'test/integration/workers.test.ts', // 76
  'test/console/console.test.ts', // 60
  'test/package/consumer-app.test.ts', // 54
  'test/property/interleavings.test.ts', // 49
  'test/integration/issue9-regressions.test.ts', // 48
  'test/integration/delivery-and-crash.test.ts', // 43
  'test/integration/timers-and-shutdown.test.ts', // 37
];

/** Vitest's own order (by earlier durations and size), with the known slowest files moved to the front. */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((p) => f.moduleId.replaceAll('\\', '/').endsWith(p));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files each own a local stack (a JVM); two cores run at most two at once.
    maxWorkers: 2,
    pool: 'forks',
    sequence: { sequencer: LongestFirst },
    // Node 20 here, nodejs22.x on Lambda: the SDK's upgrade notice is known noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
