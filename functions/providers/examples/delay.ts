/** Example provider `delay`: waits `input.seconds` (fractions allowed), then returns like `demo`. @module */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineProvider } from '../define-provider';

/** The `delay` provider. */
export const delay = defineProvider('delay', async ({ input, context, signal }) => {
  const seconds = typeof input.seconds === 'number' ? input.seconds : 0;
  await sleep(seconds * 1000, undefined, { signal }).catch(() => undefined);
  return { ...context, ...input };
});

/** Lambda entry point. */
export const handler = delay.handler;
