/**
 * Tokens (FIFO mutexes across jobs): the tokens in use with their holders, and one token's holder and queue in
 * the order the jobs will get it.
 * @module
 */
import { useState } from 'preact/hooks';
import { ApiError, getToken, listTokens, type TokenPage, type TokenView } from './api';
import { usePolled, type Go } from './hooks';
import { Link, Status, links, time } from './ui';

/** The tokens in use, a page at a time, with a box to open any token by name. */
export function TokenList({ go }: { go: Go }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const { value: page, error } = usePolled<TokenPage>(() => listTokens(cursor), [cursor]);
  return (
    <main>
      <h1>Tokens</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const name = String(new FormData(e.target as HTMLFormElement).get('token') ?? '').trim();
          if (name) go(links.token(name));
        }}
      >
        <label>
          Token <input name="token" aria-label="token name" />
        </label>
        <button type="submit">Open</button>
      </form>
      {error && <p role="alert">{error}</p>}
      <table aria-label="tokens">
        <thead>
          <tr>
            <th>Token</th>
            <th>Held by</th>
            <th>Since</th>
            <th>Waiting</th>
          </tr>
        </thead>
        <tbody>
          {(page?.items ?? []).map((t) => (
            <tr key={t.token}>
              <td>
                <Link to={links.token(t.token)} go={go}>
                  {t.token}
                </Link>
              </td>
              <td>{t.holder ? <Link to={links.job(t.holder.jobId)} go={go}>{t.holder.jobId}</Link> : 'free'}</td>
              <td>{time(t.holder?.since)}</td>
              <td>{t.waiting}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page && page.items.length === 0 && <p>No token is held or awaited.</p>}
      <nav aria-label="pages">
        <button disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous
        </button>{' '}
        <button disabled={!page?.cursor} onClick={() => page?.cursor && setCursors((c) => [...c, page.cursor!])}>
          Next
        </button>
      </nav>
    </main>
  );
}

/** One token: its holder and its queue, first in line first. */
export function TokenPageView({ token, go }: { token: string; go: Go }) {
  const { value, error } = usePolled<TokenView | null>(
    () => getToken(token).catch((e: unknown) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e))),
    [token],
  );
  return (
    <main>
      <p class="crumbs">
        <Link to={links.tokens()} go={go}>
          ← Tokens
        </Link>
      </p>
      <h1>Token {token}</h1>
      {error && <p role="alert">{error}</p>}
      {value === null && <p>Nobody holds or waits for this token.</p>}
      {value && (
        <>
          <h2>Holder</h2>
          {value.holder ? (
            <p aria-label="holder">
              <Link to={links.job(value.holder.jobId)} go={go}>
                {value.holder.name ?? value.holder.jobId}
              </Link>{' '}
              {value.holder.status && <Status status={value.holder.status} />} <code>{value.holder.jobId}</code>
              {value.holder.since ? ` · since ${time(value.holder.since)}` : ''}
            </p>
          ) : (
            <p aria-label="holder">free</p>
          )}
          <h2>Queue ({value.waiters.length})</h2>
          <ol aria-label="queue">
            {value.waiters.map((w) => (
              <li key={w.jobId}>
                <Link to={links.job(w.jobId)} go={go}>
                  {w.name ?? w.jobId}
                </Link>{' '}
                {w.status && <Status status={w.status} />} <code>{w.jobId}</code> · submitted {time(w.createdAt)}
              </li>
            ))}
          </ol>
        </>
      )}
    </main>
  );
}
