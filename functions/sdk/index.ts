/**
 * The jobx client SDK: submit jobs the way the original library reads, follow them, act on them by hand.
 *
 * ```ts
 * import { jobx } from 'jobx/sdk';
 * const job = await jobx.job('jober1', 'sqc').pipeline('task_1', 'demo').submit({ wait: 30 });
 * ```
 * @module
 */
import { JobxClient } from './client';
import type { JobxClientOptions } from './types';

/**
 * The type of the default {@link jobx} client: a {@link JobxClient} that can be reconfigured in place, plus a
 * factory for independent clients.
 * @example
 * ```ts
 * const j: Jobx = jobx;
 * j.configure({ baseUrl: 'http://127.0.0.1:3001' });
 * ```
 */
export class Jobx extends JobxClient {
  /**
   * Replaces the default client's options (builders made earlier use the new ones when they submit).
   * @example
   * ```ts
   * jobx.configure({ baseUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com', credentials: await provider() });
   * ```
   */
  configure(options: JobxClientOptions): this {
    this.options = Object.freeze({ ...options });
    return this;
  }

  /**
   * A new independent client (the default one is left alone).
   * @example
   * ```ts
   * const staging = jobx.client({ baseUrl: 'https://staging.example.com' });
   * await staging.job('jober1', 'sqc').pipeline('task_1', 'demo').submit();
   * ```
   */
  client(options: JobxClientOptions = {}): JobxClient {
    return new JobxClient(options);
  }
}

/**
 * The default client: `JOBX_URL` or the local stack at `http://127.0.0.1:3000`, unsigned, until `configure`d.
 * @example
 * ```ts
 * import { jobx } from 'jobx/sdk';
 *
 * const job = await jobx
 *   .job('jober1', 'sqc', { env: { env: 'test' } })
 *   .pipeline('task_1', 'demo')
 *   .pipeline('task_2', 'demo')
 *   .pipeline('task_3', 'demo', { input: { all_config: 'yes' } })
 *   .submit({ wait: 30 });
 * console.log(job.status, job.output);
 * ```
 */
export const jobx: Jobx = new Jobx();

export { JobxClient, JobList, DEFAULT_BASE_URL, MAX_WAIT_PER_REQUEST_SECONDS } from './client';
export { JobBuilder, type JobOptions, type TaskOptions, type RetryOptionsSpec } from './job-builder';
export { JobxApiError, isJobxApiError, errorFromResponse, type JobxApiErrorInit, type JobxErrorCode, type JobxClientErrorCode } from './errors';
export { createSigner, regionFromUrl, type Signer, type SignerOptions, type SignableRequest } from './signer';
export type * from './types';
