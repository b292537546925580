/**
 * Manual actions on a task and on a job, each behind a confirmation dialog that shows what will be sent; the
 * API's answer (or its error, such as a 409 with the current status) is shown by the caller, which refreshes.
 * @module
 */
import { useState } from 'preact/hooks';
import { act, getTask, retryTask, skipTask, type AttemptView } from './api';
import { Dialog, JsonEditor, describeAnswer, parseObject } from './ui';

/** Reports an action's answer (text) to the view, which shows it and reloads. */
export type OnAnswer = (answer: string) => void;

const pretty = (v: unknown) => JSON.stringify(v ?? {}, null, 2);

/** Skip: the pipeline continues with a substitute output typed in a JSON editor, and a reason. */
function SkipDialog({ jobId, taskId, onAnswer, onClose }: { jobId: string; taskId: string; onAnswer: OnAnswer; onClose: () => void }) {
  const [output, setOutput] = useState('{}');
  const [reason, setReason] = useState('');
  return (
    <Dialog
      title={`Skip task ${taskId}`}
      confirm="Skip task"
      onClose={onClose}
      onConfirm={async () => {
        const parsed = parseObject(output, 'output');
        if (!parsed.ok) return parsed.error;
        try {
          onAnswer(describeAnswer(`skip ${taskId}`, await skipTask(jobId, taskId, { output: parsed.value, ...(reason.trim() ? { reason: reason.trim() } : {}) }), 'task'));
        } catch (e) {
          onAnswer(describeAnswer(`skip ${taskId}`, e));
        }
        return undefined;
      }}
    >
      <p>The task is marked skipped and the pipeline continues as if it had returned this output.</p>
      <JsonEditor label="Substitute output" value={output} onInput={setOutput} />
      <label class="field">
        Reason <input value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} aria-label="reason" />
      </label>
    </Dialog>
  );
}

/** Retry: a new attempt now, with the last attempt's input and env prefilled for editing, merged or replacing. */
function RetryDialog({ jobId, taskId, last, onAnswer, onClose }: { jobId: string; taskId: string; last: Pick<AttemptView, 'input' | 'env'>; onAnswer: OnAnswer; onClose: () => void }) {
  const [input, setInput] = useState(pretty(last.input));
  const [env, setEnv] = useState(pretty(last.env));
  const [mode, setMode] = useState<'merge' | 'replace'>('merge');
  return (
    <Dialog
      title={`Retry task ${taskId}`}
      confirm="Retry task"
      onClose={onClose}
      onConfirm={async () => {
        const i = parseObject(input, 'input');
        if (!i.ok) return i.error;
        const e = parseObject(env, 'env');
        if (!e.ok) return e.error;
        try {
          onAnswer(describeAnswer(`retry ${taskId}`, await retryTask(jobId, taskId, { input: i.value, env: e.value, ...(mode === 'replace' ? { replace: true } : {}) }), 'task'));
        } catch (err) {
          onAnswer(describeAnswer(`retry ${taskId}`, err));
        }
        return undefined;
      }}
    >
      <p>A new manual attempt starts now with this input and env (prefilled from the last attempt).</p>
      <JsonEditor label="Input" value={input} onInput={setInput} />
      <JsonEditor label="Env" value={env} onInput={setEnv} />
      <fieldset>
        <legend>Edits</legend>
        <label>
          <input type="radio" name="mode" checked={mode === 'merge'} onChange={() => setMode('merge')} /> merge into the last input and env (keys given replace
          theirs)
        </label>
        <label>
          <input type="radio" name="mode" checked={mode === 'replace'} onChange={() => setMode('replace')} /> replace them (the attempt runs with exactly
          this)
        </label>
      </fieldset>
    </Dialog>
  );
}

/** Skip and Retry buttons of a task; Retry reads the task's last attempt first (prefilled edits). */
export function TaskActions({ jobId, taskId, onAnswer }: { jobId: string; taskId: string; onAnswer: OnAnswer }) {
  const [open, setOpen] = useState<'skip' | 'retry'>();
  const [last, setLast] = useState<Pick<AttemptView, 'input' | 'env'>>();
  const openRetry = async () => {
    try {
      const task = await getTask(jobId, taskId);
      const a = task.attempts[task.attempts.length - 1];
      setLast(a ? { input: a.input, env: a.env } : { input: task.input, env: task.env });
      setOpen('retry');
    } catch (e) {
      onAnswer(describeAnswer(`retry ${taskId}`, e));
    }
  };
  return (
    <span class="actions">
      <button onClick={() => setOpen('skip')} aria-label={`skip ${taskId}`}>
        Skip…
      </button>{' '}
      <button onClick={() => void openRetry()} aria-label={`retry ${taskId}`}>
        Retry…
      </button>
      {open === 'skip' && <SkipDialog jobId={jobId} taskId={taskId} onAnswer={onAnswer} onClose={() => setOpen(undefined)} />}
      {open === 'retry' && last && <RetryDialog jobId={jobId} taskId={taskId} last={last} onAnswer={onAnswer} onClose={() => setOpen(undefined)} />}
    </span>
  );
}

/** Pause, Resume and Discard of a job; Discard asks why (the reason is recorded with the action). */
export function JobActions({ jobId, onAnswer }: { jobId: string; onAnswer: OnAnswer }) {
  const [open, setOpen] = useState<'pause' | 'resume' | 'discard'>();
  const [reason, setReason] = useState('');
  const run = async (action: 'pause' | 'resume' | 'discard') => {
    try {
      onAnswer(describeAnswer(action, await act(jobId, action, action === 'discard' ? reason.trim() || undefined : undefined)));
    } catch (e) {
      onAnswer(describeAnswer(action, e));
    }
    return undefined;
  };
  return (
    <div class="actions">
      <button onClick={() => setOpen('pause')}>Pause</button> <button onClick={() => setOpen('resume')}>Resume</button>{' '}
      <button onClick={() => (setReason(''), setOpen('discard'))}>Discard</button>
      {open && (
        <Dialog title={`${open[0]!.toUpperCase()}${open.slice(1)} job ${jobId}?`} confirm={`${open[0]!.toUpperCase()}${open.slice(1)}`} onClose={() => setOpen(undefined)} onConfirm={() => run(open)}>
          {open === 'discard' && (
            <>
              <p>A discarded job never runs again; its running attempts finish but their results are not used.</p>
              <label class="field">
                Reason <input value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} aria-label="reason" />
              </label>
            </>
          )}
          {open === 'pause' && <p>No new task starts until the job is resumed; running attempts finish.</p>}
          {open === 'resume' && <p>The job continues where it stopped.</p>}
        </Dialog>
      )}
    </div>
  );
}
