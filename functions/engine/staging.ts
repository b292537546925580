/**
 * Creates a staged root's descendants from its parts (see `core/staging.ts`) and lets the root start once they
 * all exist. Run by the stream on the root's creation and by the sweeper for a root whose staging stalled; every
 * step is idempotent (records are created only if absent, a part is marked once, the end is conditional).
 * @module
 */
import { decideStagingDone, partsToExpand } from '../core/staging';
import type { EngineDeps } from '../ports';
import { mapLimit } from '../util/map-limit';
import { cascadeToChild } from './control';

/** Expands every part of a staging root not marked yet, one part after another. */
export async function stageChildren(deps: EngineDeps, rootId: string): Promise<void> {
  const root = await deps.store.getJob(rootId);
  if (!root?.staging) return;
  const { nonce } = root.staging;
  for (const index of partsToExpand(root)) {
    const records = await deps.store.stagedPart(rootId, nonce, index);
    if (!records) throw new Error(`part ${index} of staged job ${rootId} is missing`);
    await deps.store.createDescendants(records);
    // A root discarded while its parts were being expanded: its discard cascaded over the records that existed
    // then; the ones written here since are discarded the same way (each only if still pending).
    // The parts not expanded yet are left alone: nothing will ever look for those records.
    const now = await deps.store.getJob(rootId);
    if (now?.status === 'discarded') {
      await mapLimit(records, 16, (r) => cascadeToChild(deps, r.jobId, 'discard'));
      return;
    }
    await deps.store.markStagedPart(rootId, nonce, index);
  }
}

/** Ends a root's staging when every part is marked: it starts, or queues for its tokens. */
export async function finishStaging(deps: EngineDeps, rootId: string): Promise<boolean> {
  const root = await deps.store.getJob(rootId);
  if (!root?.staging) return false;
  const patch = decideStagingDone(root, new Date(deps.clock.now()).toISOString());
  if (!patch) return false;
  return deps.store.finishStaging(rootId, root.staging.nonce, root.staging.parts, patch);
}
