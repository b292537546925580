/**
 * The console's sign-in, its pure part (`functions/console/src/oidc.ts`, used by `auth.ts` in the browser): PKCE
 * against RFC 7636's own test vector, the authorization request, the issuer's answer, the token exchange, and
 * what `config.json` answers on each kind of origin. The browser flow itself runs in `test/console/sign-in.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import {
  EXPIRY_SKEW_MS,
  authorizeUrl,
  base64Url,
  configFrom,
  createPkce,
  discoveryUrl,
  isExpired,
  parseCallback,
  pkceChallenge,
  randomToken,
  returnPath,
  tokenFromResponse,
  tokenRequestBody,
} from '../../../functions/console/src/oidc';

describe('PKCE (RFC 7636)', () => {
  // Appendix B: the verifier's 32 octets, the verifier, and its S256 challenge.
  const OCTETS = [116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121];
  const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  it('encodes the Appendix B octets as its verifier (base64url, no padding)', () => {
    expect(base64Url(new Uint8Array(OCTETS))).toBe(VERIFIER);
  });

  it('derives the Appendix B challenge from its verifier (S256)', async () => {
    expect(await pkceChallenge(VERIFIER)).toBe(CHALLENGE);
  });

  it('makes a fresh 43-character verifier of unreserved characters each time, with its challenge', async () => {
    const a = await createPkce();
    const b = await createPkce();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.verifier).not.toBe(b.verifier);
    expect(a.challenge).toBe(await pkceChallenge(a.verifier));
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('the authorization request', () => {
  it('asks for a code with the client, redirect URI, scopes, state and S256 challenge', () => {
    const url = new URL(
      authorizeUrl({ authorizationEndpoint: 'https://auth.example.com/oauth2/authorize', clientId: 'console-client', redirectUri: 'https://api.example.com/console/', scopes: ['openid', 'jobx/read'], state: 's1', challenge: 'c1' }),
    );
    expect(url.origin + url.pathname).toBe('https://auth.example.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'console-client',
      redirect_uri: 'https://api.example.com/console/',
      scope: 'openid jobx/read',
      state: 's1',
      code_challenge: 'c1',
      code_challenge_method: 'S256',
    });
  });

  it('asks the issuer for credentials again after a sign-out (prompt=login), only then', () => {
    const base = { authorizationEndpoint: 'https://auth.example.com/authorize', clientId: 'c', redirectUri: 'https://x/console/', scopes: ['openid'], state: 's', challenge: 'c' };
    expect(new URL(authorizeUrl({ ...base, prompt: 'login' })).searchParams.get('prompt')).toBe('login');
    expect(new URL(authorizeUrl(base)).searchParams.has('prompt')).toBe(false);
  });

  it("keeps a query the issuer's endpoint already has", () => {
    const url = new URL(authorizeUrl({ authorizationEndpoint: 'https://login.example.com/authorize?p=policy', clientId: 'c', redirectUri: 'https://x/console/', scopes: ['openid'], state: 's', challenge: 'c' }));
    expect(url.searchParams.get('p')).toBe('policy');
    expect(url.searchParams.get('response_type')).toBe('code');
  });

  it('finds the discovery document under the issuer, with or without a trailing slash', () => {
    expect(discoveryUrl('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc')).toBe('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc/.well-known/openid-configuration');
    expect(discoveryUrl('https://issuer.example.com/')).toBe('https://issuer.example.com/.well-known/openid-configuration');
  });
});

describe("the issuer's answer", () => {
  it('reads a code and state, or an error with its description; nothing else is an answer', () => {
    expect(parseCallback('?code=abc&state=s1')).toEqual({ code: 'abc', state: 's1' });
    expect(parseCallback('?error=access_denied&error_description=no+way&state=s1')).toEqual({ error: 'access_denied', description: 'no way', state: 's1' });
    expect(parseCallback('?error=login_required')).toEqual({ error: 'login_required' });
    expect(parseCallback('?code=abc')).toBeUndefined();
    expect(parseCallback('?status=running')).toBeUndefined();
    expect(parseCallback('')).toBeUndefined();
  });

  it('exchanges the code as a public client: form fields with the verifier and no secret', () => {
    const body = tokenRequestBody({ code: 'abc', verifier: 'v', redirectUri: 'https://api.example.com/console/', clientId: 'console-client' });
    expect(Object.fromEntries(body)).toEqual({ grant_type: 'authorization_code', code: 'abc', redirect_uri: 'https://api.example.com/console/', client_id: 'console-client', code_verifier: 'v' });
    expect(body.has('client_secret')).toBe(false);
  });

  it('keeps the access token with its expiry (expires_in, else the JWT exp claim, else unknown)', () => {
    const now = 1_000_000;
    expect(tokenFromResponse({ access_token: 'a', expires_in: 3600, token_type: 'Bearer' }, now)).toEqual({ accessToken: 'a', obtainedAt: now, expiresAt: now + 3_600_000 });
    const jwt = ['e30', Buffer.from(JSON.stringify({ exp: 2000 })).toString('base64url'), 'sig'].join('.');
    expect(tokenFromResponse({ access_token: jwt }, now)).toEqual({ accessToken: jwt, obtainedAt: now, expiresAt: 2_000_000 });
    expect(tokenFromResponse({ access_token: 'opaque' }, now)).toEqual({ accessToken: 'opaque', obtainedAt: now });
    expect(() => tokenFromResponse({ id_token: 'x' }, now)).toThrow(/access_token/);
  });

  it('treats a token as expired a little before its expiry; one without an expiry waits for a 401', () => {
    const now = 5_000_000;
    expect(isExpired({ accessToken: 'a', obtainedAt: 0, expiresAt: now + EXPIRY_SKEW_MS + 1 }, now)).toBe(false);
    expect(isExpired({ accessToken: 'a', obtainedAt: 0, expiresAt: now + EXPIRY_SKEW_MS }, now)).toBe(true);
    expect(isExpired({ accessToken: 'a', obtainedAt: 0 }, now)).toBe(false);
    // A token living 20 s is good for its first 10 s, not expired on arrival (which would sign in forever).
    expect(isExpired({ accessToken: 'a', obtainedAt: now, expiresAt: now + 20_000 }, now + 9_999)).toBe(false);
    expect(isExpired({ accessToken: 'a', obtainedAt: now, expiresAt: now + 20_000 }, now + 10_000)).toBe(true);
  });

  it('returns to the deep link the person was on, under the console only', () => {
    expect(returnPath({ pathname: '/console/jobs/01J/tasks/t1', search: '?x=1', hash: '#a' })).toBe('/console/jobs/01J/tasks/t1?x=1#a');
    expect(returnPath({ pathname: '/console', search: '', hash: '' })).toBe('/console');
    expect(returnPath({ pathname: '/consoleevil', search: '', hash: '' })).toBe('/console/');
    expect(returnPath({ pathname: '/jobs', search: '', hash: '' })).toBe('/console/');
  });
});

describe('config.json', () => {
  const oidc = { auth: 'oidc', issuer: 'https://issuer.example.com', clientId: 'c', scopes: ['openid'], redirectPath: '/console/' };

  it("the local stack's { auth: none }, a 404, or an older local stack's index page in its place: no sign-in", () => {
    expect(configFrom(200, 'application/json', '{"auth":"none"}')).toEqual({ auth: 'none' });
    expect(configFrom(404, 'application/json', '{"message":"Not Found"}')).toEqual({ auth: 'none' });
    expect(configFrom(200, 'text/html; charset=utf-8', '<!doctype html>')).toEqual({ auth: 'none' });
  });

  it("a deployment's OIDC settings", () => {
    expect(configFrom(200, 'application/json', JSON.stringify(oidc))).toEqual(oidc);
  });

  it('settings that cannot be read stop the sign-in with a reason', () => {
    expect(() => configFrom(500, 'application/json', '{}')).toThrow(/config\.json: 500/);
    expect(() => configFrom(200, 'application/json', '{"auth":"oidc","issuer":"https://x"}')).toThrow(/issuer, client id and scopes/);
  });
});
