/** {@link ResultStore} on a map: the result table behind sync waits. @module */
import type { JobResult } from '../../core/model';
import type { ResultStore } from '../../ports';
import { ItemTooLargeError, MAX_ITEM_BYTES } from './job-store';

/** {@link ResultStore} on a map (rows are replaced whole, like a DynamoDB PutItem). */
export class MemoryResultStore implements ResultStore {
  readonly rows = new Map<string, JobResult>();

  constructor(private readonly opts: { beforeWrite?: (what: string) => void } = {}) {}

  async put(result: JobResult): Promise<void> {
    this.opts.beforeWrite?.('putResult');
    const bytes = Buffer.byteLength(JSON.stringify(result), 'utf8');
    if (bytes > MAX_ITEM_BYTES) throw new ItemTooLargeError(`result ${result.jobId}`, bytes);
    this.rows.set(result.jobId, structuredClone(result));
  }

  async get(jobId: string): Promise<JobResult | undefined> {
    const row = this.rows.get(jobId);
    return row ? structuredClone(row) : undefined;
  }
}
