/**
 * The local stack the bench measures, started in-process the way the tests start it: one DynamoDB
 * Local (in memory) and one SQS emulator for the run, and per phase a local runtime (HTTP adapter +
 * JWT authorizer + handlers, and the SQS pollers when the phase needs them) on its own table and queues.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invokeStore } from '#local/invoke';
import type { RuntimeLog } from '#local/log';
import { startRuntime, type Runtime, type RuntimeHandlers } from '#local/runtime';
import { startDynamoDbLocal, startSqsEmulator, type RunningService } from '#local/services';
import type { Payout } from '#shared/domain/payouts';

export interface Services {
  dynamoEndpoint: string;
  sqsEndpoint: string;
  stop(): Promise<void>;
}

export async function startServices(): Promise<Services> {
  // Before any SDK request: the in-process runtime needs the multi-context invoke store.
  await invokeStore();
  const started = await Promise.allSettled([startDynamoDbLocal(), startSqsEmulator()]);
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(running.map((s) => s.stop()));
    throw failed.reason;
  }
  const [dynamo, sqs] = running as [RunningService, RunningService];
  return {
    dynamoEndpoint: dynamo.endpoint,
    sqsEndpoint: sqs.endpoint,
    stop: async () => {
      await Promise.allSettled([sqs.stop(), dynamo.stop()]);
    },
  };
}

export interface ApiResponse {
  status: number;
  body: any;
}

export interface Phase {
  runtime: Runtime;
  tableName: string;
  token(roles: string | string[], sub: string): Promise<string>;
  api(method: string, path: string, options?: { token?: string; body?: unknown; idempotencyKey?: string }): Promise<ApiResponse>;
  stop(): Promise<void>;
}

export interface PhaseOptions {
  name: string;
  pollers: boolean;
  handlers?: RuntimeHandlers;
  env?: Record<string, string>;
  log: RuntimeLog;
  /** LAMBDA_CONCURRENCY for this phase's runtime, and the modules its workers preload. */
  lambdaConcurrency?: number;
  lambdaPreload?: string[];
  lambdaOutput?: (chunk: Buffer) => void;
}

/** A local runtime on a fresh table and queue set of the shared services. */
export async function startPhase(services: Services, options: PhaseOptions): Promise<Phase> {
  const unique = `${options.name}-${randomBytes(3).toString('hex')}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'relief-fund-bench-'));
  const tableName = `relief-fund-bench-${unique}`;
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    dynamoEndpoint: services.dynamoEndpoint,
    sqsEndpoint: services.sqsEndpoint,
    tableName,
    queuePrefix: `bench-${unique}-`,
    pollers: options.pollers,
    scheduler: false,
    env: options.env,
    handlers: options.handlers,
    log: options.log,
    lambdaConcurrency: options.lambdaConcurrency,
    lambdaPreload: options.lambdaPreload,
    lambdaOutput: options.lambdaOutput,
  });
  const token = (roles: string | string[], sub: string) => runtime.mintToken({ roles: Array.isArray(roles) ? roles : [roles], sub });
  const api: Phase['api'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${runtime.url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: keep the text for the error message.
    }
    return { status: response.status, body: parsed };
  };
  return {
    runtime,
    tableName,
    token,
    api,
    async stop() {
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Throws with the problem's code when the API did not answer as the setup expects. */
export function expectStatus(response: ApiResponse, status: number, what: string): ApiResponse {
  if (response.status !== status) {
    const code =
      typeof response.body === 'object' && response.body
        ? `${response.body.code ?? ''} ${response.body.detail ?? ''}`.trim()
        : String(response.body ?? '').slice(0, 200);
    throw new Error(`${what}: expected ${status}, got ${response.status} ${code}`);
  }
  return response;
}

export const COUNTY = { code: '532530', name: 'Honghe', province: 'Yunnan' } as const;

export const roles = {
  admin: { roles: 'fund-admin', sub: 'bench-admin' },
  requester: { roles: 'requester', sub: 'bench-requester' },
  approver: { roles: 'approver', sub: 'bench-approver' },
  finance: { roles: 'finance-system', sub: 'bench-finance' },
} as const;

export function beneficiary(n: number) {
  return {
    kind: 'farmer' as const,
    name: `Farmer ${n}`,
    account: {
      bankName: 'Rural Credit Cooperative Honghe',
      accountName: `Farmer ${n}`,
      accountNumber: `62284800${String(n).padStart(11, '0')}`,
    },
  };
}

/** The n-th bench payout as its settlement leaves it: farmer n's account, 1,500 yuan + n fen, reference CMB<n>. */
export function settledPayout(
  n: number,
  ids: { payoutId: string; disbursementId: string; fundId: string },
  at: Date,
): Payout & { bankReference: string; settledAt: string } {
  const b = beneficiary(n);
  const iso = at.toISOString();
  return {
    ...ids,
    batchId: null,
    countyCode: '532530',
    amount: 150_000 + n,
    currency: 'CNY',
    beneficiary: { kind: 'farmer', name: b.name, account: b.account },
    status: 'settled',
    attempts: 1,
    createdAt: iso,
    sentAt: iso,
    settledAt: iso,
    bankReference: `CMB${String(n).padStart(12, '0')}`,
    failureCode: null,
    failureReason: null,
    correctedBy: null,
  };
}

export interface BenchSetup {
  tokens: { admin: string; requester: string; approver: string };
  fundId: string;
  countyCode: string;
}

/**
 * What every phase starts from: the people's tokens, a county, a fund and an allocation big enough for
 * everything the phase approves, and, given a receiver, the finance system's `payout.requested` endpoint.
 */
export async function benchSetup(phase: Phase, options: { financeReceiverUrl?: string } = {}): Promise<BenchSetup> {
  const tokens = {
    admin: await phase.token(roles.admin.roles, roles.admin.sub),
    requester: await phase.token(roles.requester.roles, roles.requester.sub),
    approver: await phase.token(roles.approver.roles, roles.approver.sub),
  };
  // The finance system binds its own endpoint, with its own token.
  const financeToken = options.financeReceiverUrl ? await phase.token(roles.finance.roles, roles.finance.sub) : undefined;
  expectStatus(
    await phase.api('PUT', `/v1/counties/${COUNTY.code}`, { token: tokens.admin, body: { name: COUNTY.name, province: COUNTY.province } }),
    201,
    'county',
  );
  const fund = expectStatus(
    await phase.api('POST', '/v1/funds', {
      token: tokens.admin,
      idempotencyKey: randomUUID(),
      body: { name: 'Bench fund', currency: 'CNY', totalBudget: 1_000_000_000_000, financeSystem: 'bench-finance' },
    }),
    201,
    'fund',
  );
  const fundId = fund.body.fundId as string;
  expectStatus(
    await phase.api('PUT', `/v1/funds/${fundId}/allocations/${COUNTY.code}`, { token: tokens.admin, body: { amount: 1_000_000_000_000 } }),
    200,
    'allocation',
  );
  if (options.financeReceiverUrl) {
    expectStatus(
      await phase.api('POST', '/v1/webhook-endpoints', {
        token: financeToken,
        body: {
          url: `${options.financeReceiverUrl}/finance`,
          events: ['payout.requested'],
          description: 'bench finance system',
        },
      }),
      201,
      'webhook endpoint',
    );
  }
  return { tokens, fundId, countyCode: COUNTY.code };
}
