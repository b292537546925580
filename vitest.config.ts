import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files each own a local stack (a JVM); two cores run at most two at once.
    maxWorkers: 2,
    pool: 'forks',
    // expect.poll's own default (1 s) is shorter than a page load or a stream hop on a loaded 2-core CI machine;
    // a poll that never reaches its value still fails, after this long.
    expect: { poll: { timeout: 10_000 } },
    // Node 20 here, nodejs22.x on Lambda: the SDK's upgrade notice is known noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
