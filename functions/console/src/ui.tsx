/**
 * Small pieces every view uses: links, statuses, JSON blocks, the confirmation dialog and the JSON editor.
 * @module
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import type { Go } from './hooks';

/** Where the console is served. */
export const BASE = '/console';

/** Deep links of the console. */
export const links = {
  jobs: () => `${BASE}/`,
  job: (jobId: string) => `${BASE}/jobs/${encodeURIComponent(jobId)}`,
  task: (jobId: string, taskId: string) => `${BASE}/jobs/${encodeURIComponent(jobId)}/tasks/${encodeURIComponent(taskId)}`,
  tokens: () => `${BASE}/tokens`,
  token: (token: string) => `${BASE}/tokens/${encodeURIComponent(token)}`,
  executors: () => `${BASE}/executors`,
  executor: (target: string) => `${BASE}/executors/${encodeURIComponent(target)}`,
};

/** An in-app link: the URL is a real deep link; a plain click navigates without reloading the app. */
export function Link({ to, go, children, label }: { to: string; go: Go; children: ComponentChildren; label?: string }) {
  return (
    <a
      href={to}
      aria-label={label}
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

/** A status as a badge (colour and text: the text alone says it). */
export function Status({ status }: { status: string }) {
  return <span class={`status status-${status}`}>{status}</span>;
}

/** JSON, pretty-printed; a dash for nothing. */
export function Json({ value }: { value: unknown }) {
  return <pre class="json">{value === undefined ? '—' : JSON.stringify(value, null, 2)}</pre>;
}

/** A time of day, or a dash. */
export const time = (iso: string | undefined) => (iso ? new Date(iso).toLocaleTimeString() : '—');

/** A duration between two instants, short (`850 ms`, `12.3 s`, `4 min 5 s`); while running, up to now. */
export function duration(from: string | undefined, to: string | undefined): string {
  if (!from) return '—';
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** The answer the API gave to an action, as the console shows it. */
export function describeAnswer(action: string, outcome: { status?: string } | unknown, subject: 'job' | 'task' = 'job'): string {
  if (outcome instanceof ApiError) {
    // A 409 names the current status in its message ("job … is succeeded: …"); the view refreshes to it.
    return `${action}: ${outcome.status} ${outcome.code}: ${outcome.message}`;
  }
  if (outcome instanceof Error) return `${action}: ${outcome.message}`;
  const status = (outcome as { status?: string } | undefined)?.status;
  return `${action}: 200${status ? `, the ${subject} is ${status}` : ''}`;
}

/**
 * A modal dialog (the browser's `<dialog>`: focus moves into it and stays there, Escape closes it) asking to
 * confirm an action; its body may hold fields. `onConfirm` returns an error text to keep it open.
 */
export function Dialog(props: { title: string; confirm: string; onConfirm: () => Promise<string | undefined> | string | undefined; onClose: () => void; children?: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    const onCancel = () => props.onClose();
    dialog.addEventListener('close', onCancel);
    return () => dialog.removeEventListener('close', onCancel);
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const error = await props.onConfirm();
    setBusy(false);
    if (error) return setProblem(error);
    ref.current?.close();
  };
  return (
    <dialog ref={ref} aria-label={props.title}>
      <form method="dialog" onSubmit={(e) => void submit(e)} onInput={() => setProblem(undefined)}>
        <h2>{props.title}</h2>
        {props.children}
        {problem && (
          <p role="alert" class="error">
            {problem}
          </p>
        )}
        <div class="buttons">
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>{' '}
          <button type="submit" class="primary" disabled={busy}>
            {props.confirm}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** The outcome of reading a JSON editor: an object, or why it is not one. */
export type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

/** Reads an editor's text: it must be a JSON object (what every payload of the API is). */
export function parseObject(text: string, what: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: `${what} must be a JSON object` };
  return { ok: true, value: value as Record<string, unknown> };
}

/** A JSON editor: a monospace text area that says, as one types, whether its text is a JSON object. */
export function JsonEditor({ label, value, onInput }: { label: string; value: string; onInput: (text: string) => void }) {
  const parsed = parseObject(value, label);
  const id = `editor-${label.replace(/\W+/g, '-')}`;
  return (
    <div class="editor">
      <label for={id}>{label}</label>
      <textarea
        id={id}
        spellcheck={false}
        rows={Math.min(16, Math.max(4, value.split('\n').length + 1))}
        aria-invalid={!parsed.ok}
        aria-describedby={`${id}-check`}
        value={value}
        onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)}
      />
      <small id={`${id}-check`} class={parsed.ok ? 'ok' : 'error'}>
        {parsed.ok ? 'valid JSON object' : parsed.error}
      </small>
    </div>
  );
}
