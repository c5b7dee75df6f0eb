/**
 * The local stand-in for Cognito's hosted UI and the console's files, over real HTTP on the local
 * runtime: authorization code + PKCE S256 as the deployed pool enforces it, tokens the API accepts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { CONSOLE_CLIENT_ID } from '#local/console-host';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime({ pollers: false });
});
afterAll(() => rt?.stop());

const verifier = () => randomBytes(32).toString('base64url');
const challengeOf = (v: string) => createHash('sha256').update(v).digest('base64url');

/** Signs in on the hosted page as `name` with `roles`; returns the code from the redirect. */
async function authorize(challenge: string, roles: string[], name = 'checker', redirectUri = `${rt.url}/console/`): Promise<Response> {
  const form = new URLSearchParams({ redirect_uri: redirectUri, state: 'st-1', code_challenge: challenge, name });
  for (const role of roles) form.append('role', role);
  return fetch(`${rt.url}/oauth2/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    redirect: 'manual',
  });
}

function tokenRequest(fields: Record<string, string>): Promise<Response> {
  return fetch(`${rt.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: CONSOLE_CLIENT_ID,
      redirect_uri: `${rt.url}/console/`,
      ...fields,
    }),
  });
}

async function codeFor(v: string, roles = ['approver']): Promise<string> {
  const res = await authorize(challengeOf(v), roles);
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(`${rt.url}/console/`);
  expect(location.searchParams.get('state')).toBe('st-1');
  return location.searchParams.get('code')!;
}

describe('local hosted UI', () => {
  it('shows the sign-in page only for the console client, its redirect and an S256 challenge', async () => {
    const good = {
      response_type: 'code',
      client_id: CONSOLE_CLIENT_ID,
      redirect_uri: `${rt.url}/console/`,
      state: 's',
      code_challenge: challengeOf(verifier()),
      code_challenge_method: 'S256',
    };
    const page = await fetch(`${rt.url}/oauth2/authorize?${new URLSearchParams(good)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('name="role" value="approver"');
    for (const bad of [
      { client_id: 'someone-else' },
      { redirect_uri: 'https://attacker.example/console/' },
      { code_challenge_method: 'plain' },
      { response_type: 'token' },
    ]) {
      const res = await fetch(`${rt.url}/oauth2/authorize?${new URLSearchParams({ ...good, ...bad })}`);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await authorize(challengeOf(verifier()), ['approver'], 'x', 'https://attacker.example/console/')).status).toBe(400);
  });

  it('trades a code and its verifier for a token the API accepts, with the chosen roles and name', async () => {
    const v = verifier();
    const res = await tokenRequest({ code: await codeFor(v, ['approver', 'auditor']), code_verifier: v });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe('Bearer');
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({ sub: 'checker', aud: CONSOLE_CLIENT_ID, 'cognito:groups': ['approver', 'auditor'] });
    const api = await rt.api('GET', '/v1/counties', { token: body.access_token });
    expect(api.status).toBe(200);
  });

  it('refuses a wrong verifier, and a code used twice', async () => {
    const v = verifier();
    const code = await codeFor(v);
    const wrong = await tokenRequest({ code, code_verifier: verifier() });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'invalid_grant' });
    // The failed attempt spent the code: the right verifier is too late now.
    expect((await tokenRequest({ code, code_verifier: v })).status).toBe(400);

    const v2 = verifier();
    const code2 = await codeFor(v2);
    expect((await tokenRequest({ code: code2, code_verifier: v2 })).status).toBe(200);
    expect((await tokenRequest({ code: code2, code_verifier: v2 })).status).toBe(400);
  });

  it('refuses a sign-in without a role or with a name that is not an id', async () => {
    expect((await authorize(challengeOf(verifier()), [])).status).toBe(400);
    expect((await authorize(challengeOf(verifier()), ['approver'], '<script>')).status).toBe(400);
    expect((await authorize(challengeOf(verifier()), ['finance-system-not-a-role'])).status).toBe(400);
  });

  it('serves the console with its config and the strict CSP, and never a file outside the build', async () => {
    const config = await fetch(`${rt.url}/console/config.json`);
    expect(await config.json()).toEqual({
      authorizeUrl: `${rt.url}/oauth2/authorize`,
      tokenUrl: `${rt.url}/oauth2/token`,
      clientId: CONSOLE_CLIENT_ID,
      apiUrl: '',
      scope: 'openid profile',
    });
    const escape = await fetch(`${rt.url}/console/..%2f..%2fpackage.json`);
    expect(escape.status).toBe(404);
    const redirect = await fetch(`${rt.url}/console`, { redirect: 'manual' });
    expect(redirect.headers.get('location')).toBe('/console/');
  });
});
