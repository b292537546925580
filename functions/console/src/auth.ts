/**
 * Sign-in of the console. The page's origin tells it how (`/console/config.json`): the local stack says
 * `{ auth: 'none' }` (or, an older one, has no such file) and the console calls the API as it is; a deployment
 * names an OIDC issuer, and the console signs the person in with the authorization code flow and PKCE (RFC 7636),
 * keeps the access token for the tab (sessionStorage: gone with the tab, never shared with another site) and sends
 * it as a bearer token. No refresh token is kept: when the token expires or the API answers 401, the console
 * signs in again, which the issuer's own session usually makes a round trip without a prompt.
 *
 * The pure parts (PKCE, the authorize URL, the callback, the token answer) are in `oidc.ts`, tested in Node.
 * @module
 */

import {
  authorizeUrl,
  configFrom,
  createPkce,
  discoveryUrl,
  isExpired,
  parseCallback,
  randomToken,
  returnPath,
  tokenFromResponse,
  tokenRequestBody,
  type CallbackParams,
  type ConsoleAuthConfig,
  type OidcEndpoints,
  type PendingSignIn,
  type StoredToken,
} from './oidc';

const KEYS = { token: 'jobx.console.token', pending: 'jobx.console.signin', endpoints: 'jobx.console.oidc' } as const;
/** Set by signOut: the next sign-in asks the issuer for credentials again (`prompt=login`). */
const SIGNED_OUT = 'jobx.console.signedOut';
/** A 401 this soon after a sign-in means the token is refused (scope, audience), not stale: signing in again would loop. */
const FRESH_SIGN_IN_MS = 30_000;

let config: ConsoleAuthConfig = { auth: 'none' };
/** Set once a redirect to the issuer has started: later 401s of the page being left change nothing. */
let leaving = false;

function read<T>(key: string): T | undefined {
  try {
    const text = sessionStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : undefined;
  } catch {
    return undefined;
  }
}

function write(key: string, value: unknown): void {
  sessionStorage.setItem(key, JSON.stringify(value));
}

async function fetchJson(url: string, init?: RequestInit): Promise<unknown> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status}${text ? ` ${text.slice(0, 300)}` : ''}`);
  return JSON.parse(text) as unknown;
}

async function endpoints(issuer: string): Promise<OidcEndpoints> {
  const cached = read<OidcEndpoints & { issuer: string }>(KEYS.endpoints);
  if (cached?.issuer === issuer) return cached;
  const doc = (await fetchJson(discoveryUrl(issuer))) as Partial<OidcEndpoints>;
  if (typeof doc.authorization_endpoint !== 'string' || typeof doc.token_endpoint !== 'string') throw new Error(`${discoveryUrl(issuer)} names no authorization_endpoint and token_endpoint`);
  const found: OidcEndpoints = { authorization_endpoint: doc.authorization_endpoint, token_endpoint: doc.token_endpoint, ...(typeof doc.end_session_endpoint === 'string' ? { end_session_endpoint: doc.end_session_endpoint } : {}) };
  write(KEYS.endpoints, { ...found, issuer });
  return found;
}

/** Leaves for the issuer's sign-in page; the promise never settles (the page is being replaced). */
async function startSignIn(oidc: Extract<ConsoleAuthConfig, { auth: 'oidc' }>): Promise<never> {
  leaving = true;
  try {
    const found = await endpoints(oidc.issuer);
    const { verifier, challenge } = await createPkce();
    const state = randomToken(16);
    const redirectUri = `${location.origin}${oidc.redirectPath}`;
    const pending: PendingSignIn = { state, verifier, returnTo: returnPath(location), tokenEndpoint: found.token_endpoint, redirectUri, clientId: oidc.clientId };
    write(KEYS.pending, pending);
    const prompt = sessionStorage.getItem(SIGNED_OUT) ? ('login' as const) : undefined;
    sessionStorage.removeItem(SIGNED_OUT);
    location.assign(authorizeUrl({ authorizationEndpoint: found.authorization_endpoint, clientId: oidc.clientId, redirectUri, scopes: oidc.scopes, state, challenge, ...(prompt ? { prompt } : {}) }));
  } catch (err) {
    leaving = false;
    throw err;
  }
  return new Promise<never>(() => undefined);
}

/** Completes a sign-in the issuer redirected back from: checks `state`, exchanges the code, restores the deep link. */
async function completeSignIn(callback: CallbackParams, pending: PendingSignIn): Promise<void> {
  sessionStorage.removeItem(KEYS.pending);
  // An error carries no secret: shown as it is. A code is exchanged only for the sign-in this tab started.
  if ('error' in callback) throw new Error(`sign-in refused: ${callback.error}${callback.description ? ` (${callback.description})` : ''}`);
  if (callback.state !== pending.state) throw new Error('the sign-in answer does not belong to this sign-in (state differs): open the console again');
  const body = await fetchJson(pending.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: tokenRequestBody({ code: callback.code, verifier: pending.verifier, redirectUri: pending.redirectUri, clientId: pending.clientId }),
  });
  write(KEYS.token, tokenFromResponse(body, Date.now()));
  // The code in the address bar is spent: show the page the person was on instead (no reload).
  history.replaceState(null, '', pending.returnTo);
}

/**
 * Call once before the app renders. Resolves when the app may call the API (no sign-in needed, a valid token
 * kept, or a sign-in just completed); never resolves when it left for the issuer's sign-in page. Rejects with a
 * message to show when the sign-in cannot go on (the settings are unreadable, the issuer refused).
 */
export async function bootAuth(): Promise<void> {
  const res = await fetch(new URL('config.json', `${location.origin}/console/`), { cache: 'no-store', headers: { accept: 'application/json' } });
  config = configFrom(res.status, res.headers.get('content-type'), await res.text());
  if (config.auth !== 'oidc') return;
  const pending = read<PendingSignIn>(KEYS.pending);
  const callback = parseCallback(location.search);
  if (pending && callback && location.pathname === config.redirectPath) return completeSignIn(callback, pending);
  const token = read<StoredToken>(KEYS.token);
  if (token && !isExpired(token, Date.now())) return;
  return startSignIn(config);
}

/** Headers that authenticate an API call: `{ Authorization: 'Bearer …' }` once signed in, `{}` otherwise. */
export function authHeaders(): Record<string, string> {
  if (config.auth !== 'oidc') return {};
  const token = read<StoredToken>(KEYS.token);
  if (!token) return {};
  // An expired token would only earn a 401: sign in again now (the call goes out without it meanwhile).
  if (isExpired(token, Date.now())) {
    onUnauthorized();
    return {};
  }
  return { Authorization: `Bearer ${token.accessToken}` };
}

/**
 * The API answered 401: the token is gone or expired, so a fresh sign-in starts (back to this page after). Not
 * when the token was just obtained: the API refuses it for another reason (a scope or audience the authorizer
 * wants), which the 401 itself tells the person, and another sign-in would only loop.
 */
export function onUnauthorized(): void {
  if (config.auth !== 'oidc' || leaving) return;
  const token = read<StoredToken>(KEYS.token);
  if (token && !isExpired(token, Date.now()) && Date.now() - token.obtainedAt < FRESH_SIGN_IN_MS) return;
  sessionStorage.removeItem(KEYS.token);
  void startSignIn(config).catch((err: unknown) => console.error('jobx console: sign-in could not start', err));
}

/**
 * Forgets the token and signs out at the issuer when it says how (`end_session_endpoint`). Either way the next
 * sign-in asks for credentials again (`prompt=login`), so an issuer session that outlives the console's (an
 * issuer without that endpoint, or one that ignores it) does not sign the person straight back in.
 */
export function signOut(): void {
  const oidc = config.auth === 'oidc' ? config : undefined;
  const found = read<OidcEndpoints>(KEYS.endpoints);
  for (const key of Object.values(KEYS)) sessionStorage.removeItem(key);
  if (!oidc) return;
  sessionStorage.setItem(SIGNED_OUT, '1');
  leaving = true;
  const back = `${location.origin}${oidc.redirectPath}`;
  if (found?.end_session_endpoint) {
    const url = new URL(found.end_session_endpoint);
    url.searchParams.set('client_id', oidc.clientId);
    url.searchParams.set('post_logout_redirect_uri', back);
    location.assign(url.toString());
  } else {
    location.assign(back);
  }
}
