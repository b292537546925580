/**
 * The console's OIDC sign-in, the pure part: PKCE (RFC 7636), the authorization request, the issuer's answer in
 * the redirect, the token exchange's request and answer. No browser globals (only Web Crypto, `btoa`, `URL`,
 * which Node has too), so it is unit-tested in Node; `auth.ts` runs the flow in the browser with these.
 * @module
 */

/** What `/console/config.json` says (see `functions/runtime/console-files.ts`). */
export type ConsoleAuthConfig =
  | { auth: 'none' }
  | { auth: 'oidc'; issuer: string; clientId: string; scopes: string[]; redirectPath: string };

/** The endpoints of an issuer's discovery document that the console uses. */
export interface OidcEndpoints {
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
}

/** An access token and when it stops being accepted (epoch ms; undefined when the issuer did not say). */
export interface StoredToken {
  accessToken: string;
  expiresAt?: number;
  /** When it was obtained (epoch ms): a 401 right after a sign-in is not cured by another one. */
  obtainedAt: number;
}

/** A sign-in under way: what the return from the issuer is checked and completed with. */
export interface PendingSignIn {
  state: string;
  verifier: string;
  /** Where the person was (path, query and hash under /console), restored after the sign-in. */
  returnTo: string;
  tokenEndpoint: string;
  redirectUri: string;
  clientId: string;
}

/** What the issuer's redirect back to the console carries. */
export type CallbackParams = { code: string; state: string } | { error: string; description?: string; state?: string };

/** A token this close to its expiry is treated as expired (clock skew, a request in flight). */
export const EXPIRY_SKEW_MS = 30_000;

/** Base64url without padding (RFC 4648 §5), as PKCE and `state` use it. */
export function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A random URL-safe string from `bytes` random bytes (32 bytes: a 43-character PKCE verifier). */
export function randomToken(bytes = 32): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The S256 code challenge of a verifier: base64url(SHA-256(ASCII(verifier))) (RFC 7636 §4.2). */
export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** A fresh PKCE verifier and its S256 challenge. */
export async function createPkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = randomToken(32);
  return { verifier, challenge: await pkceChallenge(verifier) };
}

/** The issuer's discovery document URL (OpenID Connect Discovery §4). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** The authorization request that starts a sign-in (authorization code with S256 PKCE). */
export function authorizeUrl(opts: {
  authorizationEndpoint: string;
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  state: string;
  challenge: string;
  /** `login`: the issuer asks for the person's credentials even if its own session is still open (after a sign-out). */
  prompt?: 'login';
}): string {
  const url = new URL(opts.authorizationEndpoint);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: opts.clientId,
    redirect_uri: opts.redirectUri,
    scope: opts.scopes.join(' '),
    state: opts.state,
    code_challenge: opts.challenge,
    code_challenge_method: 'S256',
  };
  if (opts.prompt) params.prompt = opts.prompt;
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** The issuer's answer in the redirect's query (`?code=…&state=…` or `?error=…`), or undefined when there is none. */
export function parseCallback(search: string): CallbackParams | undefined {
  const q = new URLSearchParams(search);
  const state = q.get('state') ?? undefined;
  const error = q.get('error');
  if (error) return { error, ...(q.get('error_description') ? { description: q.get('error_description')! } : {}), ...(state ? { state } : {}) };
  const code = q.get('code');
  return code && state ? { code, state } : undefined;
}

/** The form body of the code exchange at the token endpoint (a public client: its id, no secret). */
export function tokenRequestBody(opts: { code: string; verifier: string; redirectUri: string; clientId: string }): URLSearchParams {
  return new URLSearchParams({ grant_type: 'authorization_code', code: opts.code, redirect_uri: opts.redirectUri, client_id: opts.clientId, code_verifier: opts.verifier });
}

/** The `exp` claim of a JWT (epoch ms), when the token is one. */
function jwtExpiry(token: string): number | undefined {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The token endpoint's answer as the console keeps it; throws when it holds no access token. */
export function tokenFromResponse(body: unknown, now: number): StoredToken {
  const b = body as { access_token?: unknown; expires_in?: unknown };
  if (typeof b?.access_token !== 'string' || !b.access_token) throw new Error('the token endpoint answered without an access_token');
  const expiresIn = typeof b.expires_in === 'number' ? b.expires_in : typeof b.expires_in === 'string' ? Number(b.expires_in) : NaN;
  const expiresAt = Number.isFinite(expiresIn) ? now + expiresIn * 1000 : jwtExpiry(b.access_token);
  return { accessToken: b.access_token, obtainedAt: now, ...(expiresAt !== undefined ? { expiresAt } : {}) };
}

/**
 * Whether a token is expired or about to be: within {@link EXPIRY_SKEW_MS} of its expiry, or half its lifetime
 * for a token that lives shorter than twice that (else it would count as expired when issued, and loop).
 */
export function isExpired(token: StoredToken, now: number): boolean {
  if (token.expiresAt === undefined) return false;
  const skew = Math.min(EXPIRY_SKEW_MS, Math.max(0, token.expiresAt - token.obtainedAt) / 2);
  return token.expiresAt - skew <= now;
}

/** The deep link to come back to: a path under the console (anything else is the console's start). */
export function returnPath(loc: { pathname: string; search: string; hash: string }, consolePath = '/console'): string {
  const inside = loc.pathname === consolePath || loc.pathname.startsWith(`${consolePath}/`);
  return inside ? `${loc.pathname}${loc.search}${loc.hash}` : `${consolePath}/`;
}

/** Reads `config.json`'s answer: `none` for a 404 or anything that is not the JSON of a config (an older local stack). */
export function configFrom(status: number, contentType: string | null, text: string): ConsoleAuthConfig {
  if (status === 404 || !(contentType ?? '').includes('json')) return { auth: 'none' };
  if (status < 200 || status > 299) throw new Error(`the console's sign-in settings are unavailable (config.json: ${status})`);
  const c = JSON.parse(text) as Partial<Extract<ConsoleAuthConfig, { auth: 'oidc' }>> & { auth?: unknown };
  if (c.auth !== 'oidc') return { auth: 'none' };
  if (typeof c.issuer !== 'string' || typeof c.clientId !== 'string' || !Array.isArray(c.scopes)) throw new Error('config.json names no issuer, client id and scopes');
  return { auth: 'oidc', issuer: c.issuer, clientId: c.clientId, scopes: c.scopes.map(String), redirectPath: typeof c.redirectPath === 'string' ? c.redirectPath : '/console/' };
}
