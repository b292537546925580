/**
 * Executors and external providers (worker inboxes): the offers waiting in each and its recent claims, and one
 * inbox's waiting offers in the order workers will get them.
 * @module
 */
import { getExecutor, listExecutors, type ExecutorDetail, type ExecutorSummary } from './api';
import { usePolled, type Go } from './hooks';
import { Link, links, time } from './ui';

function Claims({ claims, go }: { claims: ExecutorSummary['recentClaims']; go: Go }) {
  if (claims.length === 0) return <>none</>;
  return (
    <ul class="claims">
      {claims.map((c) => (
        <li key={`${c.jobId}/${c.taskId}#${c.attempt}`}>
          {time(c.at)}{' '}
          <Link to={links.task(c.jobId, c.taskId)} go={go}>
            {c.jobId} {c.taskId} #{c.attempt}
          </Link>
          {c.workerId ? ` by ${c.workerId}` : ''}
        </li>
      ))}
    </ul>
  );
}

/** Every inbox. */
export function ExecutorList({ go }: { go: Go }) {
  const { value, error } = usePolled<ExecutorSummary[]>(() => listExecutors(), []);
  return (
    <main>
      <h1>Executors</h1>
      <p>Tasks pinned to an executor (pre-lock) and tasks of external providers wait here until a worker claims them.</p>
      {error && <p role="alert">{error}</p>}
      <table aria-label="executors">
        <thead>
          <tr>
            <th>Inbox</th>
            <th>Offers waiting</th>
            <th>Oldest offer</th>
            <th>Recent claims</th>
          </tr>
        </thead>
        <tbody>
          {(value ?? []).map((x) => (
            <tr key={x.target}>
              <td>
                <Link to={links.executor(x.target)} go={go}>
                  {x.target}
                </Link>
              </td>
              <td>{x.offersWaiting}</td>
              <td>{time(x.oldestOfferAt)}</td>
              <td>
                <Claims claims={x.recentClaims} go={go} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {value && value.length === 0 && <p>No executor or external provider has had work yet.</p>}
    </main>
  );
}

/** One inbox with its waiting offers. */
export function ExecutorPageView({ target, go }: { target: string; go: Go }) {
  const { value, error } = usePolled<ExecutorDetail>(() => getExecutor(target), [target]);
  return (
    <main>
      <p class="crumbs">
        <Link to={links.executors()} go={go}>
          ← Executors
        </Link>
      </p>
      <h1>{target}</h1>
      {error && <p role="alert">{error}</p>}
      {value && (
        <>
          <h2>Offers waiting ({value.offersWaiting})</h2>
          <table aria-label="offers">
            <thead>
              <tr>
                <th>Task</th>
                <th>Attempt</th>
                <th>Visible from</th>
              </tr>
            </thead>
            <tbody>
              {value.offers.map((o) => (
                <tr key={`${o.jobId}/${o.taskId}#${o.attempt}`}>
                  <td>
                    <Link to={links.task(o.jobId, o.taskId)} go={go}>
                      {o.jobId} {o.taskId}
                    </Link>
                  </td>
                  <td>#{o.attempt}</td>
                  <td>{time(o.visibleAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Recent claims</h2>
          <Claims claims={value.recentClaims} go={go} />
        </>
      )}
    </main>
  );
}
