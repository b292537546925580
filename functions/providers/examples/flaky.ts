/** Example provider `flaky`: fails while `task.attempt <= input.failTimes`, then returns like `demo`. @module */
import { defineProvider } from '../define-provider';

/** The `flaky` provider. */
export const flaky = defineProvider('flaky', ({ input, context, task }) => {
  const failTimes = typeof input.failTimes === 'number' ? input.failTimes : 0;
  if (task.attempt <= failTimes) throw new Error(`flaky failure on attempt ${task.attempt}`);
  return { ...context, ...input };
});

/** Lambda entry point. */
export const handler = flaky.handler;
