/**
 * External workers (like Step Functions activities): a worker long-polls for a task pinned to its id, or for
 * an unpinned task of an external provider it offers, and claims it with the same conditional write a Lambda
 * provider uses, so two workers never get the same attempt.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonObject } from '../core/json';
import { executorInbox, providerInbox } from '../core/routing';
import { encodeTaskToken } from '../core/task-token';
import type { EngineDeps } from '../ports';
import { claimTask } from './run-task';

/** A claimed task as a worker receives it. */
export interface ClaimedTask {
  taskToken: string;
  jobId: string;
  taskId: string;
  taskName: string;
  provider: string;
  input: JsonObject;
  env: JsonObject;
  context: JsonObject;
  attempt: number;
  leaseSeconds: number;
  job: { jobId: string; name: string; owner: string };
}

/** Offers read per inbox per poll. */
const OFFERS_PER_POLL = 10;

/**
 * Claims one task for `workerId`, waiting up to `waitSeconds` for one to arrive.
 * @returns the claimed task, or undefined when none came in time
 */
export async function claimForWorker(deps: EngineDeps, workerId: string, providers: readonly string[], waitSeconds: number): Promise<ClaimedTask | undefined> {
  const inboxes = [executorInbox(workerId), ...providers.map(providerInbox)];
  const deadline = Date.now() + waitSeconds * 1000;
  let pause = 50;
  for (;;) {
    for (const inbox of inboxes) {
      for (const offer of await deps.store.dueOffers(inbox, deps.clock.now(), OFFERS_PER_POLL)) {
        const claimed = await claimTask(deps, offer.message);
        // Claimed or stale (another worker won, or the attempt is over): either way the offer is spent. A claim
        // is recorded in the same write, for the console's list of recent claims.
        await deps.store.removeOffer(offer, claimed ? { workerId, at: new Date(deps.clock.now()).toISOString() } : undefined);
        if (!claimed) continue;
        const m = offer.message;
        return {
          taskToken: encodeTaskToken({ jobId: m.jobId, taskIndex: m.taskIndex, attempt: m.attempt, nonce: claimed.attempts[m.attempt - 1]!.tokenNonce! }),
          jobId: m.jobId,
          taskId: m.taskId,
          taskName: m.taskName,
          provider: m.provider,
          input: m.input,
          env: m.env,
          context: m.context,
          attempt: m.attempt,
          leaseSeconds: m.timeoutSeconds,
          job: m.job,
        };
      }
    }
    if (Date.now() >= deadline) return undefined;
    await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
    pause = Math.min(pause * 2, 250);
  }
}
