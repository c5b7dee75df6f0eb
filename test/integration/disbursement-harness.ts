/**
 * Shared by the money-path integration tests (disbursement*, ledger*, settlement*): this file's
 * table and queues on the local services, the disbursements and payouts handlers called with API
 * Gateway v2 events (JWT claims as the authorizer hands them over), and small fixtures.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { useLocalServices, type LocalServices } from '#test/support/local-services';
import { lambdaContext } from '#local/invoke';
import { compileRoutes, matchRoute } from '#local/http-adapter';
import { routes, type HttpFunctionName } from '#shared/routes';

type Handler = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Call {
  sub?: string;
  roles?: string[];
  body?: unknown;
  idempotencyKey?: string | null;
  query?: Record<string, string>;
}

export interface Reply {
  status: number;
  contentType: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export const COUNTY = '500241';
export const OTHER_COUNTY = '500242';
export const UNKNOWN_COUNTY = '659009';

const compiled = compileRoutes(routes);

export interface MoneyHarness {
  services: LocalServices;
  call(method: string, path: string, options?: Call): Promise<Reply>;
  /** A fund with allocations per county; returns its id. */
  fund(options: { totalBudget?: number; dualApprovalThreshold?: number; allocations: Record<string, number> }): Promise<string>;
  data: {
    funds: typeof import('#shared/data/funds');
    stats: typeof import('#shared/data/county-stats');
    payouts: typeof import('#shared/data/payouts');
  };
}

export async function moneyHarness(): Promise<MoneyHarness> {
  const services = await useLocalServices();
  const handlers: Partial<Record<HttpFunctionName, Handler>> = {
    disbursements: ((await import('#functions/http/disbursements')) as unknown as { handler: Handler }).handler,
    payouts: ((await import('#functions/http/payouts')) as unknown as { handler: Handler }).handler,
  };
  const funds = await import('#shared/data/funds');
  const stats = await import('#shared/data/county-stats');
  const payouts = await import('#shared/data/payouts');
  const { putCounty } = await import('#shared/data/counties');
  const now = new Date();
  await putCounty({ countyCode: COUNTY, name: 'Shizhu', province: 'Chongqing', modelCounty: true }, now);
  await putCounty({ countyCode: OTHER_COUNTY, name: 'Xiushan', province: 'Chongqing', modelCounty: false }, now);

  async function call(method: string, path: string, options: Call = {}): Promise<Reply> {
    const match = matchRoute(compiled, method, path);
    if (!match) throw new Error(`no route for ${method} ${path}`);
    const handler = handlers[match.route.fn];
    if (!handler) throw new Error(`no handler for ${match.route.fn}`);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const key = options.idempotencyKey === undefined ? (method === 'POST' ? randomUUID() : undefined) : options.idempotencyKey;
    if (key) headers['idempotency-key'] = key;
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const routeKey = `${match.route.method} ${match.route.path}`;
    const event = {
      version: '2.0',
      routeKey,
      rawPath: path,
      rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
      headers,
      queryStringParameters: options.query,
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
        http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
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

  async function fund(options: { totalBudget?: number; dualApprovalThreshold?: number; allocations: Record<string, number> }) {
    const actor = { sub: 'admin-1' };
    const created = await funds.createFund(
      { name: 'Relief fund', totalBudget: options.totalBudget ?? 1_000_000_000_00, dualApprovalThreshold: options.dualApprovalThreshold ?? 100_000_000 },
      actor,
      new Date(),
    );
    for (const [county, amount] of Object.entries(options.allocations)) {
      await funds.setAllocation(created.fundId, county, amount, actor, new Date());
    }
    return created.fundId;
  }

  return { services, call, fund, data: { funds, stats, payouts } };
}

export const ACCOUNT_NUMBER = '6222020200112233';

export function disbursementBody(fundId: string, amount: number, overrides: Record<string, unknown> = {}) {
  return {
    fundId,
    countyCode: COUNTY,
    amount,
    currency: 'CNY',
    purpose: 'produce-subsidy',
    beneficiary: {
      kind: 'cooperative',
      name: 'Shizhu Huangshui cooperative',
      account: { bankName: 'Agricultural Bank of China', accountName: 'Huangshui Cooperative', accountNumber: ACCOUNT_NUMBER },
    },
    ...overrides,
  };
}

export const asRequester = (sub = 'requester-1'): Call => ({ sub, roles: ['requester'] });
export const asApprover = (sub: string): Call => ({ sub, roles: ['approver'] });
export const asFinance: Call = { sub: 'finance-1', roles: ['finance-system'] };
