/**
 * The jobx console: jobs, a job's tree, tasks with every attempt, tokens and executors, with the manual actions.
 * Every view has a deep link (`/console/jobs/{jobId}`, `/console/jobs/{jobId}/tasks/{taskId}`, …) rendered by
 * the browser from the API.
 * @module
 */
import { render } from 'preact';
import { useAuthorization } from './api';
import { authHeaders, bootAuth, onUnauthorized, signOut } from './auth';
import { ExecutorList, ExecutorPageView } from './executors';
import { usePath, type Go } from './hooks';
import { JobPageView } from './job';
import { JobList } from './jobs';
import { TaskPageView } from './task';
import { TokenList, TokenPageView } from './tokens';
import { BASE, Link, links } from './ui';
import './style.css';

/** The view a path names. */
function View({ path, go }: { path: string; go: Go }) {
  const [pathname, search = ''] = path.split('?');
  const rest = pathname!.slice(BASE.length).replace(/\/+$/, '');
  const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'jobs' && parts.length === 4 && parts[2] === 'tasks') return <TaskPageView jobId={parts[1]!} taskId={parts[3]!} go={go} />;
  if (parts[0] === 'jobs' && parts.length === 2) return <JobPageView jobId={parts[1]!} go={go} />;
  if (parts[0] === 'tokens') return parts.length === 2 ? <TokenPageView token={parts[1]!} go={go} /> : <TokenList go={go} />;
  if (parts[0] === 'executors') return parts.length === 2 ? <ExecutorPageView target={parts[1]!} go={go} /> : <ExecutorList go={go} />;
  return <JobList search={search} go={go} />;
}

function App() {
  const [path, go] = usePath();
  const section = path.slice(BASE.length).split('/')[1] ?? '';
  return (
    <>
      <header>
        <nav aria-label="sections">
          <strong>jobx</strong>{' '}
          {[
            ['jobs', links.jobs(), 'Jobs'],
            ['tokens', links.tokens(), 'Tokens'],
            ['executors', links.executors(), 'Executors'],
          ].map(([key, to, label]) => (
            <span key={key} aria-current={(section === key || (key === 'jobs' && !['tokens', 'executors'].includes(section))) ? 'page' : undefined}>
              <Link to={to!} go={go}>
                {label}
              </Link>
            </span>
          ))}
          {authHeaders().Authorization && (
            <button class="sign-out" onClick={signOut}>
              Sign out
            </button>
          )}
        </nav>
      </header>
      <View path={path} go={go} />
    </>
  );
}

// Signed in first (in a deployment: OIDC with PKCE against the API's JWT issuer; locally: nothing to do), then
// every API call carries the token, and a 401 starts a fresh sign-in.
useAuthorization(authHeaders, onUnauthorized);
const root = document.getElementById('app')!;
bootAuth().then(
  () => render(<App />, root),
  (err: unknown) => render(<p role="alert">Sign-in failed: {err instanceof Error ? err.message : String(err)}</p>, root),
);
