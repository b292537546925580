import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files each own a local stack (a JVM); two cores run at most two at once.
    maxWorkers: 2,
    pool: 'forks',
  },
});
