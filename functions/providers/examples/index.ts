/** The example providers loaded by the local stack and the example deployment. @module */
import type { ProviderDefinition } from '../define-provider';
import { callback } from './callback';
import { delay } from './delay';
import { demo } from './demo';
import { flaky } from './flaky';

/** Every example provider. */
export const exampleProviders: readonly ProviderDefinition[] = [demo, flaky, delay, callback];
