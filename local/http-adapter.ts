/**
 * A node:http server that stands in for API Gateway's HTTP API: it matches requests against
 * shared/routes.ts, runs the JWT authorizer on non-public routes, builds payload-v2 events and invokes
 * functions/http/<fn>.ts `handler` inside its own invocation context.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { problemBody, PROBLEM_CONTENT_TYPE } from '#shared/http/problem';
import type { ErrorCode } from '#shared/domain/errors';
import {
  LAMBDA_MAX_REQUEST_PAYLOAD_BYTES,
  routes as routeTable,
  routeKey,
  type HttpFunctionName,
  type RouteDefinition,
} from '#shared/routes';
import type { JwtAuthorizer } from './authorizer.ts';
import { LOCAL_ACCOUNT_ID } from './environment.ts';
import { InvocationTimeout, invoke, type LambdaHandler } from './invoke.ts';
import { errorFields, type RuntimeLog } from './log.ts';
import { PortInUseError } from './ports.ts';

/** API Gateway's own limits: a 10 MiB payload and a 29 s integration timeout. */
export const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
export const API_GATEWAY_TIMEOUT_MS = 29_000;

export type HttpHandlerLoader = (fn: HttpFunctionName) => Promise<LambdaHandler>;

export interface HttpAdapterOptions {
  port: number;
  host?: string;
  authorizer: JwtAuthorizer;
  loadHandler: HttpHandlerLoader;
  functionName: (fn: HttpFunctionName) => string;
  log: RuntimeLog;
  routes?: readonly RouteDefinition[];
  timeoutMs?: number;
  /** What this port serves besides the API (the console and the hosted UI stand-in): true when it answered. */
  beside?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

export interface HttpAdapter {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface CompiledRoute {
  route: RouteDefinition;
  segments: { literal?: string; param?: string }[];
}

export interface RouteMatch {
  route: RouteDefinition;
  pathParameters: Record<string, string>;
}

export function compileRoutes(routes: readonly RouteDefinition[]): CompiledRoute[] {
  return routes.map((route) => ({
    route,
    segments: route.path
      .split('/')
      .slice(1)
      .map((segment) => {
        const param = /^\{([A-Za-z0-9_]+)\}$/.exec(segment)?.[1];
        return param ? { param } : { literal: segment };
      }),
  }));
}

/**
 * API Gateway's route selection: same method, same number of segments, and among the candidates the
 * most specific (literal segments win over `{param}` from left to right). No match → 404, also for a
 * known path with another method (HTTP APIs have no 405).
 */
export function matchRoute(compiled: CompiledRoute[], method: string, rawPath: string): RouteMatch | undefined {
  const parts = rawPath.split('/').slice(1);
  let best: { match: RouteMatch; score: string } | undefined;
  for (const { route, segments } of compiled) {
    if (route.method !== method || segments.length !== parts.length) continue;
    const pathParameters: Record<string, string> = {};
    let score = '';
    let ok = true;
    for (let i = 0; i < segments.length && ok; i++) {
      const segment = segments[i]!;
      const part = parts[i]!;
      if (segment.literal !== undefined) {
        ok = segment.literal === part;
        score += '1';
      } else if (part === '') {
        ok = false;
      } else {
        try {
          pathParameters[segment.param!] = decodeURIComponent(part);
        } catch {
          ok = false;
        }
        score += '0';
      }
    }
    if (ok && (!best || score > best.score)) best = { match: { route, pathParameters }, score };
  }
  return best?.match;
}

export async function startHttpAdapter(options: HttpAdapterOptions): Promise<HttpAdapter> {
  const compiled = compileRoutes(options.routes ?? routeTable);
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    serve(req, res, compiled, options).catch((error: unknown) => {
      options.log.error('http adapter failure', errorFields(error));
      if (!res.headersSent) sendProblem(res, 500, 'internal_error', 'Something went wrong on our side', randomRequestId());
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await listen(server, options.port, host);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new PortInUseError(port, 'API, PORT') : error);
    });
    server.listen(port, host, () => resolve());
  });
}

function randomRequestId(): string {
  return randomBytes(10).toString('base64');
}

async function serve(req: IncomingMessage, res: ServerResponse, compiled: CompiledRoute[], options: HttpAdapterOptions) {
  const started = Date.now();
  const requestId = randomRequestId();
  const method = (req.method ?? 'GET').toUpperCase();
  const rawUrl = req.url ?? '/';
  const queryAt = rawUrl.indexOf('?');
  const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : rawUrl.slice(queryAt + 1);
  if (options.beside && (await options.beside(req, res))) return;

  // Past its limits API Gateway answers itself, before any function: its own 413, not problem+json.
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > API_GATEWAY_MAX_PAYLOAD_BYTES) {
    req.resume();
    return sendTooLarge(res, requestId, { connection: 'close' });
  }
  const body = await readBody(req);
  if (body === 'too_large') return sendTooLarge(res, requestId, { connection: 'close' });

  const match = matchRoute(compiled, method, rawPath);
  if (!match) return sendProblem(res, 404, 'not_found', 'No such route', requestId);
  const { route, pathParameters } = match;

  const headers = eventHeaders(req.rawHeaders);
  let authorizer: APIGatewayProxyEventV2WithJWTAuthorizer['requestContext']['authorizer'] | undefined;
  if (route.roles !== 'public') {
    const verified = await options.authorizer(headers.authorization);
    if (!verified) {
      return sendProblem(res, 401, 'unauthenticated', 'A valid bearer token is required', requestId, {
        'www-authenticate': 'Bearer',
      });
    }
    authorizer = { jwt: { claims: verified.claims, scopes: verified.scopes } };
  }

  const event = buildEvent({ req, route, pathParameters, headers, rawPath, rawQueryString, body, requestId, authorizer });
  // Lambda refuses a synchronous invocation whose payload, the serialized event, is over 6 MB; API
  // Gateway then answers 413 itself. The body is escaped (or base64-encoded) inside the event, so a
  // body well under 6 MB can be refused.
  if (Buffer.byteLength(JSON.stringify(event)) > LAMBDA_MAX_REQUEST_PAYLOAD_BYTES) return sendTooLarge(res, requestId);
  const functionName = options.functionName(route.fn);
  let result: unknown;
  try {
    const handler = await options.loadHandler(route.fn);
    result = await invoke(handler, event, { functionName, timeoutMs: options.timeoutMs ?? API_GATEWAY_TIMEOUT_MS });
  } catch (error) {
    if (error instanceof InvocationTimeout) {
      options.log.error('integration timeout', { functionName, route: routeKey(route), requestId });
      return sendProblem(res, 503, 'temporarily_unavailable', 'The request took too long', requestId);
    }
    // A crashed handler is our bug: logged here, never described to the caller.
    options.log.error('handler failed', { functionName, route: routeKey(route), requestId, ...errorFields(error) });
    return sendProblem(res, 500, 'internal_error', 'Something went wrong on our side; it has been logged', requestId);
  }
  writeResult(res, result, requestId);
  options.log.info('api request', {
    requestId,
    method,
    route: routeKey(route),
    status: res.statusCode,
    durationMs: Date.now() - started,
  });
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > API_GATEWAY_MAX_PAYLOAD_BYTES) {
        over = true;
        chunks.length = 0;
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Lower-cased names; repeated headers comma-joined like API Gateway does. Cookies travel separately. */
function eventHeaders(rawHeaders: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return headers;
}

const TEXT_TYPES = /^(text\/|application\/(json|[\w.+-]+\+json|xml|[\w.+-]+\+xml|x-www-form-urlencoded|javascript))/i;

interface EventInput {
  req: IncomingMessage;
  route: RouteDefinition;
  pathParameters: Record<string, string>;
  headers: Record<string, string>;
  rawPath: string;
  rawQueryString: string;
  body: Buffer;
  requestId: string;
  authorizer: APIGatewayProxyEventV2WithJWTAuthorizer['requestContext']['authorizer'] | undefined;
}

function buildEvent(input: EventInput): APIGatewayProxyEventV2WithJWTAuthorizer {
  const { req, route, headers, rawQueryString, body } = input;
  const now = new Date();
  const { cookie, ...otherHeaders } = headers;
  const cookies = cookie ? cookie.split(/;\s*/).filter(Boolean) : undefined;

  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }

  const contentType = headers['content-type'] ?? '';
  const isText = contentType === '' || TEXT_TYPES.test(contentType);
  const domainName = headers.host ?? '127.0.0.1';
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const key = routeKey(route);

  const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
    version: '2.0',
    routeKey: key,
    rawPath: input.rawPath,
    rawQueryString,
    headers: otherHeaders,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: route.method,
        path: input.rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId,
      routeKey: key,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
      // Public routes carry no authorizer block, as in API Gateway.
      authorizer: input.authorizer as APIGatewayProxyEventV2WithJWTAuthorizer['requestContext']['authorizer'],
    },
    isBase64Encoded: false,
  };
  if (!input.authorizer) delete (event.requestContext as { authorizer?: unknown }).authorizer;
  if (cookies && cookies.length > 0) event.cookies = cookies;
  if (Object.keys(queryStringParameters).length > 0) event.queryStringParameters = queryStringParameters;
  if (Object.keys(input.pathParameters).length > 0) event.pathParameters = input.pathParameters;
  if (body.length > 0) {
    event.body = isText ? body.toString('utf8') : body.toString('base64');
    event.isBase64Encoded = !isText;
  }
  return event;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000` */
function apiGatewayTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function writeResult(res: ServerResponse, result: unknown, requestId: string): void {
  if (!isStructured(result)) {
    // Like API Gateway: a bare value is a 200 JSON body.
    const text = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return sendRaw(res, 200, requestId, 'application/json', text);
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  headers['content-length'] = String(body.length);
  headers['apigw-requestid'] = requestId;
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}

function isStructured(result: unknown): result is APIGatewayProxyStructuredResultV2 {
  return typeof result === 'object' && result !== null && typeof (result as { statusCode?: unknown }).statusCode === 'number';
}

/** API Gateway's own answer to a request it will not pass on: 413 and its JSON message, not problem+json. */
function sendTooLarge(res: ServerResponse, requestId: string, extraHeaders: Record<string, string> = {}): void {
  sendRaw(res, 413, requestId, 'application/json', JSON.stringify({ message: 'Request Entity Too Large' }), extraHeaders);
}

function sendProblem(
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  detail: string,
  requestId: string,
  extraHeaders: Record<string, string> = {},
): void {
  sendRaw(res, status, requestId, PROBLEM_CONTENT_TYPE, JSON.stringify(problemBody(code, detail)), extraHeaders);
}

function sendRaw(
  res: ServerResponse,
  status: number,
  requestId: string,
  contentType: string,
  text: string,
  extraHeaders: Record<string, string> = {},
): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(body.length),
    'apigw-requestid': requestId,
    'x-correlation-id': requestId,
    ...extraHeaders,
  });
  res.end(body);
}
