/**
 * Shared by the batch integration tests: this file's table and queues on the local services, the
 * batches and payouts handlers called with API Gateway v2 events (JWT claims as the authorizer hands
 * them over), a fund with an allocation, and batch bodies.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { useLocalServices, type LocalServices } from '#test/support/local-services';
import { lambdaContext } from '#local/invoke';
import { compileRoutes, matchRoute } from '#local/http-adapter';
import { routes, type HttpFunctionName } from '#shared/routes';
import type { Call, Reply } from './disbursement-harness.ts';

export { asApprover, asFinance, asRequester, COUNTY, OTHER_COUNTY, UNKNOWN_COUNTY, type Call, type Reply } from './disbursement-harness.ts';

type Handler = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>;

const compiled = compileRoutes(routes);

export interface BatchHarness {
  services: LocalServices;
  call(method: string, path: string, options?: Call): Promise<Reply>;
  fund(options: { dualApprovalThreshold?: number; allocations: Record<string, number> }): Promise<string>;
  data: {
    funds: typeof import('#shared/data/funds');
    batches: typeof import('#shared/data/batches');
    counters: typeof import('#shared/data/batch-counters');
    payouts: typeof import('#shared/data/payouts');
    stations: typeof import('#shared/data/stations');
  };
}

export async function batchHarness(): Promise<BatchHarness> {
  const services = await useLocalServices();
  const load = async (path: string) => ((await import(path)) as { handler: Handler }).handler;
  const handlers: Partial<Record<HttpFunctionName, Handler>> = {
    batches: await load('#functions/http/batches'),
    payouts: await load('#functions/http/payouts'),
  };
  const funds = await import('#shared/data/funds');
  const batches = await import('#shared/data/batches');
  const counters = await import('#shared/data/batch-counters');
  const payouts = await import('#shared/data/payouts');
  const stations = await import('#shared/data/stations');
  const { putCounty } = await import('#shared/data/counties');
  const now = new Date();
  await putCounty({ countyCode: '500241', name: 'Shizhu', province: 'Chongqing', modelCounty: true }, now);
  await putCounty({ countyCode: '500242', name: 'Xiushan', province: 'Chongqing', modelCounty: false }, now);

  async function call(method: string, path: string, options: Call = {}): Promise<Reply> {
    const [rawPath, rawQuery = ''] = path.split('?');
    const match = matchRoute(compiled, method, rawPath!);
    if (!match) throw new Error(`no route for ${method} ${path}`);
    const handler = handlers[match.route.fn];
    if (!handler) throw new Error(`no handler for ${match.route.fn}`);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const key = options.idempotencyKey === undefined ? (method === 'POST' ? randomUUID() : undefined) : options.idempotencyKey;
    if (key) headers['idempotency-key'] = key;
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
          jwt: { claims: { sub: options.sub ?? 'requester-1', 'cognito:groups': `[${(options.roles ?? ['requester']).join(' ')}]` }, scopes: [] },
        },
      },
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
    const result = await handler(event, lambdaContext(match.route.fn, 30_000));
    const text = typeof result.body === 'string' ? result.body : '';
    return {
      status: result.statusCode ?? 0,
      contentType: String(result.headers?.['content-type'] ?? ''),
      body: text ? JSON.parse(text) : undefined,
    };
  }

  async function fund(options: { dualApprovalThreshold?: number; allocations: Record<string, number> }) {
    const actor = { sub: 'admin-1' };
    const created = await funds.createFund(
      { name: 'Relief fund', totalBudget: 1_000_000_000_000, dualApprovalThreshold: options.dualApprovalThreshold ?? 100_000_000 },
      actor,
      new Date(),
    );
    for (const [county, amount] of Object.entries(options.allocations)) {
      await funds.setAllocation(created.fundId, county, amount, actor, new Date());
    }
    return created.fundId;
  }

  return { services, call, fund, data: { funds, batches, counters, payouts, stations } };
}

/** Row n's account number: distinct per row, so a test can tell whose payout is whose. */
export const accountOf = (n: number) => `62220202${String(n).padStart(8, '0')}`;

export function batchRow(n: number, amount: number, overrides: Record<string, unknown> = {}) {
  return {
    beneficiary: { kind: 'farmer', name: `Farmer ${n}`, account: { bankName: 'Agricultural Bank of China', accountName: `Farmer ${n}`, accountNumber: accountOf(n) } },
    amount,
    memo: `row ${n}`,
    ...overrides,
  };
}

export function batchBody(fundId: string, amounts: readonly number[], overrides: Record<string, unknown> = {}) {
  return { fundId, countyCode: '500241', purpose: 'produce-subsidy', items: amounts.map((a, n) => batchRow(n, a)), ...overrides };
}
