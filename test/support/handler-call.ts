/**
 * Calls HTTP handlers in-process with the API Gateway v2 event the deployed route would send (JWT
 * claims as the authorizer flattens them), for integration tests that need no HTTP server.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { lambdaContext } from '#local/invoke';
import { compileRoutes, matchRoute } from '#local/http-adapter';
import { routes, type HttpFunctionName } from '#shared/routes';
import { contracts } from '#shared/schemas/index';

export type HttpHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Call {
  sub?: string;
  roles?: string[];
  body?: unknown;
  /** A POST gets a fresh key unless one is given; `null` or `''` sends none. */
  idempotencyKey?: string | null;
  query?: Record<string, string>;
  /** More request headers (lower-case names), e.g. `accept`. */
  headers?: Record<string, string>;
}

export interface Reply {
  status: number;
  contentType: string;
  body: any;
  text: string;
  /** A binary body (a PDF), decoded from the base64 the handler returns for API Gateway. */
  bytes?: Buffer;
  /** The reply's headers, lower-case names. */
  headers?: Record<string, string>;
}

const compiled = compileRoutes(routes);

/** `path` may carry a query string; `options.query` wins over it. */
export function handlerCaller(
  handlers: Partial<Record<HttpFunctionName, HttpHandler>>,
  caller: { sub: string; roles: string[] },
): (method: string, path: string, options?: Call) => Promise<Reply> {
  return async (method, path, options = {}) => {
    const [rawPath = path, rawQuery = ''] = path.split('?');
    const match = matchRoute(compiled, method, rawPath);
    if (!match) throw new Error(`no route for ${method} ${path}`);
    const handler = handlers[match.route.fn];
    if (!handler) throw new Error(`no handler for ${match.route.fn}`);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const key = options.idempotencyKey === undefined ? (method === 'POST' ? randomUUID() : undefined) : options.idempotencyKey;
    if (key) headers['idempotency-key'] = key;
    Object.assign(headers, options.headers);
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const query = options.query ?? (rawQuery ? Object.fromEntries(new URLSearchParams(rawQuery)) : undefined);
    const routeKey = `${match.route.method} ${match.route.path}`;
    const event = {
      version: '2.0',
      routeKey,
      rawPath,
      rawQueryString: new URLSearchParams(query ?? {}).toString(),
      headers,
      queryStringParameters: query,
      pathParameters: match.pathParameters,
      body,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: 'localhost',
        domainPrefix: 'localhost',
        requestId: randomUUID(),
        routeKey,
        stage: '$default',
        time: new Date().toISOString(),
        timeEpoch: Date.now(),
        http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
        authorizer: {
          principalId: '',
          integrationLatency: 0,
          jwt: {
            claims: { sub: options.sub ?? caller.sub, 'cognito:groups': `[${(options.roles ?? caller.roles).join(' ')}]` },
            scopes: [],
          },
        },
      },
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
    const result = await handler(event, lambdaContext(match.route.fn, 30_000));
    const text = typeof result.body === 'string' ? result.body : '';
    const reply: Reply = {
      status: result.statusCode ?? 0,
      contentType: String(result.headers?.['content-type'] ?? ''),
      body: text && /json/.test(String(result.headers?.['content-type'] ?? '')) ? JSON.parse(text) : undefined,
      text,
      ...(result.isBase64Encoded && typeof result.body === 'string' ? { bytes: Buffer.from(result.body, 'base64') } : {}),
      headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)])),
    };
    expectContractResponse(match.route.operationId, routeKey, reply);
    return reply;
  };
}

/**
 * A success carries exactly the contract's fields (API 1.2: "a response carries only the fields this page lists"):
 * the body parses with its response schema, and parsing drops nothing (zod strips keys a schema does not list, so
 * any key the schema does not know makes the parsed body differ from the one sent). Every call through this
 * harness is checked, so every route the integration tests drive is.
 */
export function expectContractResponse(operationId: string, routeKey: string, reply: Reply): void {
  if (reply.status < 200 || reply.status >= 300 || !/json/.test(reply.contentType) || reply.body === undefined) return;
  const response = contracts.get(operationId)?.responses[reply.status];
  expect(response, `${routeKey} answered ${reply.status}, which its contract does not list`).toBeDefined();
  if (response?.schema === undefined) return;
  const parsed = response.schema.safeParse(reply.body);
  expect(parsed.success, `${routeKey} ${reply.status} does not match its response schema: ${parsed.error?.message ?? ''}`).toBe(true);
  expect(parsed.data, `${routeKey} ${reply.status} carries fields its response schema does not list`).toEqual(reply.body);
}

/** Each reply is a client error in the contract's form: 4xx, problem+json, with a code. */
export function expectClientProblems(replies: readonly Reply[]): void {
  for (const r of replies) {
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.contentType).toBe('application/problem+json');
    expect(typeof r.body.code).toBe('string');
  }
}
