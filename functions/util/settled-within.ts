/** Waiting for an outcome, up to a time budget. @module */

/**
 * Whether `work` succeeds within `ms`: true when it resolves in time; false when it rejects or is still pending
 * when the time is up (it is not cancelled: a late success changes nothing the caller decided). The timer does
 * not keep the process alive.
 * @example
 * const sent = await succeededWithin(queue.send(message), 2_000);
 */
export async function succeededWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => false,
      ),
      timeUp,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
