/**
 * Beside the API on `npm start`'s port: the built fund console under /console/ (with its runtime
 * config.json) and a stand-in for Cognito's hosted UI, `/oauth2/authorize` and `/oauth2/token`
 * (authorization code + PKCE S256), where a developer picks roles and a name. Tokens are minted with
 * the local signing key exactly like `npm run token`, for the console's own app client.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { consoleContentSecurityPolicy } from '#shared/console-policy';
import { isRole, ROLES } from '#shared/domain/roles';
import { CONSOLE_DIST } from './console-build.ts';
import { mintToken, DEFAULT_TOKEN_TTL_SECONDS, type SigningKeyFile } from './keys.ts';

/** The console's app client id locally (deployed, Cognito assigns one). */
export const CONSOLE_CLIENT_ID = 'relief-fund-console';
const CODE_TTL_MS = 5 * 60_000;
/** People sign in to the console; finance systems are machine clients and use client credentials. */
const PEOPLE_ROLES = ROLES.filter((r) => r !== 'finance-system');

/** The policy CloudFront sends too; here the hosted UI stand-in is on this origin. */
export const CONSOLE_CSP = consoleContentSecurityPolicy();

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

interface PendingCode {
  redirectUri: string;
  challenge: string;
  sub: string;
  roles: string[];
  expiresAt: number;
}

export interface ConsoleHostOptions {
  port: number;
  issuer: string;
  signingKey: SigningKeyFile;
  /** Where the built console is (console/dist by default). */
  distDir?: string;
}

export function consoleHost(options: ConsoleHostOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const distDir = options.distDir ?? CONSOLE_DIST;
  const codes = new Map<string, PendingCode>();

  const allowedRedirect = (value: string | null): value is string => {
    if (!value) return false;
    try {
      const url = new URL(value);
      return (
        url.protocol === 'http:' &&
        ['127.0.0.1', 'localhost'].includes(url.hostname) &&
        url.port === String(options.port) &&
        url.pathname === '/console/' &&
        url.search === '' &&
        url.hash === ''
      );
    } catch {
      return false;
    }
  };

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;

    if (path === '/oauth2/authorize') {
      if (method === 'GET') return authorizePage(res, url.searchParams, allowedRedirect);
      if (method === 'POST') return authorizeSubmit(req, res, codes, allowedRedirect);
      return sendText(res, 405, 'method not allowed');
    }
    if (path === '/oauth2/token' && method === 'POST') return token(req, res, codes, options);
    if (path === '/console' && method === 'GET') return redirect(res, '/console/');
    if (!path.startsWith('/console/') || (method !== 'GET' && method !== 'HEAD')) return false;

    if (path === '/console/config.json') {
      const origin = `http://${req.headers.host ?? `127.0.0.1:${options.port}`}`;
      return sendBody(
        res,
        200,
        'application/json',
        JSON.stringify({
          authorizeUrl: `${origin}/oauth2/authorize`,
          tokenUrl: `${origin}/oauth2/token`,
          clientId: CONSOLE_CLIENT_ID,
          apiUrl: '',
          scope: 'openid profile',
        }),
        { 'cache-control': 'no-store' },
      );
    }
    const relative = path === '/console/' ? 'index.html' : decodeURIComponent(path.slice('/console/'.length));
    const file = normalize(join(distDir, relative));
    if (!file.startsWith(distDir + sep)) return sendText(res, 404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      if (relative === 'index.html') {
        return sendText(
          res,
          503,
          'The console is not built: `npm start` builds it (or run `npx vite build --config console/vite.config.ts`).',
        );
      }
      return sendText(res, 404, 'not found');
    }
    const immutable = relative.startsWith('assets/');
    return sendBody(res, 200, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', body, {
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  };
}

function authorizePage(res: ServerResponse, params: URLSearchParams, allowedRedirect: (v: string | null) => v is string): boolean {
  const problem = authorizeProblem(params, allowedRedirect);
  if (problem) return sendText(res, 400, problem);
  const hidden = ['redirect_uri', 'state', 'code_challenge']
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params.get(name) ?? '')}">`)
    .join('\n');
  const roles = PEOPLE_ROLES.map(
    (role) =>
      `<li><label><input type="checkbox" name="role" value="${role}"${role === 'fund-admin' ? ' checked' : ''}> ${role}</label></li>`,
  ).join('\n');
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local sign-in · 本地登录</title><link rel="icon" href="/console/favicon.svg" type="image/svg+xml"></head>
<body>
<main>
<h1>Local sign-in <span lang="zh-CN">本地登录</span></h1>
<p>This stands in for the Cognito hosted UI on <code>npm start</code>. Pick who you are.</p>
<form method="post" action="/oauth2/authorize">
${hidden}
<p><label for="name">Name <span lang="zh-CN">姓名</span></label><br>
<input id="name" name="name" required maxlength="64" pattern="[A-Za-z0-9._@\\-]+" autocomplete="username"></p>
<fieldset><legend>Roles <span lang="zh-CN">角色</span></legend><ul>
${roles}
</ul></fieldset>
<p><button type="submit">Continue <span lang="zh-CN">继续</span></button></p>
</form>
</main>
</body></html>`;
  return sendBody(res, 200, 'text/html; charset=utf-8', html, { 'cache-control': 'no-store' });
}

function authorizeProblem(params: URLSearchParams, allowedRedirect: (v: string | null) => v is string): string | null {
  if (params.get('response_type') !== 'code') return 'response_type must be code';
  if (params.get('client_id') !== CONSOLE_CLIENT_ID) return 'unknown client_id';
  if (!allowedRedirect(params.get('redirect_uri'))) return 'redirect_uri is not registered for this client';
  if (params.get('code_challenge_method') !== 'S256') return 'code_challenge_method must be S256';
  if (!/^[A-Za-z0-9_-]{43}$/.test(params.get('code_challenge') ?? '')) return 'code_challenge must be a base64url SHA-256';
  return null;
}

async function authorizeSubmit(
  req: IncomingMessage,
  res: ServerResponse,
  codes: Map<string, PendingCode>,
  allowedRedirect: (v: string | null) => v is string,
): Promise<boolean> {
  const form = new URLSearchParams(await readText(req));
  const redirectUri = form.get('redirect_uri');
  const challenge = form.get('code_challenge') ?? '';
  const sub = (form.get('name') ?? '').trim();
  const roles = form.getAll('role').filter(isRole);
  if (!allowedRedirect(redirectUri) || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) return sendText(res, 400, 'invalid request');
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(sub) || roles.length === 0)
    return sendText(res, 400, 'give a name (letters, digits, . _ @ -) and at least one role');
  const now = Date.now();
  for (const [code, pending] of codes) if (pending.expiresAt < now) codes.delete(code);
  const code = randomBytes(24).toString('base64url');
  codes.set(code, { redirectUri, challenge, sub, roles, expiresAt: now + CODE_TTL_MS });
  const target = new URL(redirectUri);
  target.searchParams.set('code', code);
  const state = form.get('state');
  if (state) target.searchParams.set('state', state);
  return redirect(res, target.href);
}

async function token(
  req: IncomingMessage,
  res: ServerResponse,
  codes: Map<string, PendingCode>,
  options: ConsoleHostOptions,
): Promise<boolean> {
  const form = new URLSearchParams(await readText(req));
  const fail = (error: string) => sendBody(res, 400, 'application/json', JSON.stringify({ error }), { 'cache-control': 'no-store' });
  if (form.get('grant_type') !== 'authorization_code') return fail('unsupported_grant_type');
  if (form.get('client_id') !== CONSOLE_CLIENT_ID) return fail('invalid_client');
  const code = form.get('code') ?? '';
  const pending = codes.get(code);
  // A code is good once, whatever happens next.
  codes.delete(code);
  if (!pending || pending.expiresAt < Date.now()) return fail('invalid_grant');
  if (form.get('redirect_uri') !== pending.redirectUri) return fail('invalid_grant');
  const verifier = form.get('code_verifier') ?? '';
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return fail('invalid_grant');
  if (createHash('sha256').update(verifier).digest('base64url') !== pending.challenge) return fail('invalid_grant');
  const jwt = await mintToken(options.signingKey, options.issuer, { roles: pending.roles, sub: pending.sub, audience: CONSOLE_CLIENT_ID });
  return sendBody(
    res,
    200,
    'application/json',
    JSON.stringify({
      access_token: jwt,
      id_token: jwt,
      token_type: 'Bearer',
      expires_in: DEFAULT_TOKEN_TTL_SECONDS,
    }),
    { 'cache-control': 'no-store', pragma: 'no-cache' },
  );
}

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 16 * 1024) req.destroy(new Error('form too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function redirect(res: ServerResponse, location: string): true {
  res.writeHead(302, { location, 'cache-control': 'no-store', ...SECURITY_HEADERS });
  res.end();
  return true;
}

function sendText(res: ServerResponse, status: number, text: string): true {
  return sendBody(res, status, 'text/plain; charset=utf-8', text);
}

function sendBody(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): true {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(bytes.length), ...SECURITY_HEADERS, ...headers });
  res.end(bytes);
  return true;
}
