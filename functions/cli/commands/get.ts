/** `jobx get ID [TASK] [--json]`. @module */
import type { TaskDetailView } from '../../sdk/types';
import type { CliContext } from '../context';
import { colorStatus, fetchTree, formatDuration, renderTree, taskLine } from '../render/tree';
import type { Program } from '../program';
import type { Colors } from '../io';
import { resolveTaskId } from './control';

function short(value: unknown, max = 100): string {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Lines of one task with every attempt. */
export function renderTaskDetail(task: TaskDetailView, c: Colors, now: number): string[] {
  const lines = [taskLine({ summary: { ...task, attempts: task.attempts.length }, detail: task }, { colors: c, now })];
  lines.push(`  ${c.dim('input')}  ${short(task.input)}`);
  if (Object.keys(task.env).length) lines.push(`  ${c.dim('env')}    ${short(task.env)}`);
  if (task.output !== undefined) lines.push(`  ${c.dim('output')} ${short(task.output)}`);
  for (const a of task.attempts) {
    const end = a.endedAt ? Date.parse(a.endedAt) : a.status === 'running' ? now : undefined;
    const parts = [`  #${a.attempt}`, a.status === 'abandoned' ? c.dim(a.status) : colorStatus(a.status, c)];
    if (a.manual) parts.push(c.yellow('manual'));
    parts.push(c.dim(a.startedAt));
    if (end !== undefined) parts.push(formatDuration(end - Date.parse(a.startedAt)));
    if (a.error) parts.push(c.red(a.error.message));
    else if (a.output !== undefined) parts.push(c.dim(`→ ${short(a.output, 80)}`));
    lines.push(parts.join('  '));
  }
  return lines;
}

/** Registers `get`. */
export function registerGet(program: Program, ctx: CliContext): void {
  program
    .command('get')
    .description('show a job as a tree of its tasks (status, attempts, duration) and children; with TASK, every attempt of that task')
    .argument('<jobId>', 'the job (or a child, <parentId>.<n>)')
    .argument('[task]', 'a task id (t1, t2, …) or name')
    .option('--json', 'print the API response as JSON')
    .action(async (jobId, task, opts) => {
      const client = ctx.client();
      if (task !== undefined) {
        const detail = await client.task(jobId, await resolveTaskId(client, jobId, task));
        if (opts.json) return ctx.json(detail);
        return renderTaskDetail(detail, ctx.colors, ctx.now()).forEach((l) => ctx.out(l));
      }
      const job = await client.get(jobId);
      if (opts.json) return ctx.json(job);
      renderTree(await fetchTree(client, jobId, {}, job), { colors: ctx.colors, now: ctx.now() }).forEach((l) => ctx.out(l));
    });
}
