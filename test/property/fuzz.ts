/**
 * `npm run fuzz -- [--runs N] [--seed S] [--only I1,I3] [--big] [--steps N] [--shrink-seconds N]`: runs the engine's
 * interleaving property with more runs than `npm test` does, or replays one seed, and prints the minimal story on
 * failure (shrinking stops after `--shrink-seconds`, default 120: a long story can take very long to shrink).
 * @module
 */
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { ALL_INVARIANTS, type InvariantId } from './invariants';
import { runSteps, steps } from './commands';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '500' },
    seed: { type: 'string' },
    path: { type: 'string' },
    commands: { type: 'string' },
    only: { type: 'string' },
    big: { type: 'boolean', default: false },
    steps: { type: 'string', default: '40' },
    'shrink-seconds': { type: 'string', default: '120' },
  },
});
const enabled = new Set<InvariantId>(values.only ? (values.only.split(',') as InvariantId[]) : ALL_INVARIANTS);
const started = Date.now();
const result = await fc.check(
  fc.asyncProperty(steps({ bigOutputs: values.big, maxCommands: Number(values.steps), ...(values.commands !== undefined ? { replayPath: values.commands } : {}) }), (cmds) => runSteps(cmds, enabled)),
  {
    numRuns: Number(values.runs),
    // Bounds the whole check; runs are far faster than this, so in practice it bounds the shrinking.
    interruptAfterTimeLimit: Number(values.runs) * 200 + Number(values['shrink-seconds']) * 1000,
    markInterruptAsFailure: false,
    ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}), ...(values.path !== undefined ? { path: values.path } : {}) },
);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (result.failed) {
  console.log(`FAILED after ${result.numRuns} runs in ${seconds} s (seed ${result.seed}, path ${result.counterexamplePath})`);
  const steps = String(result.counterexample?.[0]);
  const replayPath = /replayPath="([^"]*)"/.exec(steps)?.[1];
  console.log(`replay: npm run fuzz -- --seed=${result.seed} --path ${result.counterexamplePath}${replayPath ? ` --commands '${replayPath}'` : ''}${values.only ? ` --only ${values.only}` : ''}`);
  console.log(`steps: ${steps}`);
  console.log(result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance));
  process.exit(1);
}
console.log(`passed: ${result.numRuns} runs in ${seconds} s (seed ${result.seed}); invariants ${[...enabled].join(', ')}`);
