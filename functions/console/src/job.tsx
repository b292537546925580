/**
 * A job: its status and why it waits, its actions, its tasks with durations, a timeline of every attempt
 * (automatic or manual, and who retried), its tree of children at any depth, its payload and its manual actions.
 * @module
 */
import { useEffect, useState } from 'preact/hooks';
import { getJob, getTask, type AuditEntry, type JobView, type TaskDetail, type TaskSummary } from './api';
import { usePolled, type Go } from './hooks';
import { JobActions, TaskActions } from './task-actions';
import { JobTree } from './tree';
import { Json, Link, Status, duration, links, time } from './ui';

/** Tasks whose attempts the timeline reads (one GET each, conditional); longer pipelines show the first ones. */
const TIMELINE_TASKS = 30;

/** Why a task is not running now, in words. */
function whyTaskWaits(t: TaskSummary, job: JobView): string {
  if (t.retryAt) return `retry due at ${time(t.retryAt)}`;
  if (job.status === 'paused' && (t.status === 'pending' || t.status === 'queued')) return 'the job is paused';
  if (t.preLock && (t.status === 'queued' || t.status === 'pending')) return `waits for executor ${t.preLock}`;
  return t.reason ?? '';
}

/** Why the job is not running now, in words (tokens, pause, or the reason the API gives). */
function whyJobWaits(job: JobView): string | undefined {
  if (job.status === 'paused') {
    const pause = [...(job.actions ?? [])].reverse().find((a) => a.action === 'pause');
    return pause ? `paused by ${pause.by} at ${time(pause.at)}` : 'paused';
  }
  if (job.status === 'pending' && job.tokens?.length) return job.reason ?? `waits for token ${job.tokens.join(', ')}`;
  return job.reason;
}

/** Every attempt of the job's tasks in time order; manual ones name who asked for them. */
function Timeline({ job }: { job: JobView }) {
  const [details, setDetails] = useState<ReadonlyMap<string, TaskDetail>>(new Map());
  const ran = job.tasks.filter((t) => t.attempts > 0).slice(0, TIMELINE_TASKS);
  const key = ran.map((t) => `${t.taskId}:${t.attempts}:${t.status}`).join(',');
  useEffect(() => {
    let live = true;
    for (const t of ran) {
      getTask(job.jobId, t.taskId).then(
        (d) => live && setDetails((m) => (m.get(t.taskId) === d ? m : new Map(m).set(t.taskId, d))),
        () => undefined,
      );
    }
    return () => {
      live = false;
    };
  }, [job.jobId, key]);
  const rows = [...details.values()].flatMap((d) => d.attempts.map((a) => ({ task: d, a }))).sort((x, y) => x.a.startedAt.localeCompare(y.a.startedAt));
  if (rows.length === 0) return null;
  const start = Date.parse(rows[0]!.a.startedAt);
  // The span ends with the last attempt that ended, or now while one runs.
  const end = Math.max(...rows.map((r) => (r.a.endedAt ? Date.parse(r.a.endedAt) : Date.now())));
  const span = Math.max(1, end - start);
  const retriedBy = (taskId: string, at: string): AuditEntry | undefined =>
    [...(job.actions ?? [])].filter((x) => x.taskId === taskId && (x.action === 'retry' || x.action === 'skip') && x.at <= at).pop();
  return (
    <table aria-label="timeline" class="timeline">
      <thead>
        <tr>
          <th>Started</th>
          <th>Task</th>
          <th>Attempt</th>
          <th>By</th>
          <th>Status</th>
          <th>Took</th>
          <th class="bar-cell" aria-hidden="true" />
        </tr>
      </thead>
      <tbody>
        {rows.map(({ task, a }) => {
          const left = ((Date.parse(a.startedAt) - start) / span) * 100;
          const width = Math.max(0.5, ((Date.parse(a.endedAt ?? new Date().toISOString()) - Date.parse(a.startedAt)) / span) * 100);
          const who = a.manual ? retriedBy(task.taskId, a.startedAt) : undefined;
          return (
            <tr key={`${task.taskId}#${a.attempt}`}>
              <td>{time(a.startedAt)}</td>
              <td>
                {task.taskId} {task.name}
              </td>
              <td>#{a.attempt}</td>
              <td>{a.manual ? `manual${who ? ` (${who.by})` : ''}` : 'automatic'}</td>
              <td>
                <Status status={a.status} />
              </td>
              <td>{duration(a.startedAt, a.endedAt)}</td>
              <td class="bar-cell" aria-hidden="true">
                <span class={`bar status-${a.status}`} style={{ marginLeft: `${left}%`, width: `${width}%` }} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The job page. */
export function JobPageView({ jobId, go }: { jobId: string; go: Go }) {
  const { value: job, error, reload } = usePolled<JobView>(() => getJob(jobId), [jobId]);
  const [answer, setAnswer] = useState<string>();
  useEffect(() => setAnswer(undefined), [jobId]);
  const onAnswer = (text: string) => {
    setAnswer(text);
    reload();
  };
  const waits = job && whyJobWaits(job);
  return (
    <main>
      <p class="crumbs">
        <Link to={links.jobs()} go={go}>
          ← Jobs
        </Link>
        {job?.parentId && (
          <>
            {' · parent '}
            <Link to={links.job(job.parentId)} go={go}>
              {job.parentId}
            </Link>
          </>
        )}
      </p>
      {error && <p role="alert">{error}</p>}
      {job && (
        <>
          <h1>
            {job.name} <Status status={job.status} />
          </h1>
          <p>
            <code>{job.jobId}</code> · owner {job.owner}
            {job.bizId ? ` · bizId ${job.bizId}` : ''}
            {job.createdBy ? ` · submitted by ${job.createdBy}` : ''} · created {new Date(job.createdAt).toLocaleString()} · updated {time(job.updatedAt)}
          </p>
          {waits && <p class="waits">{waits}</p>}
          {job.tokens && job.tokens.length > 0 && (
            <p>
              Tokens:{' '}
              {job.tokens.map((t) => (
                <>
                  <Link to={links.token(t)} go={go}>
                    {t}
                  </Link>{' '}
                </>
              ))}
            </p>
          )}
          <JobActions jobId={jobId} onAnswer={onAnswer} />
          {answer && <p role="status">{answer}</p>}
          {job.tasks.length > 0 && (
            <>
              <h2>Tasks</h2>
              <table aria-label="tasks">
                <thead>
                  <tr>
                    <th>Task</th>
                    <th>Provider</th>
                    <th>Status</th>
                    <th>Attempts</th>
                    <th>Took</th>
                    <th>Why it waits</th>
                    <th>Fix</th>
                  </tr>
                </thead>
                <tbody>
                  {job.tasks.map((t) => (
                    <tr key={t.taskId}>
                      <td>
                        <Link to={links.task(jobId, t.taskId)} go={go}>
                          {t.taskId} {t.name}
                        </Link>
                      </td>
                      <td>{t.provider}</td>
                      <td>
                        <Status status={t.status} />
                      </td>
                      <td>{t.attempts}</td>
                      <td>{t.startedAt ? duration(t.startedAt, t.endedAt) : ''}</td>
                      <td>{whyTaskWaits(t, job)}</td>
                      <td>{(t.status === 'failed' || t.status === 'retrying') && <TaskActions jobId={jobId} taskId={t.taskId} onAnswer={onAnswer} />}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <h2>Timeline</h2>
              <Timeline job={job} />
            </>
          )}
          {job.children.length > 0 && (
            <>
              <h2>Children ({job.children.length})</h2>
              <JobTree job={job} go={go} />
            </>
          )}
          {job.output !== undefined && (
            <>
              <h2>Output</h2>
              <Json value={job.output} />
            </>
          )}
          <details>
            <summary>Input and env</summary>
            <h3>Input</h3>
            <Json value={job.input} />
            <h3>Env</h3>
            <Json value={job.env} />
          </details>
          {job.actions && job.actions.length > 0 && (
            <>
              <h2>Manual actions</h2>
              <ul aria-label="manual actions">
                {job.actions.map((a) => (
                  <li key={`${a.at}${a.action}`}>
                    {new Date(a.at).toLocaleString()}: {a.by} {a.action}
                    {a.taskId ? ` ${a.taskId}` : ''}
                    {a.reason ? ` (${a.reason})` : ''}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </main>
  );
}
