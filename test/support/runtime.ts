/**
 * The local runtime in-process for e2e tests: this file's fresh table and queues (useLocalServices),
 * the API on a free port with a temp DATA_DIR, and helpers to mint tokens and call the API.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { defaultHandlers, startRuntime, type RuntimeHandlers } from '#local/runtime';
import type { QueueUrls } from '#local/resources';
import { useLocalServices, type LocalServices } from './local-services.ts';
import { expectContractResponse } from './handler-call.ts';
import { compileRoutes, matchRoute } from '#local/http-adapter';
import { routeKey, routes } from '#shared/routes';

const compiledRoutes = compileRoutes(routes);

export interface ApiOptions {
  token?: string;
  roles?: string | string[];
  sub?: string;
  body?: unknown;
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
}

export interface TestRuntime {
  url: string;
  /** With lambdaConcurrency: the process ids that served each function. */
  servedBy?: () => Record<string, number[]>;
  tableName: string;
  queueUrls: QueueUrls;
  services: LocalServices;
  /** This runtime's DATA_DIR (its signing key and secrets file live there). */
  dataDir: string;
  token(roles: string | string[], sub?: string): Promise<string>;
  api(method: string, path: string, options?: ApiOptions): Promise<ApiResponse>;
  stop(): Promise<void>;
}

export interface TestRuntimeOptions {
  env?: Record<string, string>;
  /** SQS event source mappings; on by default so queued work runs as it would in AWS. */
  pollers?: boolean;
  /** The outbox sweeper's schedule; off by default (tests drive time themselves). */
  scheduler?: boolean;
  sweepSeconds?: number;
  /** Probe handlers wired through the real adapter/poller (the runtime's own tests use this). */
  handlers?: RuntimeHandlers;
  /** LAMBDA_CONCURRENCY: each function in up to this many worker processes. */
  lambdaConcurrency?: number;
}

const DEFAULT_SUB = 'test-user';

/** The real HTTP handlers, with every event they receive pushed onto `events`. */
export function recordingHttpHandlers(events: APIGatewayProxyEventV2WithJWTAuthorizer[]): RuntimeHandlers {
  return {
    http: async (fn) => {
      const real = await defaultHandlers.http(fn);
      return (event, context) => {
        events.push(event);
        return real(event, context);
      };
    },
  };
}

export async function startTestRuntime(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const services = await useLocalServices({ env: options.env });
  const dataDir = await mkdtemp(join(tmpdir(), 'relief-fund-data-'));
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    dynamoEndpoint: services.dynamoEndpoint,
    sqsEndpoint: services.sqsEndpoint,
    tableName: services.tableName,
    queuePrefix: services.queuePrefix,
    pollers: options.pollers ?? true,
    scheduler: options.scheduler ?? false,
    sweepSeconds: options.sweepSeconds,
    env: options.env,
    handlers: options.handlers,
    lambdaConcurrency: options.lambdaConcurrency,
    log: quietLog,
  });

  const token = (roles: string | string[], sub = DEFAULT_SUB) =>
    runtime.mintToken({ roles: Array.isArray(roles) ? roles : roles.split(','), sub });

  const api = async (method: string, path: string, opts: ApiOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    const bearer = opts.token ?? (opts.roles !== undefined ? await token(opts.roles, opts.sub) : undefined);
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (opts.idempotencyKey !== undefined) headers['idempotency-key'] = opts.idempotencyKey;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${runtime.url}${path}`, { method, headers, body });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    let parsed: unknown = text;
    if (/json/i.test(type) && text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const reply = { status: response.status, headers: response.headers, body: parsed };
    // Every success carries exactly its contract's fields (the fuzz suite drives every route through here).
    // Stand-in handlers (a test's probes) answer for themselves, not for the contract.
    const route = options.handlers === undefined ? matchRoute(compiledRoutes, method, path.split('?')[0]!) : undefined;
    if (route) {
      const contentType = response.headers.get('content-type') ?? '';
      expectContractResponse(route.route.operationId, routeKey(route.route), { status: reply.status, contentType, body: parsed, text });
    }
    return reply;
  };

  return {
    url: runtime.url,
    ...(runtime.servedBy ? { servedBy: runtime.servedBy } : {}),
    tableName: runtime.tableName,
    queueUrls: runtime.queueUrls,
    services,
    dataDir,
    token,
    api,
    async stop() {
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The runtime's own log lines only for trouble: passing tests stay quiet, failures keep the why. */
const quietLog = {
  info: () => undefined,
  warn: (message: string, fields?: Record<string, unknown>) => console.warn(JSON.stringify({ level: 'WARN', message, ...fields })),
  error: (message: string, fields?: Record<string, unknown>) => console.error(JSON.stringify({ level: 'ERROR', message, ...fields })),
};
