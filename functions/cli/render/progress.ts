/**
 * Progress of a job while `jobx wait` (or `submit --wait`) waits: tasks done / total. On a terminal, one line
 * redrawn with a spinner; otherwise (or with colours off by pipe) one line per change, no spinner.
 * @module
 */
import type { JobStatus } from '../../sdk/types';
import type { Colors, OutStream } from '../io';
import { colorStatus, formatDuration, type JobTree } from './tree';

/** Progress of a job tree: tasks done (succeeded or skipped) out of all, counted over the fetched tree. */
export interface Progress {
  status: JobStatus;
  unit: 'tasks' | 'children';
  done: number;
  total: number;
  failed: number;
}

/**
 * Counts tasks done / total over a tree; when some children were not fetched, counts the root's children instead.
 * @example
 * ```ts
 * formatProgress(progressOf(tree)); // 'running  tasks 4/9 done'
 * ```
 */
export function progressOf(tree: JobTree): Progress {
  let complete = true;
  let done = 0;
  let total = 0;
  let failed = 0;
  const walk = (t: JobTree) => {
    if (t.children.length < t.job.children.length) complete = false;
    for (const task of t.tasks) {
      total++;
      if (task.summary.status === 'succeeded' || task.summary.status === 'skipped') done++;
      if (task.summary.status === 'failed') failed++;
    }
    t.children.forEach(walk);
  };
  walk(tree);
  if (!complete) {
    const kids = tree.job.children;
    return {
      status: tree.job.status,
      unit: 'children',
      done: kids.filter((k) => k.status === 'succeeded').length,
      total: kids.length,
      failed: kids.filter((k) => k.status === 'failed').length,
    };
  }
  return { status: tree.job.status, unit: 'tasks', done, total, failed };
}

/** `running  tasks 4/9 done (1 failed)`. */
export function formatProgress(p: Progress, c?: Colors): string {
  const status = c ? colorStatus(p.status, c) : p.status;
  return `${status}  ${p.unit} ${p.done}/${p.total} done${p.failed > 0 ? ` (${p.failed} failed)` : ''}`;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Options of {@link ProgressReporter}. */
export interface ProgressReporterOptions {
  colors: Colors;
  /** Draw one updating line with a spinner (only on a terminal). */
  tty: boolean;
  now?: () => number;
}

/**
 * Shows progress on a stream: on a TTY one line redrawn with a spinner and the elapsed time; otherwise a line each
 * time the text changes.
 */
export class ProgressReporter {
  private text = '';
  private frame = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly started: number;
  private readonly now: () => number;

  constructor(
    private readonly stream: OutStream,
    private readonly options: ProgressReporterOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  /** Sets the text; prints it (non-TTY) when it changed. */
  update(text: string): void {
    if (text === this.text) return;
    this.text = text;
    if (!this.options.tty) {
      this.stream.write(`${text}\n`);
      return;
    }
    if (!this.timer) {
      this.timer = setInterval(() => this.draw(), 80);
      this.timer.unref?.();
    }
    this.draw();
  }

  private draw(): void {
    const c = this.options.colors;
    const spinner = c.cyan(FRAMES[this.frame++ % FRAMES.length]!);
    this.stream.write(`\r\x1b[2K${spinner} ${this.text}  ${c.dim(formatDuration(this.now() - this.started))}`);
  }

  /** Stops the spinner and clears its line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.options.tty && this.text) this.stream.write('\r\x1b[2K');
  }
}
