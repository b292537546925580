/**
 * The job list: root jobs newest first, filtered by status, owner, name or bizId, paged, with counts by status.
 * Filters live in the URL (`/console/?status=failed&owner=…`), so a filtered list is a link one can share.
 * @module
 */
import { useState } from 'preact/hooks';
import { getCounts, listJobs, type JobCounts, type JobFilter, type JobPage } from './api';
import { usePolled, type Go } from './hooks';
import { Link, Status, links } from './ui';

const STATUSES = ['pending', 'running', 'paused', 'succeeded', 'failed', 'discarded'];
const FILTERS = ['status', 'owner', 'name', 'bizId'] as const;

/** The filters a list URL names. */
export function filterOf(search: string): JobFilter {
  const q = new URLSearchParams(search);
  const filter: JobFilter = {};
  for (const key of FILTERS) {
    const v = q.get(key);
    if (v) filter[key] = v;
  }
  return filter;
}

function urlOf(filter: JobFilter): string {
  const q = new URLSearchParams();
  for (const key of FILTERS) if (filter[key]) q.set(key, filter[key]!);
  return `${links.jobs()}${q.size ? `?${q}` : ''}`;
}

/** Counts by status among the newest roots; a count is also the link that filters by its status. */
function Counts({ filter, go }: { filter: JobFilter; go: Go }) {
  // Counts cost the API a window of reads: refreshed less often than the list.
  const { value } = usePolled<JobCounts>(() => getCounts(filter), [filter.owner, filter.name], 10_000);
  if (!value) return null;
  return (
    <p class="counts" aria-label="counts by status">
      {STATUSES.map((s) => (
        <Link key={s} to={urlOf({ ...filter, status: s })} go={go} label={`${value.counts[s] ?? 0} ${s}`}>
          <Status status={s} /> {value.counts[s] ?? 0}
        </Link>
      ))}
      <small>{value.complete ? 'all jobs' : `of the newest ${value.scanned}`}</small>
    </p>
  );
}

/** The job list. */
export function JobList({ search, go }: { search: string; go: Go }) {
  const filter = filterOf(search);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const key = urlOf(filter);
  const [listedFor, setListedFor] = useState(key);
  if (listedFor !== key) {
    // New filters start at the first page.
    setListedFor(key);
    setCursors([]);
  }
  const { value: page, error } = usePolled<JobPage>(() => listJobs({ ...filter, ...(cursor ? { cursor } : {}) }), [key, cursor]);
  const apply = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const next: JobFilter = {};
    for (const k of FILTERS) {
      const v = String(form.get(k) ?? '').trim();
      if (v) next[k] = v;
    }
    go(urlOf(next));
  };
  return (
    <main>
      <h1>Jobs</h1>
      <Counts filter={filter} go={go} />
      <form class="filters" onSubmit={apply} key={key}>
        <label>
          Status{' '}
          <select name="status" value={filter.status ?? ''} aria-label="filter by status" onChange={(e) => go(urlOf({ ...filter, status: (e.target as HTMLSelectElement).value }))}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Owner <input name="owner" defaultValue={filter.owner ?? ''} aria-label="filter by owner" />
        </label>
        <label>
          Name <input name="name" defaultValue={filter.name ?? ''} aria-label="filter by name" />
        </label>
        <label>
          bizId <input name="bizId" defaultValue={filter.bizId ?? ''} aria-label="filter by bizId" />
        </label>
        <button type="submit">Filter</button>
        {key !== links.jobs() && (
          <button type="button" onClick={() => go(links.jobs())}>
            Clear
          </button>
        )}
      </form>
      {error && <p role="alert">{error}</p>}
      <table aria-label="jobs">
        <thead>
          <tr>
            <th>Job</th>
            <th>Owner</th>
            <th>Status</th>
            <th>bizId</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {(page?.items ?? []).map((j) => (
            <tr key={j.jobId}>
              <td>
                <Link to={links.job(j.jobId)} go={go}>
                  {j.name}
                </Link>{' '}
                <code>{j.jobId}</code>
              </td>
              <td>{j.owner}</td>
              <td>
                <Status status={j.status} />
              </td>
              <td>{j.bizId ?? ''}</td>
              <td>{new Date(j.createdAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page && page.items.length === 0 && <p>No jobs{key !== links.jobs() ? ' match these filters' : ' yet'}.</p>}
      <nav aria-label="pages">
        <button disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Newer
        </button>{' '}
        <button disabled={!page?.cursor} onClick={() => page?.cursor && setCursors((c) => [...c, page.cursor!])}>
          Older
        </button>
      </nav>
    </main>
  );
}
