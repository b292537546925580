/**
 * A stream batch handled as one: the jobs its task changes react from are read in one request before any record
 * is handled, and the children it finishes are counted per bucket in one write after every record is handled.
 * Both keep the guards of the one-record path: a job read after the batch arrived is a read made after each of
 * its changes was written (handed out again only after a record whose effects wrote no job, so a change that
 * follows effects on its job reads again; a record whose effects write jobs drops every read kept), and a child is counted from its own record read after its bucket's version, never from the
 * stream record, so counting it later than its record is the same as a record delivered late.
 * @module
 */
import type { JobRecord } from '../core/model';
import type { Effect } from '../core/reactions';
import type { EngineDeps } from '../ports';
import { reportChildren } from './effects';
import { jobReadFor, type BatchContext, type ItemChange } from './on-change';

export { jobReadFor } from './on-change';

/** One batch of changes: what was read ahead for it and the children it finished. */
export class StreamBatch {
  private readonly jobs = new Map<string, JobRecord>();
  /** Children to count by parent, each with the tags of the records that finished them. */
  private readonly reports = new Map<string, Map<number, string[]>>();

  constructor(jobs: readonly JobRecord[] = []) {
    for (const job of jobs) this.jobs.set(job.jobId, job);
  }

  /**
   * Reads in one request (per 100) the jobs the task changes of a batch react from; a batch of one such change
   * reads nothing ahead (it reads as it would alone).
   */
  static async readAhead(deps: EngineDeps, changes: readonly ItemChange[]): Promise<StreamBatch> {
    const ids = [...new Set(changes.map(jobReadFor).filter((id): id is string => id !== undefined))];
    return new StreamBatch(ids.length < 2 ? [] : await deps.store.getJobs(ids));
  }

  /** The job read for the batch, once (until handed back); undefined when none is kept. */
  takeJob(jobId: string): JobRecord | undefined {
    const job = this.jobs.get(jobId);
    this.jobs.delete(jobId);
    return job;
  }

  /** Keeps a job read after a record whose effects wrote no job (see {@link BatchContext.keepJob}). */
  keepJob(job: JobRecord): void {
    this.jobs.set(job.jobId, job);
  }

  /** Drops every job read kept (see {@link BatchContext.forgetJobs}). */
  forgetJobs(): void {
    this.jobs.clear();
  }

  /** The context one record is handled in; `tag` names the record if counting what it finished fails. */
  forRecord(tag: string): BatchContext {
    return {
      takeJob: (jobId) => this.takeJob(jobId),
      keepJob: (job) => this.keepJob(job),
      forgetJobs: () => this.forgetJobs(),
      deferReport: (effect: Extract<Effect, { kind: 'reportToParent' }>) => {
        const children = this.reports.get(effect.parentId) ?? new Map<number, string[]>();
        children.set(effect.childIndex, [...(children.get(effect.childIndex) ?? []), tag]);
        this.reports.set(effect.parentId, children);
      },
    };
  }

  /** Children waiting to be counted. */
  get pendingReports(): number {
    let n = 0;
    for (const children of this.reports.values()) n += children.size;
    return n;
  }

  /**
   * Counts the children the batch finished, parent by parent (a parent's failure does not stop the others).
   * @returns the tags of the records whose children could not be counted (to be delivered again)
   */
  async flush(deps: EngineDeps, onError?: (parentId: string, error: unknown) => void): Promise<string[]> {
    const failed: string[] = [];
    const parents = [...this.reports];
    this.reports.clear();
    for (const [parentId, children] of parents) {
      try {
        await reportChildren(deps, parentId, [...children.keys()]);
      } catch (error) {
        onError?.(parentId, error);
        for (const tags of children.values()) failed.push(...tags);
      }
    }
    return failed;
  }
}
