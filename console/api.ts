/**
 * The console's only way to the API: openapi-fetch over the types generated from our OpenAPI
 * document (client/api.d.ts), with the signed-in person's bearer token.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from '../client/api.d.ts';

export type Schemas = components['schemas'];
export type ConsoleApi = Client<paths>;

export function createConsoleApi(baseUrl: string, accessToken: string, onUnauthenticated: () => void): ConsoleApi {
  const api = createClient<paths>({ baseUrl: baseUrl || location.origin });
  api.use({
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${accessToken}`);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) onUnauthenticated();
      return response;
    },
  });
  return api;
}

/**
 * A GET of a route the typed client does not describe (yet), or of a non-JSON representation (a report as
 * text/html or application/pdf), with the same bearer token.
 */
export type RawGet = (path: string, accept: string) => Promise<Response>;

export function createRawGet(baseUrl: string, accessToken: string, onUnauthenticated: () => void): RawGet {
  return async (path, accept) => {
    const response = await fetch(new URL(path, baseUrl || location.origin), {
      headers: { authorization: `Bearer ${accessToken}`, accept },
    });
    if (response.status === 401) onUnauthenticated();
    return response;
  };
}

/** A new key per user action: a double click or a retry of the same action replays instead of acting twice. */
export function idempotencyKey(action: string, id: string): string {
  return `console-${action}-${id}-${crypto.randomUUID()}`;
}

/** What to tell a person when a call fails: the problem's detail, never a stack. */
export function problemDetail(error: unknown, response: Response): string {
  if (error && typeof error === 'object' && 'detail' in error && typeof error.detail === 'string') return error.detail;
  return `HTTP ${response.status}`;
}

/** The data of a call, or an Error carrying the problem's detail. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || data === undefined) throw new Error(problemDetail(error, response));
  return data;
}

export { allPages, firstInPages } from './paging.ts';
