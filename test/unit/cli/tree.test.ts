import picocolors from 'picocolors';
import { describe, expect, it } from 'vitest';
import { formatProgress, progressOf, ProgressReporter } from '../../../functions/cli/render/progress';
import { formatDuration, renderTree, shallowTree, type JobTree } from '../../../functions/cli/render/tree';
import type { AttemptView, JobView, TaskDetailView, TaskSummaryView } from '../../../functions/sdk';

const plain = picocolors.createColors(false);
const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();

function job(over: Partial<JobView> = {}): JobView {
  return { jobId: 'J1', name: 'jober1', owner: 'sqc', status: 'running', input: {}, env: {}, pausable: true, rootId: 'J1', createdAt: iso(0), updatedAt: iso(2500), tasks: [], children: [], ...over };
}
function task(i: number, status: TaskSummaryView['status'], attempts = 0, over: Partial<TaskSummaryView> = {}): TaskSummaryView {
  return { taskId: `t${i}`, name: `task_${i}`, provider: 'demo', status, attempts, input: {}, env: {}, ...over };
}
function attempt(n: number, status: AttemptView['status'], start: number, end?: number, over: Partial<AttemptView> = {}): AttemptView {
  return { attempt: n, manual: false, status, input: {}, env: {}, context: {}, startedAt: iso(start), ...(end !== undefined ? { endedAt: iso(end) } : {}), ...over };
}
function detail(s: TaskSummaryView, attempts: AttemptView[]): TaskDetailView {
  return { ...s, attempts };
}

describe('renderTree', () => {
  it('shows a pipeline: each task with status, attempts and duration, the failure reason, no colour codes', () => {
    const t1 = task(1, 'succeeded', 1);
    const t2 = task(2, 'failed', 2);
    const t3 = task(3, 'pending');
    const tree: JobTree = {
      job: job({ status: 'failed', reason: 'task task_2 failed', tasks: [t1, t2, t3] }),
      tasks: [
        { summary: t1, detail: detail(t1, [attempt(1, 'succeeded', 100, 410)]) },
        { summary: t2, detail: detail(t2, [attempt(1, 'failed', 500, 700, { error: { message: 'boom' } }), attempt(2, 'failed', 1000, 2300, { manual: true, error: { message: 'demo failure' } })]) },
        { summary: t3 },
      ],
      children: [],
    };
    expect(renderTree(tree, { colors: plain, now: T0 + 10_000 })).toEqual([
      'jober1 (sqc)  J1  failed  1/3 tasks · 2.5s  — task task_2 failed',
      '├─ t1 task_1 (demo)  succeeded  1 attempt · 310ms',
      '├─ t2 task_2 (demo)  failed  2 attempts · 1 manual · 1.8s  — demo failure',
      '└─ t3 task_3 (demo)  pending',
    ]);
  });

  it('nests children with their tasks, and summarises children that were not fetched', () => {
    const c1 = { job: job({ jobId: 'J1.1', name: 'jober3_1', status: 'succeeded', tasks: [task(1, 'succeeded', 1), task(2, 'skipped', 0, { reason: 'by hand' })] }), tasks: [], children: [] } as JobTree;
    c1.tasks = c1.job.tasks.map((summary) => ({ summary }));
    const c2: JobTree = { job: job({ jobId: 'J1.2', name: 'jober3_2', tasks: [task(1, 'running', 1)] }), tasks: [{ summary: task(1, 'running', 1), detail: detail(task(1, 'running', 1), [attempt(1, 'running', 1000)]) }], children: [] };
    const parent = job({
      name: 'jober3',
      children: [
        { jobId: 'J1.1', name: 'jober3_1', status: 'succeeded' },
        { jobId: 'J1.2', name: 'jober3_2', status: 'running' },
        { jobId: 'J1.3', name: 'jober3_3', status: 'running' },
        { jobId: 'J1.4', name: 'jober3_4', status: 'failed' },
        { jobId: 'J1.5', name: 'jober3_5', status: 'running' },
      ],
    });
    const lines = renderTree({ job: parent, tasks: [], children: [c1, c2] }, { colors: plain, now: T0 + 3000 });
    expect(lines).toEqual([
      'jober3 (sqc)  J1  running  1/5 children · 3.0s',
      '├─ jober3_1  J1.1  succeeded  2/2 tasks · 2.5s',
      '│  ├─ t1 task_1 (demo)  succeeded  1 attempt',
      '│  └─ t2 task_2 (demo)  skipped  — by hand',
      '├─ jober3_2  J1.2  running  0/1 tasks · 3.0s',
      '│  └─ t1 task_1 (demo)  running  1 attempt · 2.0s',
      '└─ … 3 more children: 2 running, 1 failed',
    ]);
  });

  it('shows each task\'s output (shortened) and, on the task that waits, why: retry due, pause, tokens, executor', () => {
    const big = { text: 'x'.repeat(100) };
    const t1 = task(1, 'succeeded', 1, { output: { order: 42 } });
    const t2 = task(2, 'skipped', 0, { reason: 'by hand', output: big });
    const t3 = task(3, 'retrying', 1, { reason: 'attempt 1 failed: boom', retryAt: iso(14_000) });
    const t4 = task(4, 'pending');
    const lines = renderTree(shallowTree(job({ tasks: [t1, t2, t3, t4] })), { colors: plain, now: T0 + 2000 });
    expect(lines).toEqual([
      'jober1 (sqc)  J1  running  2/4 tasks · 2.0s',
      '├─ t1 task_1 (demo)  succeeded  1 attempt  → {"order":42}',
      `├─ t2 task_2 (demo)  skipped  — by hand  → {"text":"${'x'.repeat(50)}…`,
      '├─ t3 task_3 (demo)  retrying  1 attempt  — attempt 1 failed: boom · retry in 12.0s (10:00:14Z)',
      '└─ t4 task_4 (demo)  pending',
    ]);
    expect(renderTree(shallowTree(job({ tasks: [t3] })), { colors: plain, now: T0 + 20_000 })[1]).toContain('— attempt 1 failed: boom · retry due since 10:00:14Z');

    const paused = renderTree(shallowTree(job({ status: 'paused', tasks: [t1, task(2, 'pending'), task(3, 'pending')] })), { colors: plain, now: T0 + 2000 });
    expect(paused.slice(2)).toEqual(['├─ t2 task_2 (demo)  pending  — held: the job is paused (jobx resume J1)', '└─ t3 task_3 (demo)  pending']);

    const tokens = renderTree(shallowTree(job({ status: 'pending', reason: 'waiting for token db held by J0', tokens: ['db'], tasks: [task(1, 'pending')] })), { colors: plain, now: T0 + 2000 });
    expect(tokens[1]).toBe("└─ t1 task_1 (demo)  pending  — waiting for the job's token db");

    const pinned = renderTree(shallowTree(job({ tasks: [task(1, 'queued', 0, { preLock: 'edge-1' })] })), { colors: plain, now: T0 + 2000 });
    expect(pinned[1]).toBe('└─ t1 task_1 (demo)  queued  — waiting for executor edge-1 to claim it');
  });

  it('a running child under a paused parent shows its next task held by the parent\'s pause', () => {
    const child: JobTree = shallowTree(job({ jobId: 'J1.1', name: 'c1', status: 'running', tasks: [task(1, 'succeeded', 1), task(2, 'queued')] }));
    const parent = job({ status: 'paused', children: [{ jobId: 'J1.1', name: 'c1', status: 'running' }] });
    const lines = renderTree({ job: parent, tasks: [], children: [child] }, { colors: plain, now: T0 + 2000 });
    expect(lines[3]).toBe('   └─ t2 task_2 (demo)  queued  — held: J1 is paused (jobx resume J1)');
  });

  it('colours statuses only when asked', () => {
    const colored = picocolors.createColors(true);
    const tree = shallowTree(job({ status: 'succeeded', tasks: [task(1, 'succeeded', 1)] }));
    const lines = renderTree(tree, { colors: colored, now: T0 });
    expect(lines.join('\n')).toContain('\x1b[32msucceeded\x1b[39m');
    expect(renderTree(tree, { colors: plain, now: T0 }).join('\n')).not.toContain('\x1b[');
  });

  it('formats durations', () => {
    expect([350, 1234, 59_949, 125_000, 3_600_000 + 5 * 60_000].map(formatDuration)).toEqual(['350ms', '1.2s', '59.9s', '2m05s', '1h05m']);
  });
});

describe('progress', () => {
  it('counts tasks done (succeeded or skipped) over the whole tree', () => {
    const child = (id: string, statuses: TaskSummaryView['status'][]): JobTree => {
      const j = job({ jobId: id, tasks: statuses.map((s, i) => task(i + 1, s)) });
      return shallowTree(j);
    };
    const parent = job({ children: [{ jobId: 'a', name: 'a', status: 'running' }, { jobId: 'b', name: 'b', status: 'running' }] });
    const p = progressOf({ job: parent, tasks: [], children: [child('a', ['succeeded', 'skipped', 'running']), child('b', ['failed', 'pending', 'pending'])] });
    expect(p).toEqual({ status: 'running', unit: 'tasks', done: 2, total: 6, failed: 1 });
    expect(formatProgress(p)).toBe('running  tasks 2/6 done (1 failed)');
  });

  it('falls back to children done/total when not every child was fetched', () => {
    const parent = job({ children: [{ jobId: 'a', name: 'a', status: 'succeeded' }, { jobId: 'b', name: 'b', status: 'running' }, { jobId: 'c', name: 'c', status: 'succeeded' }] });
    expect(formatProgress(progressOf({ job: parent, tasks: [], children: [] }))).toBe('running  children 2/3 done');
  });

  it('prints a line per change without a TTY, and redraws one line with a spinner on a TTY', () => {
    const out: string[] = [];
    const r = new ProgressReporter({ write: (s) => out.push(s) }, { colors: plain, tty: false });
    r.update('running  tasks 0/3 done');
    r.update('running  tasks 0/3 done');
    r.update('running  tasks 1/3 done');
    r.stop();
    expect(out).toEqual(['running  tasks 0/3 done\n', 'running  tasks 1/3 done\n']);

    const tty: string[] = [];
    const t = new ProgressReporter({ write: (s) => tty.push(s), isTTY: true }, { colors: plain, tty: true, now: () => T0 });
    t.update('running  tasks 1/3 done');
    t.stop();
    expect(tty[0]).toMatch(/^\r\x1b\[2K⠋ running {2}tasks 1\/3 done {2}0ms$/);
    expect(tty.at(-1)).toBe('\r\x1b[2K');
  });
});
