/**
 * Lazy activation's decisions (issue 12, fewer writes): which recent roots the sweeper repairs and activates,
 * where its walk starts, and how far its watermark moves (past covered roots only, never closer to the present
 * than the activation age, never backward).
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATION_AGE_MS, FIRST_SWEEP_LOOKBACK_MS, creationKey, decideRecentRoot, nextSweepMark, recentWindowStart, type RecentRoot } from '../../../functions/core/recent-roots';
import { NOW, NOW_ISO, isoAt } from '../../helpers/core-factories';

const root = (over: Partial<RecentRoot> & { createdAt: string }): RecentRoot => ({ jobId: 'R', key: creationKey({ jobId: 'R', createdAt: over.createdAt }), status: 'running', active: false, ...over });
const CAP = isoAt(-ACTIVATION_AGE_MS);

describe('decideRecentRoot', () => {
  it('a terminal root, or one already on the active index, is covered: nothing to do', () => {
    for (const status of ['succeeded', 'failed', 'discarded'] as const) expect(decideRecentRoot(root({ createdAt: isoAt(-3_600_000), status }), NOW)).toEqual({ kind: 'covered' });
    expect(decideRecentRoot(root({ createdAt: isoAt(-3_600_000), active: true }), NOW)).toEqual({ kind: 'covered' });
  });

  it('an unfinished root is repaired; activated only once it is at least the activation age old', () => {
    expect(decideRecentRoot(root({ createdAt: isoAt(-ACTIVATION_AGE_MS + 1) }), NOW)).toEqual({ kind: 'repair', activate: false });
    expect(decideRecentRoot(root({ createdAt: isoAt(-ACTIVATION_AGE_MS) }), NOW)).toEqual({ kind: 'repair', activate: true });
    for (const status of ['pending', 'paused'] as const) expect(decideRecentRoot(root({ createdAt: isoAt(-3_600_000), status }), NOW)).toEqual({ kind: 'repair', activate: true });
  });

  it('a root the eventually consistent read did not find yet is left for the next sweep (not covered)', () => {
    const { status: _s, ...unread } = root({ createdAt: isoAt(-3_600_000) });
    expect(decideRecentRoot(unread, NOW)).toEqual({ kind: 'unread' });
  });
});

describe('recentWindowStart', () => {
  it('starts at the watermark, or, with none yet, a bounded lookback ago', () => {
    expect(recentWindowStart('2025-12-31T23:50:00.000Z#A', NOW)).toBe('2025-12-31T23:50:00.000Z#A');
    expect(recentWindowStart(undefined, NOW)).toBe(isoAt(-FIRST_SWEEP_LOOKBACK_MS));
  });
});

describe('nextSweepMark', () => {
  const k = (ms: number, id: string) => creationKey({ createdAt: isoAt(ms), jobId: id });

  it('moves past every covered root, up to the activation age behind the present', () => {
    const walked = [{ key: k(-600_000, 'A'), covered: true }, { key: k(-300_000, 'B'), covered: true }];
    expect(nextSweepMark(k(-900_000, 'Z'), walked, { now: NOW, complete: true })).toBe(CAP);
    // Covered roots younger than the activation age are walked again: a root may still appear before them.
    expect(nextSweepMark(k(-900_000, 'Z'), [...walked, { key: k(-10_000, 'C'), covered: true }], { now: NOW, complete: true })).toBe(CAP);
  });

  it('stops at the first root not covered (too young, unread, skipped, activation failed), at it inclusive', () => {
    const walked = [
      { key: k(-600_000, 'A'), covered: true },
      { key: k(-300_000, 'B'), covered: false },
      { key: k(-200_000, 'C'), covered: true },
    ];
    expect(nextSweepMark(undefined, walked, { now: NOW, complete: true })).toBe(k(-300_000, 'B'));
  });

  it('a walk cut short by its deadline moves no further than its last root read', () => {
    const walked = [{ key: k(-600_000, 'A'), covered: true }, { key: k(-500_000, 'B'), covered: true }];
    expect(nextSweepMark(k(-900_000, 'Z'), walked, { now: NOW, complete: false })).toBe(k(-500_000, 'B'));
  });

  it('never moves backward, and writes nothing when nothing was read (an idle deployment)', () => {
    const walked = [{ key: k(-600_000, 'A'), covered: false }];
    expect(nextSweepMark(k(-500_000, 'Z'), walked, { now: NOW, complete: true })).toBeUndefined();
    expect(nextSweepMark(CAP, [{ key: k(-60_000, 'A'), covered: true }], { now: NOW, complete: true })).toBeUndefined();
    expect(nextSweepMark(k(-900_000, 'Z'), [], { now: NOW, complete: true })).toBeUndefined();
    expect(nextSweepMark(undefined, [], { now: NOW, complete: true })).toBeUndefined();
  });

  it('a bare time sorts before every root created at that millisecond (no root of the cap is passed)', () => {
    expect(CAP < creationKey({ createdAt: CAP, jobId: '0' })).toBe(true);
    expect(NOW_ISO < creationKey({ createdAt: NOW_ISO, jobId: '-' })).toBe(true);
  });
});
