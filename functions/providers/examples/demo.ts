/** Example provider `demo`: returns `{ ...context, ...input }`; throws when `input.fail` is true. @module */
import { defineProvider } from '../define-provider';

/** The `demo` provider. */
export const demo = defineProvider('demo', ({ input, context }) => {
  if (input.fail === true) throw new Error('demo failure');
  return { ...context, ...input };
});

/** Lambda entry point. */
export const handler = demo.handler;
