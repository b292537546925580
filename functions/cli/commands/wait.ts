/** `jobx wait ID [--timeout S] [--json]`. @module */
import type { JobxClient } from '../../sdk/client';
import type { JobView } from '../../sdk/types';
import type { CliContext } from '../context';
import { parseSeconds } from '../context';
import { CliExit, EXIT } from '../io';
import { formatProgress, progressOf, ProgressReporter } from '../render/progress';
import { fetchTree, isTerminalJobStatus, renderTree, type JobTree } from '../render/tree';
import type { Program } from '../program';

/** Default of `--timeout`. */
export const DEFAULT_WAIT_SECONDS = 300;
/** Longest pause between two progress reads (a finished job ends the pause at once). */
const POLL_SECONDS = 1;

/** Exit code for a job's final status: 0 succeeded, 1 failed or discarded. */
export function exitCodeFor(job: JobView): number {
  return job.status === 'succeeded' ? EXIT.ok : EXIT.failed;
}

/**
 * Waits for a job to finish, showing progress on stderr (an updating line on a terminal, a line per change
 * otherwise, nothing with `--json`), then prints the job (tree, or JSON). Returns the exit code:
 * 0 succeeded, 1 failed or discarded, 2 still unfinished after `timeoutSeconds`.
 */
export async function waitForJob(ctx: CliContext, client: JobxClient, jobId: string, timeoutSeconds: number, json: boolean): Promise<number> {
  const deadline = ctx.now() + timeoutSeconds * 1000;
  const reporter = json ? undefined : new ProgressReporter(ctx.io.stderr, { colors: ctx.errColors, tty: Boolean(ctx.io.stderr.isTTY), now: ctx.now });
  let tree: JobTree;
  try {
    for (;;) {
      tree = await fetchTree(client, jobId, { details: false, maxChildren: 50 });
      reporter?.update(`${jobId}  ${formatProgress(progressOf(tree), ctx.errColors)}`);
      if (isTerminalJobStatus(tree.job.status)) break;
      const left = (deadline - ctx.now()) / 1000;
      if (left <= 0) break;
      await client.result(jobId, { wait: Math.min(POLL_SECONDS, left) });
    }
  } finally {
    reporter?.stop();
  }
  const finished = isTerminalJobStatus(tree.job.status);
  if (json) ctx.json(tree.job);
  else renderTree(await fetchTree(client, jobId), { colors: ctx.colors, now: ctx.now() }).forEach((l) => ctx.out(l));
  if (!finished) {
    ctx.err(`timed out after ${timeoutSeconds}s: ${jobId} is ${tree.job.status} (${formatProgress(progressOf(tree))})`);
    return EXIT.timeout;
  }
  return exitCodeFor(tree.job);
}

/** Registers `wait`. */
export function registerWait(program: Program, ctx: CliContext): void {
  program
    .command('wait')
    .description('wait for a job to finish, showing tasks done/total; exit 0 succeeded, 1 failed or discarded, 2 timed out')
    .argument('<jobId>', 'the job (or a child, <parentId>.<n>)')
    .option('--timeout <seconds>', 'give up after this long', parseSeconds, DEFAULT_WAIT_SECONDS)
    .option('--json', 'print the final job as JSON (no progress)')
    .action(async (jobId, opts) => {
      const code = await waitForJob(ctx, ctx.client(), jobId, opts.timeout, Boolean(opts.json));
      if (code !== EXIT.ok) throw new CliExit(code);
    });
}
