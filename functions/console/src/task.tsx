/**
 * A task: every attempt side by side (input, env, context, output or error, times, automatic or manual), with
 * Skip and Retry.
 * @module
 */
import { useState } from 'preact/hooks';
import { getTask, type TaskDetail } from './api';
import { usePolled, type Go } from './hooks';
import { TaskActions } from './task-actions';
import { Json, Link, Status, duration, links, time } from './ui';

/** The task page. */
export function TaskPageView({ jobId, taskId, go }: { jobId: string; taskId: string; go: Go }) {
  const { value: task, error, reload } = usePolled<TaskDetail>(() => getTask(jobId, taskId), [jobId, taskId]);
  const [answer, setAnswer] = useState<string>();
  return (
    <main>
      <p class="crumbs">
        <Link to={links.job(jobId)} go={go}>
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
            {task.preLock ? ` · executor ${task.preLock}` : ''}
            {task.retryAt ? ` · retry due at ${time(task.retryAt)}` : ''}
            {task.reason ? ` · ${task.reason}` : ''}
          </p>
          <TaskActions
            jobId={jobId}
            taskId={taskId}
            onAnswer={(text) => {
              setAnswer(text);
              reload();
            }}
          />
          {answer && <p role="status">{answer}</p>}
          {task.attempts.length === 0 && <p>No attempt yet.</p>}
          <div class="attempts">
            {task.attempts.map((a) => (
              <section key={a.attempt} aria-label={`attempt ${a.attempt}`}>
                <h2>
                  Attempt {a.attempt} <Status status={a.status} />
                </h2>
                <p>
                  {a.manual ? 'manual' : 'automatic'} · {time(a.startedAt)}
                  {a.endedAt ? ` → ${time(a.endedAt)} (${duration(a.startedAt, a.endedAt)})` : ' (running)'}
                </p>
                {a.status === 'abandoned' && <p class="waits">Its lease ran out before a result came: a result arriving later is not used.</p>}
                {a.error && (
                  <p class="error">
                    {a.error.code ? `${a.error.code}: ` : ''}
                    {a.error.message}
                  </p>
                )}
                <h3>Input</h3>
                <Json value={a.input} />
                <h3>Env</h3>
                <Json value={a.env} />
                <h3>Context</h3>
                <Json value={a.context} />
                <h3>Output</h3>
                <Json value={a.output} />
              </section>
            ))}
          </div>
          {task.status === 'skipped' && task.output !== undefined && (
            <>
              <h2>Substitute output</h2>
              <Json value={task.output} />
            </>
          )}
        </>
      )}
    </main>
  );
}
