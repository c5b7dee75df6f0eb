/**
 * The HTTP stack every API function shares: middy with the Tracer (a no-op outside Lambda), the
 * Powertools Logger (one correlation id per request) and the business metrics' flush, then a router
 * over this function's routes from shared/routes.ts that authorizes the caller, enforces body limits
 * and Idempotency-Key, validates with the contract's zod schemas, and maps every error to
 * problem+json. Handlers only see validated, typed input. Every request an observer makes is written to
 * the access log on the way out (./access-log.ts).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { config } from '../config.ts';
import { DomainError } from '../domain/errors.ts';
import { StoreThrottled, TransactionConflict } from '../data/platform/transactions.ts';
import { rolesFromClaims, type Principal } from '../domain/roles.ts';
import { logger } from '../logger.ts';
import { metricsFlush } from '../metrics.ts';
import { tracer } from '../tracing.ts';
import { routeKey, routesOf, type HttpFunctionName, type RouteDefinition } from '../routes.ts';
import { idempotencyClaim, runIdempotently } from './idempotency.ts';
import { requestTime } from './local-clock.ts';
import type { HttpReply, HttpRequest, Operation } from './operation.ts';
import { fieldErrors, problemResponse } from './problem.ts';
import { accessLog } from './access-log.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** SDK errors that mean "too much load right now" once the SDK's own retries are spent. */
const THROTTLED_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const IDEMPOTENCY_KEY_MAX = 255;

interface Bound {
  route: RouteDefinition;
  operation: Operation;
}

export function httpFunction(fn: HttpFunctionName, operations: Operation[]) {
  const byKey = bindRoutes(fn, operations);
  const handle = (event: HttpEvent, context: Context) => dispatch(byKey, event, context);
  return (
    middy<HttpEvent, HttpResult>()
      // Responses may name a person: the trace keeps the timings, not the body.
      .use(captureLambdaHandler(tracer, { captureResponse: false }))
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(metricsFlush())
      // Last in, so first out: an observer's request is in the access log before the response leaves.
      .use(accessLog(fn))
      .handler(handle)
  );
}

/** Every route of the function must have exactly one operation, checked at cold start. */
function bindRoutes(fn: HttpFunctionName, operations: Operation[]): Map<string, Bound> {
  const byId = new Map(operations.map((o) => [o.contract.operationId, o]));
  const bound = new Map<string, Bound>();
  for (const route of routesOf(fn)) {
    const operation = byId.get(route.operationId);
    if (!operation) throw new Error(`${fn}: no operation implements ${route.operationId}`);
    byId.delete(route.operationId);
    bound.set(routeKey(route), { route, operation });
  }
  if (byId.size > 0) throw new Error(`${fn}: operations without a route: ${[...byId.keys()].join(', ')}`);
  return bound;
}

async function dispatch(byKey: Map<string, Bound>, event: HttpEvent, context: Context): Promise<HttpResult> {
  const headers = lowerCaseHeaders(event.headers);
  const requestedId = headers['x-correlation-id'];
  const correlationId =
    requestedId && CORRELATION_ID.test(requestedId) ? requestedId : (event.requestContext?.requestId ?? context.awsRequestId);
  logger.setCorrelationId(correlationId);
  const started = Date.now();
  let result: HttpResult;
  try {
    const bound = byKey.get(event.routeKey);
    if (!bound) throw new DomainError('not_found', 'No such route');
    logger.appendKeys({ operation: bound.route.operationId });
    result = toResult(await serve(bound, event, headers, correlationId, context));
  } catch (error) {
    result = errorResult(error);
  }
  result.headers = { ...SECURITY_HEADERS, ...result.headers, 'x-correlation-id': correlationId };
  logger.info('request', {
    method: event.requestContext?.http?.method,
    route: event.routeKey,
    status: result.statusCode,
    durationMs: Date.now() - started,
  });
  return result;
}

async function serve(
  { route, operation }: Bound,
  event: HttpEvent,
  headers: Record<string, string>,
  correlationId: string,
  context: Context,
): Promise<HttpReply> {
  const { contract } = operation;
  const principal = authorize(route, event);
  if (principal.sub) logger.appendKeys({ caller: principal.sub });

  const idempotencyKey = headers['idempotency-key'];
  if (route.idempotency === 'required' && idempotencyKey === undefined) {
    throw new DomainError('idempotency_key_missing', 'This request needs an Idempotency-Key header');
  }
  if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > IDEMPOTENCY_KEY_MAX)) {
    throw new DomainError('validation_failed', 'Idempotency-Key must be 1 to 255 characters', [
      { path: 'header.Idempotency-Key', message: 'must be 1 to 255 characters' },
    ]);
  }

  const params = parseParams(contract.params, event.pathParameters ?? {}, contract.invalidParams ?? 'not_found');
  const query = parsePart(contract.query, event.queryStringParameters ?? {}, 'query');
  const body = contract.body ? parsePart(contract.body, readBody(contract, event, route, headers), 'body') : undefined;

  const sourceIp = event.requestContext?.http?.sourceIp;
  const request: HttpRequest = {
    principal,
    params,
    query,
    body,
    headers,
    correlationId,
    now: requestTime(headers),
    ...(sourceIp ? { sourceIp } : {}),
  };
  if (route.method === 'POST' && idempotencyKey !== undefined && principal.sub) {
    const claim = await idempotencyClaim({
      sub: principal.sub,
      key: idempotencyKey,
      method: route.method,
      path: event.rawPath,
      body: body ?? null,
    });
    return runIdempotently(claim, context, () => operation.handle({ ...request, claim }));
  }
  return operation.handle(request);
}

function authorize(route: RouteDefinition, event: HttpEvent): Principal {
  if (route.roles === 'public') return { sub: '', roles: [] };
  const claims = (event.requestContext?.authorizer?.jwt?.claims ?? {}) as Record<string, unknown>;
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (!sub) throw new DomainError('unauthenticated', 'A valid bearer token is required');
  const roles = rolesFromClaims(claims, config().MACHINE_CLIENT_IDS);
  if (!roles.some((r) => (route.roles as readonly string[]).includes(r))) {
    throw new DomainError('forbidden', 'Your roles do not allow this request');
  }
  return { sub, roles };
}

function readBody(contract: Operation['contract'], event: HttpEvent, route: RouteDefinition, headers: Record<string, string>): unknown {
  if (contract.bodyFormat === 'form') return readFormBody(event, route);
  if (contract.csvBody && mediaType(headers['content-type']) === 'text/csv') {
    return contract.csvBody.toBody(bodyText(event, route), event.queryStringParameters ?? {});
  }
  return readJsonBody(event, route);
}

/** `text/csv; charset=utf-8` → `text/csv`. */
export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

function readJsonBody(event: HttpEvent, route: RouteDefinition): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return {};
  const text = bodyText(event, route);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DomainError('validation_failed', 'The body is not valid JSON', [{ path: 'body', message: 'invalid JSON' }]);
  }
}

/** An HTML form's fields, empty ones left out (a blank optional field is an absent one). */
function readFormBody(event: HttpEvent, route: RouteDefinition): Record<string, string> {
  const text = bodyText(event, route);
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) if (value.trim() !== '' && !(name in fields)) fields[name] = value;
  return fields;
}

function bodyText(event: HttpEvent, route: RouteDefinition): string {
  if (event.body === undefined || event.body === null) return '';
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > route.maxBodyBytes) {
    throw new DomainError('payload_too_large', `The body may be at most ${route.maxBodyBytes} bytes`);
  }
  return text;
}

function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, part: 'query' | 'body'): T {
  if (!schema) {
    const keys = value && typeof value === 'object' ? Object.keys(value) : [];
    if (part === 'query' && keys.length > 0) {
      throw new DomainError('validation_failed', 'This route takes no query parameters', [
        { path: 'query', message: `unknown parameter(s): ${keys.join(', ')}` },
      ]);
    }
    return undefined as T;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new DomainError('validation_failed', `The ${part} has invalid fields`, fieldErrors(parsed.error, part));
  }
  return parsed.data;
}

function parseParams<T>(
  schema: z.ZodType<T> | undefined,
  value: Record<string, string | undefined>,
  onInvalid: 'not_found' | 'validation_failed',
): T {
  if (!schema) return value as T;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  if (onInvalid === 'not_found') throw new DomainError('not_found', 'No such resource');
  throw new DomainError('validation_failed', 'The path has invalid parameters', fieldErrors(parsed.error, 'path'));
}

function lowerCaseHeaders(headers: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

function toResult(reply: HttpReply): HttpResult {
  if (typeof reply.raw === 'string') {
    return { statusCode: reply.status, headers: { ...reply.headers }, body: reply.raw };
  }
  if (reply.raw !== undefined) {
    return { statusCode: reply.status, headers: { ...reply.headers }, body: reply.raw.toString('base64'), isBase64Encoded: true };
  }
  return {
    statusCode: reply.status,
    headers: { 'content-type': 'application/json', ...reply.headers },
    body: reply.body === undefined ? '' : JSON.stringify(reply.body),
  };
}

function errorResult(error: unknown): HttpResult {
  if (error instanceof DomainError) {
    if (error.status >= 500) logger.error('request failed', { code: error.code });
    return problemResponse(error);
  }
  if (error instanceof TransactionConflict) {
    // Still contended after every retry: nothing was written, so the caller can safely try again.
    logger.warn('transaction conflict persisted after retries');
    return problemResponse(new DomainError('invalid_state', 'The resource changed concurrently; retry the request'));
  }
  if (error instanceof StoreThrottled || THROTTLED_ERRORS.has((error as Error)?.name)) {
    logger.warn('store throttled after retries');
    const response = problemResponse(new DomainError('temporarily_unavailable', 'The service is busy; retry shortly'));
    return { ...response, headers: { ...response.headers, 'retry-after': '1' } };
  }
  // Anything else is our fault: log it (the logger redacts personal data), answer without details.
  logger.error('unhandled error', error as Error);
  return problemResponse(new DomainError('internal_error', 'Something went wrong on our side; it has been logged'));
}
