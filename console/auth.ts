/**
 * Sign-in: OAuth 2.0 authorization code with PKCE (S256) against the hosted UI, as a public client
 * (no secret in a browser). Tokens live in sessionStorage: gone when the tab closes.
 */
import type { ConsoleConfig } from './config.ts';
import type { Viewer } from './view.ts';

const SESSION_KEY = 'relief-fund.session';
const PENDING_KEY = 'relief-fund.pending-sign-in';

export interface Session extends Viewer {
  accessToken: string;
  expiresAt: number;
}

function base64Url(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(bytes = 32): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function challengeOf(verifier: string): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** The redirect URI: the console's own entry page, registered with the app client. */
export function redirectUri(): string {
  return new URL('.', document.baseURI).href;
}

export async function beginSignIn(config: ConsoleConfig): Promise<void> {
  const verifier = randomText(48);
  const state = randomText(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, returnTo: location.hash }));
  const url = new URL(config.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: config.scope,
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.href);
}

/** The roles and identity in a JWT's payload. The API verifies the token; this only reads it for display. */
export function viewerOf(token: string): Viewer & { exp: number } {
  const payload = JSON.parse(
    new TextDecoder().decode(Uint8Array.from(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))),
  ) as { sub?: string; exp?: number; 'cognito:groups'?: string[] };
  return { sub: payload.sub ?? '', roles: payload['cognito:groups'] ?? [], exp: payload.exp ?? 0 };
}

/** On return from the hosted UI: trade the code for tokens; returns the session, or null if not a callback. */
export async function completeSignIn(config: ConsoleConfig): Promise<Session | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as { verifier: string; state: string; returnTo: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, '', `${location.pathname}${pending?.returnTo ?? ''}`);
  if (error) throw new Error(error);
  if (!pending || params.get('state') !== pending.state) throw new Error('state_mismatch');
  const response = await fetch(config.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.clientId,
      code: code!,
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
    }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (!response.ok || !body.access_token) throw new Error(body.error ?? `HTTP ${response.status}`);
  const viewer = viewerOf(body.access_token);
  const session: Session = { sub: viewer.sub, roles: viewer.roles, accessToken: body.access_token, expiresAt: viewer.exp * 1000 };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

export function storedSession(): Session | null {
  const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
  return session && session.expiresAt > Date.now() + 30_000 ? session : null;
}

export function signOut(): void {
  sessionStorage.removeItem(SESSION_KEY);
}
