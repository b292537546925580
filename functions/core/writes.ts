/**
 * What a decision reads and what it asks to write: a job's tree, and the conditional writes of a manual action,
 * each carrying the condition (the state it was decided from) under which it applies. Plain data, no I/O; the
 * store adapters turn each write into their own conditional request.
 * @module
 */
import type { AuditEntry, JobRecord, TaskRecord } from './model';
import type { JobStatus } from './statuses';

/** A job with everything stored under it: its tasks (by position) or its children, and child completion buckets. */
export interface JobTree {
  job: JobRecord;
  /** Pipeline tasks by position; undefined where a task never ran. */
  tasks: Array<TaskRecord | undefined>;
  /** Child job records, by position. */
  children: JobRecord[];
  /** Parent jobs: the children already counted, per bucket. */
  countedChildren: Set<number>;
  /** Manual actions on the job, oldest first. */
  audit?: AuditEntry[];
}

/** Fields a job transition may set. */
export interface JobPatch {
  status: JobStatus;
  output?: JobRecord['output'];
  reason?: string;
  startedAt?: string;
  endedAt?: string;
}

/** One write of a manual action's transaction; each states the condition under which it applies. */
export type TxOp =
  /** Create a task record (only if it has none). */
  | { op: 'putTask'; task: TaskRecord }
  /** Replace a task record (only if it is still in `before`'s status and attempt count). */
  | { op: 'replaceTask'; before: TaskRecord; after: TaskRecord }
  /** Change a job's status (only from one of `from`); `reopen` clears its end and puts a root back on the active index. */
  | {
      op: 'updateJob';
      jobId: string;
      from: readonly JobStatus[];
      patch: JobPatch;
      reopen?: boolean;
      requirePausable?: boolean;
      preSkipped?: boolean;
      /** Also forget the bucket of this child (a parent reopened because this child runs again). */
      uncountChildIndex?: number;
      /** Also set the job's run (a finished job reopened or discarded by hand). */
      run?: number;
      /** A discarded root keeps its place on the active index until its tokens are given back. */
      keepActive?: boolean;
    }
  /** Only require a job's status. */
  | { op: 'checkJob'; jobId: string; in: readonly JobStatus[] }
  /** Forget a child in its parent's completion bucket (the child runs again). */
  | { op: 'uncountChild'; parentId: string; childIndex: number }
  /** Forget that child's bucket on a parent that stays as it is (only while the parent is in one of `in`). */
  | { op: 'uncountBucket'; parentId: string; childIndex: number; in: readonly JobStatus[] }
  /** Mark a root's result row as running again under run `run` (its job was reopened or discarded by hand). */
  | { op: 'resetResult'; jobId: string; run: number }
  /** Remove a task record that never ran (a next task held by a pause, released by resume). */
  | { op: 'deleteHeldTask'; task: TaskRecord }
  /** Record a manual action on a job (an item of its own, written with the action it records). */
  | { op: 'putAudit'; jobId: string; entry: AuditEntry; nonce: string };

/** The writes a provider's claim may make to hold or release its own task (see `core/pause-holds.ts`). */
export type TaskTxOp = Extract<TxOp, { op: 'replaceTask' | 'deleteHeldTask' | 'checkJob' }>;

/** Whether a write is one a provider may make ({@link TaskTxOp}). */
export function isTaskTxOp(op: TxOp): op is TaskTxOp {
  return op.op === 'replaceTask' || op.op === 'deleteHeldTask' || op.op === 'checkJob';
}

