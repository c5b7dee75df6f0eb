/**
 * The access log as a middy middleware of every HTTP function (shared/http/function.ts), so no route can forget it:
 * every request an `observer` makes to a route that takes a token, whatever it answered (200, 400, 403, 404, …),
 * is written `{ at, actor, method, path, status }` before the response goes out. When the entry cannot be written
 * the observer gets 503 `temporarily_unavailable` instead, and nothing of the response it would have had: a read
 * that is not logged is a read that did not happen.
 *
 * Who is an observer is read from the token's claims here, as the router reads them, so a request the router refused
 * (a role that may not call the route, a bad id) is logged as well. Public routes take no token and log nothing.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { config } from '../config.ts';
import { accessPath } from '../domain/access-log.ts';
import { DomainError } from '../domain/errors.ts';
import { isObserver, rolesFromClaims } from '../domain/roles.ts';
import { recordAccess } from '../data/access-log/record.ts';
import { logger } from '../logger.ts';
import { routeKey, routesOf, type HttpFunctionName } from '../routes.ts';
import { problemResponse } from './problem.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

type Event = APIGatewayProxyEventV2WithJWTAuthorizer;
type Result = APIGatewayProxyStructuredResultV2;

/** The observer's `sub` when the request carries an observer's token, else undefined. */
export function observerOf(event: Event): string | undefined {
  const claims = (event.requestContext?.authorizer?.jwt?.claims ?? {}) as Record<string, unknown>;
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (!sub) return undefined;
  return isObserver({ roles: rolesFromClaims(claims, config().MACHINE_CLIENT_IDS) }) ? sub : undefined;
}

export function accessLog(fn: HttpFunctionName): MiddlewareObj<Event, Result> {
  const publicRoutes = new Set(
    routesOf(fn)
      .filter((r) => r.roles === 'public')
      .map(routeKey),
  );
  const arrivals = new WeakMap<object, Date>();

  const record = async (event: Event, status: number) => {
    const actor = publicRoutes.has(event.routeKey) ? undefined : observerOf(event);
    if (actor === undefined) return;
    await recordAccess({
      at: (arrivals.get(event) ?? new Date()).toISOString(),
      actor,
      method: event.requestContext?.http?.method ?? event.routeKey.split(' ')[0] ?? '',
      path: accessPath(event.rawPath ?? event.requestContext?.http?.path ?? ''),
      status,
    });
  };

  return {
    before: (request) => {
      arrivals.set(request.event, new Date());
    },
    after: async (request) => {
      const response = request.response!;
      try {
        await record(request.event, response.statusCode ?? 200);
      } catch (error) {
        request.response = refusal(response, error);
      }
    },
    onError: async (request) => {
      // The router answers every error itself; should anything else throw, the observer's request still counts.
      try {
        await record(request.event, 500);
      } catch (error) {
        request.response = refusal(request.response ?? undefined, error);
      }
    },
  };
}

/** The response instead of one whose access-log entry could not be written: no body, no header of it kept. */
function refusal(response: Result | undefined, error: unknown): Result {
  logger.error('access log write failed: the response was withheld', { errorName: (error as Error)?.name });
  const problem = problemResponse(new DomainError('temporarily_unavailable', 'The request could not be recorded; retry shortly'));
  const correlationId = response?.headers?.['x-correlation-id'];
  return {
    ...problem,
    headers: {
      ...SECURITY_HEADERS,
      ...problem.headers,
      'retry-after': '1',
      ...(correlationId !== undefined ? { 'x-correlation-id': correlationId } : {}),
    },
  };
}
