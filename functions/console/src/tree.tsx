/**
 * A job's tree at any depth: its children, and for each child opened, that child's tasks and children, as one
 * virtualised list (only the rows in view are in the page), so a parent of thousands of children stays
 * responsive. Rows are pure: a refresh re-renders only the rows whose status changed.
 * @module
 */
import { Component, type ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJob, type ChildSummary, type JobView, type TaskSummary } from './api';
import { REFRESH_MS, type Go } from './hooks';
import { Link, Status, duration, links } from './ui';

/** One row of the flattened tree. */
type Row =
  | { kind: 'job'; key: string; depth: number; jobId: string; name: string; status: string; open: boolean }
  | { kind: 'task'; key: string; depth: number; jobId: string; taskId: string; name: string; status: string; attempts: number; took: string }
  | { kind: 'loading'; key: string; depth: number };

const ROW_PX = 30;
const VIEW_PX = 480;
/** Rows rendered beyond the visible ones, so a quick scroll shows no blank rows. */
const OVERSCAN = 8;

function taskRows(job: JobView, depth: number): Row[] {
  return job.tasks.map((t: TaskSummary) => ({
    kind: 'task' as const,
    key: `${job.jobId}/${t.taskId}`,
    depth,
    jobId: job.jobId,
    taskId: t.taskId,
    name: t.name,
    status: t.status,
    attempts: t.attempts,
    took: t.startedAt ? duration(t.startedAt, t.endedAt) : '',
  }));
}

function flatten(children: ChildSummary[], depth: number, open: ReadonlySet<string>, views: ReadonlyMap<string, JobView>, out: Row[]): Row[] {
  for (const c of children) {
    const isOpen = open.has(c.jobId);
    out.push({ kind: 'job', key: c.jobId, depth, jobId: c.jobId, name: c.name, status: c.status, open: isOpen });
    if (!isOpen) continue;
    const view = views.get(c.jobId);
    if (!view) {
      out.push({ kind: 'loading', key: `${c.jobId}/…`, depth: depth + 1 });
      continue;
    }
    out.push(...taskRows(view, depth + 1));
    flatten(view.children, depth + 1, open, views, out);
  }
  return out;
}

const same = (a: Row, b: Row) => {
  const ka = Object.keys(a) as Array<keyof Row>;
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

/** A row; renders again only when one of its fields changed. */
class TreeRow extends Component<{ row: Row; top: number; go: Go; toggle: (jobId: string) => void }> {
  override shouldComponentUpdate(next: { row: Row; top: number }): boolean {
    return next.top !== this.props.top || !same(next.row, this.props.row);
  }
  override render(): ComponentChildren {
    const { row, top, go, toggle } = this.props;
    const style = { top: `${top}px`, height: `${ROW_PX}px`, paddingLeft: `${row.depth * 1.25}rem` };
    if (row.kind === 'loading') return <div class="row" style={style} role="listitem">loading…</div>;
    if (row.kind === 'task') {
      return (
        <div class="row" style={style} role="listitem">
          <Link to={links.task(row.jobId, row.taskId)} go={go}>
            {row.taskId} {row.name}
          </Link>{' '}
          <Status status={row.status} /> <small>{row.attempts} attempt{row.attempts === 1 ? '' : 's'}{row.took ? ` · ${row.took}` : ''}</small>
        </div>
      );
    }
    return (
      <div class="row" style={style} role="listitem">
        <button class="toggle" aria-expanded={row.open} aria-label={`${row.open ? 'close' : 'open'} ${row.name}`} onClick={() => toggle(row.jobId)}>
          {row.open ? '▾' : '▸'}
        </button>{' '}
        <Link to={links.job(row.jobId)} go={go}>
          {row.name}
        </Link>{' '}
        <Status status={row.status} /> <code>{row.jobId}</code>
      </div>
    );
  }
}

/** The children of `job` as a tree; opened children are read (and refreshed) while open. */
export function JobTree({ job, go }: { job: JobView; go: Go }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [views, setViews] = useState<ReadonlyMap<string, JobView>>(new Map());
  const [scrollTop, setScrollTop] = useState(0);
  useEffect(() => {
    let live = true;
    const load = () => {
      for (const id of open) {
        getJob(id).then(
          (v) => live && setViews((m) => (m.get(id) === v ? m : new Map(m).set(id, v))),
          () => undefined,
        );
      }
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [open]);
  const toggle = (jobId: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (!next.delete(jobId)) next.add(jobId);
      return next;
    });
  const rows = flatten(job.children, 0, open, views, []);
  const height = Math.min(rows.length * ROW_PX, VIEW_PX);
  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_PX) + OVERSCAN);
  return (
    <div
      class="tree"
      style={{ height: `${height}px` }}
      tabIndex={0}
      role="list"
      aria-label={`children of ${job.name}`}
      onScroll={(e) => setScrollTop((e.target as HTMLElement).scrollTop)}
    >
      <div style={{ height: `${rows.length * ROW_PX}px`, position: 'relative' }}>
        {rows.slice(first, last).map((row, i) => (
          <TreeRow key={row.key} row={row} top={(first + i) * ROW_PX} go={go} toggle={toggle} />
        ))}
      </div>
    </div>
  );
}
