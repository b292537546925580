/**
 * The human view of a job: a tree of the job, its tasks (status, attempts, duration) and its children, nested.
 * Pure: the tree is fetched elsewhere ({@link fetchTree}), the clock and colours are passed in.
 * @module
 */
import type { JobxClient } from '../../sdk/client';
import type { JobStatus, JobView, TaskDetailView, TaskStatus, TaskSummaryView } from '../../sdk/types';
import type { Colors } from '../io';

/** A task of a fetched tree; `detail` (every attempt, for times) when it was fetched. */
export interface TaskNode {
  summary: TaskSummaryView;
  detail?: TaskDetailView;
}

/** A job with its tasks and (some of) its children, fetched recursively. */
export interface JobTree {
  job: JobView;
  tasks: TaskNode[];
  /** The first children, expanded. */
  children: JobTree[];
}

/** Options of {@link fetchTree}. */
export interface FetchTreeOptions {
  /** Fetch every task's attempts (for durations and errors). @default true */
  details?: boolean;
  /** Children expanded per parent; the rest are summarised by status. @default 20 */
  maxChildren?: number;
  /** Parallel requests. @default 8 */
  concurrency?: number;
}

const TERMINAL_JOB: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'discarded']);

/** True for a job status after which nothing runs any more. */
export function isTerminalJobStatus(status: JobStatus): boolean {
  return TERMINAL_JOB.has(status);
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A tree of a job view alone (no requests): its tasks without attempts, its children summarised. */
export function shallowTree(job: JobView): JobTree {
  return { job, tasks: job.tasks.map((summary) => ({ summary })), children: [] };
}

/**
 * Fetches a job, its tasks' attempts and its first children (recursively) for {@link renderTree}.
 * @example
 * ```ts
 * const tree = await fetchTree(client, jobId);
 * console.log(renderTree(tree, { colors, now: Date.now() }).join('\n'));
 * ```
 */
export async function fetchTree(client: JobxClient, jobId: string, options: FetchTreeOptions = {}, job?: JobView): Promise<JobTree> {
  const details = options.details ?? true;
  const maxChildren = options.maxChildren ?? 20;
  const concurrency = options.concurrency ?? 8;
  const view = job ?? (await client.get(jobId));
  const tasks = await mapLimit(view.tasks, concurrency, async (summary): Promise<TaskNode> => {
    if (!details || summary.attempts === 0) return { summary };
    return { summary, detail: await client.task(view.jobId, summary.taskId) };
  });
  const children = await mapLimit(view.children.slice(0, maxChildren), Math.max(1, Math.floor(concurrency / 2)), (c) => fetchTree(client, c.jobId, options));
  return { job: view, tasks, children };
}

/** `1234` → `1.2s`; `350` → `350ms`; `125000` → `2m05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Colours a status word. */
export function colorStatus(status: JobStatus | TaskStatus, c: Colors): string {
  switch (status) {
    case 'succeeded':
      return c.green(status);
    case 'failed':
      return c.red(status);
    case 'running':
    case 'queued':
      return c.cyan(status);
    case 'retrying':
    case 'paused':
      return c.yellow(status);
    case 'skipped':
    case 'discarded':
    case 'pending':
      return c.dim(status);
    default:
      return status;
  }
}

/** How long a task has run: first attempt's start to the last one's end (or now while running). */
export function taskDuration(detail: TaskDetailView | undefined, now: number): number | undefined {
  const attempts = detail?.attempts ?? [];
  const first = attempts[0];
  const last = attempts[attempts.length - 1];
  if (!first || !last) return undefined;
  const end = last.endedAt ? Date.parse(last.endedAt) : last.status === 'running' ? now : undefined;
  if (end === undefined) return undefined;
  return end - Date.parse(first.startedAt);
}

/** How long a job has run: created to last update when finished, else to now. */
export function jobDuration(job: JobView, now: number): number {
  const end = isTerminalJobStatus(job.status) ? Date.parse(job.updatedAt) : now;
  return end - Date.parse(job.createdAt);
}

/** Options of {@link renderTree}. */
export interface RenderTreeOptions {
  colors: Colors;
  /** ms since epoch, for durations of unfinished work. */
  now: number;
}

/** Longest output shown on a task's line of the tree (JSON characters; `jobx get ID TASK` shows all of it). */
const TREE_OUTPUT_CHARS = 60;

function shortJson(value: unknown, max: number): string {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What a task's line knows of where it stands, to say why it waits. */
export interface TaskWaitContext {
  /** The task's job. */
  job: Pick<JobView, 'jobId' | 'status' | 'tokens'>;
  /** Whether the task is the next of its pipeline (every task before it succeeded or was skipped). */
  next: boolean;
  /** The topmost paused ancestor of the job, which holds its tasks (whatever the job's own status). */
  pausedAncestor?: string;
}

const WAITING: ReadonlySet<TaskStatus> = new Set(['pending', 'queued', 'retrying']);

/**
 * Why a task that has not run yet (or runs again later) waits, in words: its retry's due time, a pause that holds
 * it, its job's tokens, the executor it is pinned to. Undefined when it does not wait, or for nothing it can name.
 * @example
 * taskWait({ ...task, status: 'retrying', retryAt: '2026-11-25T10:55:42.000Z' }, { job, next: true }, now); // 'retry in 12.0s (10:55:42Z)'
 */
export function taskWait(t: TaskSummaryView, ctx: TaskWaitContext | undefined, now: number): string | undefined {
  if (!WAITING.has(t.status)) return undefined;
  if (t.status === 'retrying' && t.retryAt !== undefined) {
    const due = Date.parse(t.retryAt);
    const at = `${t.retryAt.slice(11, 19)}Z`;
    return due > now ? `retry in ${formatDuration(due - now)} (${at})` : `retry due since ${at}`;
  }
  // Tasks behind the next one wait for it: saying so on every line would only repeat the obvious.
  if (!ctx?.next) return undefined;
  // The topmost pause first: resuming the job itself would not release a task its paused ancestor holds.
  if (ctx.pausedAncestor !== undefined) return `held: ${ctx.pausedAncestor} is paused (jobx resume ${ctx.pausedAncestor})`;
  if (ctx.job.status === 'paused') return `held: the job is paused (jobx resume ${ctx.job.jobId})`;
  if (ctx.job.status === 'pending' && ctx.job.tokens?.length) return `waiting for the job's token${ctx.job.tokens.length === 1 ? '' : 's'} ${ctx.job.tokens.join(', ')}`;
  if (t.status === 'queued' && t.preLock !== undefined) return `waiting for executor ${t.preLock} to claim it`;
  return undefined;
}

/**
 * One task as a line of the tree: `t1 task_1 (demo)  succeeded  1 attempt · 310ms  → {"a":1}`, with why it failed
 * or waits (`— attempt 1 failed: boom · retry in 4.0s (10:55:42Z)`).
 */
export function taskLine(node: TaskNode, o: RenderTreeOptions, wait?: TaskWaitContext): string {
  const { summary: t, detail } = node;
  const c = o.colors;
  const parts = [`${c.dim(t.taskId)} ${c.bold(t.name)} ${c.dim(`(${t.provider})`)}`, colorStatus(t.status, c)];
  const meta: string[] = [];
  if (t.attempts > 0) meta.push(`${t.attempts} attempt${t.attempts === 1 ? '' : 's'}`);
  const manual = detail?.attempts.filter((a) => a.manual).length ?? 0;
  if (manual > 0) meta.push(`${manual} manual`);
  const d = taskDuration(detail, o.now);
  if (d !== undefined) meta.push(formatDuration(d));
  if (meta.length) parts.push(c.dim(meta.join(' · ')));
  const lastError = detail?.attempts[detail.attempts.length - 1]?.error?.message;
  const why = [t.reason ?? (t.status === 'failed' || t.status === 'retrying' ? lastError : undefined), taskWait(t, wait, o.now)].filter((x) => x !== undefined).join(' · ');
  if (why) parts.push(`${c.dim('—')} ${t.status === 'failed' ? c.red(why) : why}`);
  if (t.output !== undefined && Object.keys(t.output).length > 0) parts.push(c.dim(`→ ${shortJson(t.output, TREE_OUTPUT_CHARS)}`));
  return parts.join('  ');
}

/** One job as a line of the tree: `jober1 (sqc)  01JD…  running  1/3 tasks · 2.0s`. */
export function jobLine(job: JobView, o: RenderTreeOptions, root = true): string {
  const c = o.colors;
  const parts = [`${c.bold(job.name)}${root ? c.dim(` (${job.owner})`) : ''}`, c.dim(job.jobId), colorStatus(job.status, c)];
  const meta: string[] = [];
  if (job.tasks.length > 0) {
    const done = job.tasks.filter((t) => t.status === 'succeeded' || t.status === 'skipped').length;
    meta.push(`${done}/${job.tasks.length} tasks`);
  } else if (job.children.length > 0) {
    const done = job.children.filter((ch) => ch.status === 'succeeded').length;
    meta.push(`${done}/${job.children.length} children`);
  }
  meta.push(formatDuration(jobDuration(job, o.now)));
  parts.push(c.dim(meta.join(' · ')));
  if (job.reason) parts.push(`${c.dim('—')} ${job.status === 'failed' ? c.red(job.reason) : job.reason}`);
  return parts.join('  ');
}

function statusCounts(statuses: readonly JobStatus[]): string {
  const counts = new Map<JobStatus, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

/**
 * Renders a job tree as lines:
 * ```
 * jober1 (sqc)  01JD…  succeeded  3/3 tasks · 1.2s
 * ├─ t1 task_1 (demo)  succeeded  1 attempt · 310ms
 * ├─ t2 task_2 (demo)  succeeded  1 attempt · 280ms
 * └─ t3 task_3 (demo)  succeeded  1 attempt · 300ms
 * ```
 * Children are nested the same way; children beyond those fetched are summarised by status. `pausedAncestor`
 * (set in the recursion) names a paused job above this one, which holds its tasks.
 * @example
 * ```ts
 * const lines = renderTree(await fetchTree(client, id), { colors: picocolors.createColors(false), now: Date.now() });
 * ```
 */
export function renderTree(tree: JobTree, o: RenderTreeOptions, root = true, pausedAncestor?: string): string[] {
  const lines = [jobLine(tree.job, o, root)];
  const c = o.colors;
  const items: Array<{ lines: string[] }> = [];
  const next = tree.tasks.findIndex((t) => t.summary.status !== 'succeeded' && t.summary.status !== 'skipped');
  tree.tasks.forEach((t, i) => items.push({ lines: [taskLine(t, o, { job: tree.job, next: i === next, ...(pausedAncestor !== undefined ? { pausedAncestor } : {}) })] }));
  // A paused job holds its children's tasks too (their own status may still be running); the topmost one counts.
  const holder = pausedAncestor ?? (tree.job.status === 'paused' ? tree.job.jobId : undefined);
  for (const child of tree.children) items.push({ lines: renderTree(child, o, false, holder) });
  const hidden = tree.job.children.slice(tree.children.length);
  if (hidden.length > 0) items.push({ lines: [c.dim(`… ${hidden.length} more children: ${statusCounts(hidden.map((h) => h.status))}`)] });
  items.forEach((item, i) => {
    const last = i === items.length - 1;
    item.lines.forEach((line, j) => {
      const prefix = j === 0 ? (last ? '└─ ' : '├─ ') : last ? '   ' : '│  ';
      lines.push(c.dim(prefix) + line);
    });
  });
  return lines;
}
