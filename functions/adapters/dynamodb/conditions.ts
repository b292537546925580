/**
 * Every condition that guards an invariant, named. A failed check is never an error of the caller: it means
 * the write was a duplicate or lost a race, and the adapter reports it as `false`.
 * @module
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/** bizId idempotency and idempotent submission: an item is created once. */
export const CREATE_IF_ABSENT = 'attribute_not_exists(pk)';
/** Attempt 1 may only start on a task that has never run (a duplicate message finds the item and stops). */
export const CLAIM_FIRST_ATTEMPT = 'attribute_not_exists(pk)';
/** Attempt n+1 may only start after exactly n attempts, from queued (manual) or retrying (automatic). */
export const CLAIM_NEXT_ATTEMPT = '#status IN (:queued, :retrying) AND #attemptCount = :prev';
/** Only the running attempt may end, once. */
export const END_CURRENT_ATTEMPT = '#status = :running AND #attemptCount = :attempt';
/** The sweeper may only abandon an attempt whose lease is still the expired one it saw. */
export const LEASE_EXPIRED = '#leaseUntil < :lnow';
/** A job moves only from the statuses the transition allows (built with the list). */
export function jobInStatus(placeholders: readonly string[]): string {
  return `#status IN (${placeholders.join(', ')})`;
}
/** No child of a bucket was reopened since its version was read (`reopens` moves with every reopen). */
export const BUCKET_NOT_REOPENED = '(attribute_not_exists(reopens) OR reopens = :seen)';
/** A bucket is counted on its parent once. */
export const BUCKET_NOT_COUNTED = 'NOT contains(doneBuckets, :bucket)';
/** Only a finished root leaves the active index. */
export const ROOT_FINISHED = '#status IN (:succeeded, :failed, :discarded)';
/**
 * The sweeper puts a root on the active index only while it is an unfinished root off the index: a root that
 * finished meanwhile is not added back (and a reopen, which activates it itself, needs no second write).
 */
export const ROOT_TO_ACTIVATE = `attribute_exists(pk) AND attribute_not_exists(parentId) AND attribute_not_exists(activeShard) AND NOT (${ROOT_FINISHED})`;
/** The sweeper's watermark moves only from the value a sweep read (overlapping sweeps never move it backward). */
export function sweepMarkIs(expected: string | undefined): string {
  return expected === undefined ? 'attribute_not_exists(#mark)' : '#mark = :expected';
}
/** A manual action replaces a task only if nobody moved it since it was read. */
export const TASK_UNCHANGED = '#status = :seen AND #attemptCount = :n';
/** Pause and resume apply only to pausable jobs. */
export const JOB_PAUSABLE = 'pausable = :true';
/** A late result is kept only on the attempt its discarded task abandoned, once. */
export const LATE_RESULT_OF_DISCARDED = '#status = :discarded AND #attemptCount = :attempt';
/** A token is taken only when nobody holds it (or its holder finished without giving it back). */
export const TOKEN_FREE = 'attribute_not_exists(#holder) OR #holder = :me OR #holder = :stale';
/** Only the holder gives a token back. */
export const TOKEN_HELD_BY_ME = '#holder = :me';
/** A waiter starts only from its own place at the head of the queue. */
export const STILL_WAITING = 'attribute_exists(pk)';
/** A root starts when it gets its tokens only if it is still pending. */
export const JOB_PENDING = '#status = :pending';
/** A task token acts only on the attempt it was issued for (its nonce is stored on that attempt). */
export function tokenMatches(attempt: number): string {
  return `#attempts[${attempt - 1}].#tokenNonce = :nonce`;
}
/** At most one offer per attempt waits in an inbox: its marker is written only when absent. */
export const OFFER_NOT_WAITING = 'attribute_not_exists(pk)';
/** An offer's removal takes its attempt's marker with it only if the marker is this offer's (not a newer one's). */
export const MARKER_OF_OFFER = 'attribute_not_exists(pk) OR offerSk = :offerSk';

/** Whether a transaction was cancelled because the condition of its item at `index` failed (and not for another reason). */
export function cancelledByCondition(err: unknown, index: number): boolean {
  const cancelled = err instanceof TransactionCanceledException || (err as Error | undefined)?.name === 'TransactionCanceledException';
  return cancelled && (err as TransactionCanceledException).CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';
}

/** Runs a conditional write: its result, or undefined when its condition failed (any other error is thrown). */
export async function conditional<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw err;
  }
}
