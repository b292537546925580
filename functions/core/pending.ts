/**
 * Asynchronous completion: a provider that hands its work to something else returns `pending()`; the task stays
 * running until someone holding its task token reports success or failure (Step Functions' waitForTaskToken).
 * @module
 */

/** The marker a provider returns instead of an output. */
export class PendingResult {
  /** When set, the lease becomes this long and each heartbeat renews it; otherwise the task's timeout applies. */
  readonly heartbeatSeconds?: number;
  constructor(heartbeatSeconds?: number) {
    if (heartbeatSeconds !== undefined) this.heartbeatSeconds = heartbeatSeconds;
  }
}

/**
 * Leaves the task running for completion by task token.
 * @example
 * defineProvider('approve', async ({ input, taskToken }) => { await notify(input.approver, taskToken); return pending({ heartbeatSeconds: 3600 }); });
 */
export function pending(opts: { heartbeatSeconds?: number } = {}): PendingResult {
  return new PendingResult(opts.heartbeatSeconds);
}
