/**
 * The engine under every fault AWS and people can produce: fast-check strings together submits, stream records
 * (duplicated, replayed late, across shards), SQS deliveries (duplicated, reordered, after a crash), providers
 * that fail, return large outputs or outlive their lease, manual actions at any moment (even between another
 * invocation's read and write), sweeps and clock jumps, and checks every invariant of engine-invariants.md
 * after each step and at quiescence. A failure prints the shrunk story; `npm run fuzz` runs more seeds or
 * replays one. (Invariant 11, the sweeper's isolation, is proven in test/unit/engine/sweep-isolation.test.ts.)
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ALL_INVARIANTS, type InvariantId } from './invariants';
import { runSteps, steps } from './commands';

/**
 * Invariants the engine is known to break, each then reproduced by a named story in regressions.test.ts and
 * left out of the property until fixed (so that what holds cannot regress meanwhile). None today.
 */
const KNOWN_BROKEN = new Set<InvariantId>([]);
const ENFORCED = new Set(ALL_INVARIANTS.filter((i) => !KNOWN_BROKEN.has(i)));

/** Runs per `npm test` (a fixed budget; `npm run fuzz -- --runs N` goes further). */
const RUNS = Number(process.env.JOBX_PROPERTY_RUNS ?? 1000);

describe('engine interleavings (property-based, in memory)', () => {
  it(`keeps ${[...ENFORCED].join(', ')} under any interleaving`, { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(steps(), (cmds) => runSteps(cmds, ENFORCED)),
      { numRuns: RUNS },
    );
  });

  it('keeps them with outputs near the size limits (no write fails for size)', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(steps({ bigOutputs: true }), (cmds) => runSteps(cmds, ENFORCED)),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});
