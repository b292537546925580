/** Manual actions: `jobx skip|retry ID TASK`, `jobx pause|resume|discard ID`. @module */
import type { JobxClient } from '../../sdk/client';
import type { JobView, TaskDetailView } from '../../sdk/types';
import { parseJsonObject, type CliContext } from '../context';
import { CliError } from '../io';
import { renderTree, shallowTree, taskLine } from '../render/tree';
import type { Program } from '../program';

/** `t2` stays `t2`; a task name (`task_2`) is looked up in the job. */
export async function resolveTaskId(client: JobxClient, jobId: string, task: string): Promise<string> {
  if (/^t[1-9][0-9]*$/.test(task)) return task;
  const job = await client.get(jobId);
  const found = job.tasks.find((t) => t.name === task);
  if (!found) {
    const known = job.tasks.map((t) => `${t.taskId} ${t.name}`).join(', ');
    throw new CliError('NOT_FOUND', `job ${jobId} has no task ${task}${known ? ` (tasks: ${known})` : ' (it has no tasks)'}`);
  }
  return found.taskId;
}

function printTask(ctx: CliContext, jobId: string, task: TaskDetailView, json: boolean): void {
  if (json) return ctx.json(task);
  ctx.out(taskLine({ summary: { ...task, attempts: task.attempts.length }, detail: task }, { colors: ctx.colors, now: ctx.now() }));
  ctx.err(ctx.errColors.dim(`follow it: jobx wait ${jobId}`));
}

function printJob(ctx: CliContext, job: JobView, json: boolean): void {
  if (json) return ctx.json(job);
  renderTree(shallowTree(job), { colors: ctx.colors, now: ctx.now() }).forEach((l) => ctx.out(l));
}

/** Registers `skip`, `retry`, `pause`, `resume`, `discard`. */
export function registerControl(program: Program, ctx: CliContext): void {
  program
    .command('skip')
    .description('skip a failed (or pending/retrying) task: the pipeline moves on with --output as its output')
    .argument('<jobId>', 'the job')
    .argument('<task>', 'task id (t1, t2, …) or name')
    .option('--reason <text>', 'why (shown as the task\'s reason)')
    .option('--output <json>', 'the task\'s output for the next tasks (default {})', parseJsonObject)
    .option('--json', 'print the task as JSON')
    .action(async (jobId, task, opts) => {
      const client = ctx.client();
      const taskId = await resolveTaskId(client, jobId, task);
      const body = { ...(opts.reason !== undefined ? { reason: opts.reason } : {}), ...(opts.output !== undefined ? { output: opts.output } : {}) };
      printTask(ctx, jobId, await client.skip(jobId, taskId, body), Boolean(opts.json));
    });

  program
    .command('retry')
    .description('run a failed task again as a new manual attempt, with input/env merged over the old ones (or replacing them)')
    .argument('<jobId>', 'the job')
    .argument('<task>', 'task id (t1, t2, …) or name')
    .option('--input <json>', 'input of the new attempt, e.g. \'{"fail":false}\'', parseJsonObject)
    .option('--env <json>', 'env of the new attempt', parseJsonObject)
    .option('--replace', 'replace input/env instead of merging')
    .option('--json', 'print the task as JSON')
    .action(async (jobId, task, opts) => {
      const client = ctx.client();
      const taskId = await resolveTaskId(client, jobId, task);
      const body = {
        ...(opts.input !== undefined ? { input: opts.input } : {}),
        ...(opts.env !== undefined ? { env: opts.env } : {}),
        ...(opts.replace ? { replace: true } : {}),
      };
      printTask(ctx, jobId, await client.retry(jobId, taskId, body), Boolean(opts.json));
    });

  program
    .command('pause')
    .description('pause a pausable job: running tasks finish, no new task starts until resume')
    .argument('<jobId>', 'the job')
    .option('--json', 'print the job as JSON')
    .action(async (jobId, opts) => printJob(ctx, await ctx.client().pause(jobId), Boolean(opts.json)));

  program
    .command('resume')
    .description('resume a paused job where it stopped')
    .argument('<jobId>', 'the job')
    .option('--json', 'print the job as JSON')
    .action(async (jobId, opts) => printJob(ctx, await ctx.client().resume(jobId), Boolean(opts.json)));

  program
    .command('discard')
    .description('discard a job with its unfinished children and tasks (terminal)')
    .argument('<jobId>', 'the job')
    .option('--reason <text>', 'why (shown as the job\'s reason)')
    .option('--json', 'print the job as JSON')
    .action(async (jobId, opts) => printJob(ctx, await ctx.client().discard(jobId, opts.reason !== undefined ? { reason: opts.reason } : {}), Boolean(opts.json)));
}
