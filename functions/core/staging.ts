/**
 * Staged submission: a root with many descendants is accepted at once and its descendants are created by the
 * stream afterwards, so that submitting the documented maximum (10,000 children) answers within the API's 30 s.
 *
 * The submit writes the planned descendant records as a few *parts* (items of their own, keyed by a nonce of
 * this submission) and then the root, only if absent, `pending` with a `staging` marker. The root is the commit
 * point, as for any submission: two racing submits of one bizId write parts under different nonces, and only
 * the winner's parts are ever expanded, so their trees never mix. The stream expands each part (every record
 * only if absent), marks it on the root (once per part), and the last mark lets the root start: `running`, or
 * waiting for its tokens. Each step is idempotent; the sweeper repeats whatever a lost record left undone.
 * @module
 */
import type { JobRecord } from './model';
import type { JobPatch } from './writes';

/** Submissions with more descendants than this are staged. */
export const STAGE_ABOVE_DESCENDANTS = 500;
/** Descendant records per part: one part is expanded in one go (about 1,000 conditional puts at most). */
export const STAGE_PART_RECORDS = 1_000;
/**
 * Bytes of records per part, as JSON before compression: a part fits in a 400 KB item even if its records do not
 * compress at all (one record is at most 256 KB, the job payload limit). Compression only lowers its write units.
 */
export const STAGE_PART_BYTES = 350 * 1024;
/** How long parts are kept after their submission (the table's TTL removes them at no write cost). */
export const STAGE_PART_TTL_SECONDS = 7 * 24 * 3600;

/** Where a root's descendants are being created from. */
export interface Staging {
  /** Nonce of the submission that wrote the parts (parts are keyed by it). */
  nonce: string;
  /** Number of parts. */
  parts: number;
  /** Parts expanded so far (derived from the stored set, never written as such). */
  done?: number[];
}

/** One part of a staged submission: descendant records to create. */
export interface StagedPart {
  index: number;
  records: JobRecord[];
}

/** Options of {@link stageSubmission}. */
export interface StageOptions {
  partRecords?: number;
  partBytes?: number;
}

/**
 * Splits a planned submission (descendants first, root last) into parts and a staged root. The root waits in
 * `pending` until every part is expanded.
 */
export function stageSubmission(records: readonly JobRecord[], nonce: string, opts: StageOptions = {}): { root: JobRecord; parts: StagedPart[] } {
  const planned = records[records.length - 1];
  if (!planned) throw new Error('stageSubmission needs at least the root record');
  const maxRecords = opts.partRecords ?? STAGE_PART_RECORDS;
  const maxBytes = opts.partBytes ?? STAGE_PART_BYTES;
  const parts: StagedPart[] = [];
  let current: JobRecord[] = [];
  let bytes = 0;
  for (const record of records.slice(0, -1)) {
    const size = Buffer.byteLength(JSON.stringify(record), 'utf8');
    if (current.length > 0 && (current.length >= maxRecords || bytes + size > maxBytes)) {
      parts.push({ index: parts.length, records: current });
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) parts.push({ index: parts.length, records: current });
  const root: JobRecord = { ...planned, status: 'pending', reason: `creating its ${records.length - 1} descendant jobs`, staging: { nonce, parts: parts.length } };
  delete root.startedAt;
  return { root, parts };
}

/** Parts of a staging root still to expand. */
export function partsToExpand(job: Pick<JobRecord, 'staging'>): number[] {
  if (!job.staging) return [];
  const done = new Set(job.staging.done ?? []);
  return Array.from({ length: job.staging.parts }, (_, i) => i).filter((i) => !done.has(i));
}

/**
 * What a staging root becomes once every part is expanded: `running` (it starts its children), or, holding
 * tokens, still `pending`, now waiting for them. Undefined while parts remain or when it is no longer pending
 * (discarded meanwhile: nothing starts).
 */
export function decideStagingDone(job: JobRecord, now: string): JobPatch | undefined {
  if (job.status !== 'pending' || !job.staging || partsToExpand(job).length > 0) return undefined;
  if (job.tokens?.length) return { status: 'pending', reason: 'waiting for its tokens' };
  return { status: 'running', startedAt: now };
}
