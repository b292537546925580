/** {@link ResultStore} on a map: the result table behind sync waits. @module */
import type { JobResult } from '../../core/model';
import type { ResultStore } from '../../ports';
import { ItemTooLargeError, MAX_ITEM_BYTES } from './job-store';

/** {@link ResultStore} on a map (rows are replaced whole, like a DynamoDB PutItem). */
export class MemoryResultStore implements ResultStore {
  readonly rows = new Map<string, JobResult>();

  constructor(private readonly opts: { beforeWrite?: (what: string) => void } = {}) {}

  async put(result: JobResult): Promise<boolean> {
    this.opts.beforeWrite?.('putResult');
    // RESULT_NOT_NEWER of the DynamoDB store.
    const row = this.rows.get(result.jobId);
    const run = result.run ?? 0;
    if (row && !((row.run ?? 0) < run || ((row.run ?? 0) === run && row.status === 'running'))) return false;
    const bytes = Buffer.byteLength(JSON.stringify(result), 'utf8');
    if (bytes > MAX_ITEM_BYTES) throw new ItemTooLargeError(`result ${result.jobId}`, bytes);
    this.rows.set(result.jobId, { ...structuredClone(result), run });
    return true;
  }

  async get(jobId: string): Promise<JobResult | undefined> {
    const row = this.rows.get(jobId);
    if (!row || row.status === 'running') return undefined;
    const { run: _run, ...result } = structuredClone(row);
    return result;
  }
}
