/**
 * The jobx console: jobs newest first, and each job with its tasks, children and manual actions, with pause,
 * resume and discard. Deep links (`/console/jobs/{jobId}`) are rendered by the browser from the API.
 * @module
 */
import { render, type ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, act, getJob, getTask, listJobs, type JobPage, type JobView, type TaskDetail } from './api';
import './style.css';

const BASE = '/console';
const STATUSES = ['', 'pending', 'running', 'paused', 'succeeded', 'failed', 'discarded'];
/** Views refresh this often while open (the job list and a job both change as jobs run). */
const REFRESH_MS = 2000;

function usePath(): [string, (to: string) => void] {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const go = useCallback((to: string) => {
    history.pushState(null, '', to);
    setPath(to);
  }, []);
  return [path, go];
}

/** Polls `load` every REFRESH_MS; keeps the last good value on screen (no flicker while a refresh runs). */
function usePolled<T>(load: () => Promise<T>, deps: unknown[]): { value?: T; error?: string; reload: () => void } {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    const run = () =>
      load().then(
        (v) => live && (setValue(v), setError(undefined)),
        (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
      );
    void run();
    const timer = setInterval(run, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [...deps, tick]);
  return { value, error, reload: () => setTick((t) => t + 1) };
}

/** An in-app link: the URL is a real deep link; a plain click navigates without reloading the app. */
function Link({ to, go, children }: { to: string; go: (to: string) => void; children: ComponentChildren }) {
  return (
    <a
      href={to}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        go(to);
      }}
    >
      {children}
    </a>
  );
}

function Status({ status }: { status: string }) {
  return <span class={`status status-${status}`}>{status}</span>;
}

function JobList({ go }: { go: (to: string) => void }) {
  const [status, setStatus] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const { value: page, error } = usePolled<JobPage>(() => listJobs({ status, ...(cursor ? { cursor } : {}) }), [status, cursor]);
  return (
    <main>
      <h1>Jobs</h1>
      <label>
        Status{' '}
        <select value={status} onChange={(e) => (setStatus((e.target as HTMLSelectElement).value), setCursors([]))} aria-label="filter by status">
          {STATUSES.map((s) => (
            <option value={s}>{s || 'any'}</option>
          ))}
        </select>
      </label>
      {error && <p role="alert">{error}</p>}
      <table>
        <thead>
          <tr>
            <th>Job</th>
            <th>Owner</th>
            <th>Status</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {(page?.items ?? []).map((j) => (
            <tr key={j.jobId}>
              <td>
                <Link to={`${BASE}/jobs/${encodeURIComponent(j.jobId)}`} go={go}>
                  {j.name}
                </Link>{' '}
                <code>{j.jobId}</code>
              </td>
              <td>{j.owner}</td>
              <td>
                <Status status={j.status} />
              </td>
              <td>{new Date(j.createdAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav>
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

function JobPageView({ jobId, go }: { jobId: string; go: (to: string) => void }) {
  const { value: job, error, reload } = usePolled<JobView>(() => getJob(jobId), [jobId]);
  const [answer, setAnswer] = useState<string>();
  const run = async (action: 'pause' | 'resume' | 'discard') => {
    const reason = action === 'discard' ? prompt('Why discard this job?') ?? undefined : undefined;
    if (action !== 'discard' && !confirm(`${action} job ${jobId}?`)) return;
    if (action === 'discard' && reason === undefined) return;
    try {
      const next = await act(jobId, action, reason);
      setAnswer(`${action}: 200, the job is ${next.status}`);
    } catch (e) {
      setAnswer(e instanceof ApiError ? `${action}: ${e.status} ${e.code}: ${e.message}` : String(e));
    }
    reload();
  };
  return (
    <main>
      <p>
        <Link to={`${BASE}/`} go={go}>
          ← Jobs
        </Link>
      </p>
      {error && <p role="alert">{error}</p>}
      {job && (
        <>
          <h1>
            {job.name} <Status status={job.status} />
          </h1>
          <p>
            <code>{job.jobId}</code> · owner {job.owner}
            {job.createdBy ? ` · submitted by ${job.createdBy}` : ''} · created {new Date(job.createdAt).toLocaleString()}
            {job.reason ? ` · ${job.reason}` : ''}
          </p>
          <div class="actions">
            <button onClick={() => void run('pause')}>Pause</button> <button onClick={() => void run('resume')}>Resume</button>{' '}
            <button onClick={() => void run('discard')}>Discard</button>
          </div>
          {answer && <p role="status">{answer}</p>}
          {job.tasks.length > 0 && (
            <>
              <h2>Tasks</h2>
              <table>
                <thead>
                  <tr>
                    <th>Task</th>
                    <th>Provider</th>
                    <th>Status</th>
                    <th>Attempts</th>
                    <th>Why it waits</th>
                  </tr>
                </thead>
                <tbody>
                  {job.tasks.map((t) => (
                    <tr key={t.taskId}>
                      <td>
                        <Link to={`${BASE}/jobs/${encodeURIComponent(jobId)}/tasks/${t.taskId}`} go={go}>
                          {t.taskId} {t.name}
                        </Link>
                      </td>
                      <td>{t.provider}</td>
                      <td>
                        <Status status={t.status} />
                      </td>
                      <td>{t.attempts}</td>
                      <td>{t.retryAt ? `retry at ${new Date(t.retryAt).toLocaleTimeString()}` : (t.reason ?? '')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          {job.children.length > 0 && (
            <>
              <h2>Children ({job.children.length})</h2>
              <ul class="children">
                {job.children.map((c) => (
                  <li key={c.jobId}>
                    <Link to={`${BASE}/jobs/${encodeURIComponent(c.jobId)}`} go={go}>
                      {c.name}
                    </Link>{' '}
                    <Status status={c.status} />
                  </li>
                ))}
              </ul>
            </>
          )}
          {job.actions && job.actions.length > 0 && (
            <>
              <h2>Manual actions</h2>
              <ul>
                {job.actions.map((a) => (
                  <li>
                    {new Date(a.at).toLocaleString()}: {a.by} {a.action}
                    {a.taskId ? ` ${a.taskId}` : ''}
                    {a.reason ? ` (${a.reason})` : ''}
                  </li>
                ))}
              </ul>
            </>
          )}
          {job.output !== undefined && (
            <>
              <h2>Output</h2>
              <pre>{JSON.stringify(job.output, null, 2)}</pre>
            </>
          )}
        </>
      )}
    </main>
  );
}

const json = (v: unknown) => (v === undefined ? '—' : JSON.stringify(v, null, 2));

/** A task with every attempt side by side: input, env, context, output or error, times, automatic or manual. */
function TaskPageView({ jobId, taskId, go }: { jobId: string; taskId: string; go: (to: string) => void }) {
  const { value: task, error } = usePolled<TaskDetail>(() => getTask(jobId, taskId), [jobId, taskId]);
  const back = `${BASE}/jobs/${encodeURIComponent(jobId)}`;
  return (
    <main>
      <p>
        <Link to={back} go={go}>
          ← Job {jobId}
        </Link>
      </p>
      {error && <p role="alert">{error}</p>}
      {task && (
        <>
          <h1>
            {task.taskId} {task.name} <Status status={task.status} />
          </h1>
          <p>
            provider {task.provider}
            {task.reason ? ` · ${task.reason}` : ''}
          </p>
          <div class="attempts">
            {task.attempts.map((a) => (
              <section key={a.attempt} aria-label={`attempt ${a.attempt}`}>
                <h2>
                  Attempt {a.attempt} <Status status={a.status} />
                </h2>
                <p>
                  {a.manual ? 'manual' : 'automatic'} · {new Date(a.startedAt).toLocaleTimeString()}
                  {a.endedAt ? ` → ${new Date(a.endedAt).toLocaleTimeString()}` : ' (running)'}
                </p>
                {a.error && (
                  <p class="error">
                    {a.error.code ? `${a.error.code}: ` : ''}
                    {a.error.message}
                  </p>
                )}
                <h3>Input</h3>
                <pre>{json(a.input)}</pre>
                <h3>Env</h3>
                <pre>{json(a.env)}</pre>
                <h3>Context</h3>
                <pre>{json(a.context)}</pre>
                <h3>Output</h3>
                <pre>{json(a.output)}</pre>
              </section>
            ))}
          </div>
        </>
      )}
    </main>
  );
}

function App() {
  const [path, go] = usePath();
  const task = /^\/console\/jobs\/([^/]+)\/tasks\/([^/]+)\/?$/.exec(path);
  if (task) return <TaskPageView jobId={decodeURIComponent(task[1]!)} taskId={decodeURIComponent(task[2]!)} go={go} />;
  const m = /^\/console\/jobs\/([^/]+)\/?$/.exec(path);
  return m ? <JobPageView jobId={decodeURIComponent(m[1]!)} go={go} /> : <JobList go={go} />;
}

render(<App />, document.getElementById('app')!);
