/**
 * Invariant 8 for children: a claim made after an ancestor's pause answered never runs. The claim looks up its
 * pause chain right after it won (strongly consistent reads, one per pausable ancestor, none for a root); under
 * a paused ancestor it hands the attempt back before the provider is called, and releases it again at once
 * when the ancestor was resumed meanwhile. The ancestor's resume (through its cascade), or the sweeper, releases
 * it otherwise. Decisions are in `core/pause-holds.ts`.
 * @module
 */
import { decideHandBack, decideReleaseHeld, pauseReach } from '../core/pause-holds';
import type { TaskMessage } from '../core/model';
import type { JobTree, TaskDeps, TaskTxOp } from '../ports';

/** Most ancestors looked up (deeper trees are refused at submission long before this). */
const MAX_CHAIN = 64;
/** Times a hand-back or release is decided again after its job moved under it. */
const MAX_TRIES = 4;

/** The paused ancestor whose pause reaches `message`'s job, or undefined when none does. */
export async function pausedAncestor(deps: TaskDeps, message: Pick<TaskMessage, 'pauseParent'>): Promise<string | undefined> {
  let id = message.pauseParent;
  for (let i = 0; id !== undefined && i < MAX_CHAIN; i++) {
    const reach = pauseReach(await deps.store.getJob(id));
    if (reach.kind === 'held') return reach.by;
    id = reach.kind === 'up' ? reach.parentId : undefined;
  }
  return undefined;
}

async function commitDecision(deps: TaskDeps, jobId: string, decide: (t: JobTree) => TaskTxOp[]): Promise<void> {
  for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
    const tree = await deps.store.getJobTree(jobId);
    if (!tree) return;
    const ops = decide(tree);
    if (ops.length === 0 || (await deps.store.transactTasks(ops)) < 0) return;
  }
}

/**
 * After a won claim: hands it back when a pause above holds it.
 * @returns true when the claim stands (the provider may run), false when it was handed back
 */
export async function keepClaimUnderPause(deps: TaskDeps, message: TaskMessage): Promise<boolean> {
  if (message.pauseParent === undefined) return true;
  if ((await pausedAncestor(deps, message)) === undefined) return true;
  await commitDecision(deps, message.jobId, (t) => decideHandBack(t, message, deps.clock.now()));
  // The ancestor may have been resumed (and its cascade gone by) before the hand-back landed: release it now.
  if ((await pausedAncestor(deps, message)) === undefined) await releaseHeld(deps, message.jobId);
  return false;
}

/** Sends again a task held in a running job (after a hand-back whose pause is over). */
export async function releaseHeld(deps: TaskDeps, jobId: string): Promise<void> {
  await commitDecision(deps, jobId, (t) => decideReleaseHeld(t, new Date(deps.clock.now()).toISOString()));
}
