/**
 * Shared by the money-path integration tests (disbursement*, ledger*, settlement*): this file's
 * table and queues on the local services, the disbursements and payouts handlers called with API
 * Gateway v2 events (JWT claims as the authorizer hands them over), and small fixtures.
 */
import { beforeAll, expect } from 'vitest';
import { useLocalServices, type LocalServices } from '#test/support/local-services';
import { handlerCaller, type Call, type Reply } from '#test/support/handler-call';
import { httpHandlers } from '#test/support/lambda-processes';
import { payoutsContext, PayoutsContext } from '../support/contexts.ts';
import { fundsContext, type FundsContext } from '#test/support/contexts';

export type { Call, Reply } from '#test/support/handler-call';

export const COUNTY = '500241';
export const OTHER_COUNTY = '500242';
export const UNKNOWN_COUNTY = '659009';

export interface ApprovedPayoutOptions {
  overrides?: Record<string, unknown>;
  ownAccount?: boolean;
  /** requester-1 and approver-1 unless given. */
  requester?: string;
  approver?: string;
}

export interface MoneyHarness {
  services: LocalServices;
  call(method: string, path: string, options?: Call): Promise<Reply>;
  /** A fund with allocations per county; returns its id. */
  fund(options: {
    totalBudget?: number;
    dualApprovalThreshold?: number;
    noticePeriod?: string;
    accountVerification?: 'required' | 'off';
    allocations: Record<string, number>;
  }): Promise<string>;
  /**
   * A disbursement of `fundId` created by `requester` and approved by `approver`: its id, its payout's, and the id of
   * the payout.requested message its approval committed. The body is
   * `disbursementBody(fundId, amount, overrides)`; with `ownAccount` it pays an account no other disbursement of this file
   * pays (duplicate screening would hold a second payment to one account of a fund for a clearance).
   */
  approvedPayout(
    fundId: string,
    amount: number,
    options?: ApprovedPayoutOptions,
  ): Promise<{ disbursementId: string; payoutId: string; messageId: string }>;
  /** The paying finance system (or `who`) reports a payout's outcome. */
  settle(payoutId: string, body: unknown, who?: Call): Promise<Reply>;
  /** A cooperative with an account of its own (see beneficiaryNo), fresh on every call in this file. */
  nextBeneficiary(): ReturnType<typeof beneficiaryNo>;
  /** The ledger check (shared/data/ledger/check.ts) on this file's table. */
  checkLedger: typeof import('#shared/data/ledger/check').checkLedger;
  data: {
    funds: FundsContext;
    stats: typeof import('#shared/data/counties/stats');
    payouts: PayoutsContext;
    /** Requesting a batch's account verifications (the job the expansion queue runs). */
    verificationRequests: typeof import('#shared/data/verifications/request');
  };
}

export async function moneyHarness(options: { env?: Record<string, string> } = {}): Promise<MoneyHarness> {
  const services = await useLocalServices(options);
  // In this process, or across processes after runHandlersInProcesses (test/support/lambda-processes.ts).
  const handlers = await httpHandlers([
    'disbursements',
    'payouts',
    'funds',
    'campaigns',
    'webhook-endpoints',
    'notices',
    'batches',
    'reconciliations',
    'access-log',
    'reports',
    'transparency',
  ]);
  const funds = await fundsContext();
  const stats = await import('#shared/data/counties/stats');
  const payouts = await payoutsContext();
  const verificationRequests = await import('#shared/data/verifications/request');
  const { checkLedger } = await import('#shared/data/ledger/check');
  const { putCounty } = await import('#shared/data/counties/items');
  const now = new Date();
  await putCounty({ countyCode: COUNTY, name: 'Shizhu', province: 'Chongqing', modelCounty: true }, now);
  await putCounty({ countyCode: OTHER_COUNTY, name: 'Xiushan', province: 'Chongqing', modelCounty: false }, now);

  const call = handlerCaller(handlers, { sub: 'requester-1', roles: ['requester'] });

  async function fund(options: {
    totalBudget?: number;
    dualApprovalThreshold?: number;
    noticePeriod?: string;
    accountVerification?: 'required' | 'off';
    allocations: Record<string, number>;
  }) {
    const actor = { sub: 'admin-1' };
    const created = await funds.createFund(
      {
        name: 'Relief fund',
        financeSystem: FINANCE_SYSTEM,
        noticePeriod: options.noticePeriod ?? 'P0D',
        totalBudget: options.totalBudget ?? 1_000_000_000_00,
        dualApprovalThreshold: options.dualApprovalThreshold ?? 100_000_000,
        ...(options.accountVerification ? { accountVerification: options.accountVerification } : {}),
      },
      actor,
      new Date(),
    );
    for (const [county, amount] of Object.entries(options.allocations)) {
      await funds.setAllocation(created.fundId, county, amount, actor, new Date());
    }
    return created.fundId;
  }

  async function approvedPayout(
    fundId: string,
    amount: number,
    { overrides = {}, ownAccount, requester = 'requester-1', approver = 'approver-1' }: ApprovedPayoutOptions = {},
  ) {
    const body = disbursementBody(fundId, amount, { ...(ownAccount ? { beneficiary: nextBeneficiary() } : {}), ...overrides });
    const created = await call('POST', '/v1/disbursements', { ...asRequester(requester), body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const disbursementId = created.body.disbursementId as string;
    const approved = await call('POST', `/v1/disbursements/${disbursementId}/approve`, { ...asApprover(approver), body: {} });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const payout = await payouts.getPayout(approved.body.payoutId as string);
    return { disbursementId, payoutId: payout.payoutId, messageId: payout.requestedMessageId };
  }

  const settle = (payoutId: string, body: unknown, who: Call = asFinance) =>
    call('POST', `/v1/payouts/${payoutId}/settlement`, { ...who, body });

  // Far above the small numbers tests pass to beneficiaryNo themselves.
  let beneficiaries = 900_000;
  const nextBeneficiary = () => beneficiaryNo(beneficiaries++);

  return {
    services,
    call,
    fund,
    approvedPayout,
    settle,
    nextBeneficiary,
    checkLedger,
    data: { funds, stats, payouts, verificationRequests },
  };
}

/**
 * This file's money harness, made in a `beforeAll` registered here (so before the file's own hooks, which may use
 * it): the object returned is filled in there, and is ready in every hook and test that runs after it.
 */
export function useMoneyHarness(options: { env?: Record<string, string> } = {}, timeout?: number): MoneyHarness {
  const harness = {} as MoneyHarness;
  beforeAll(async () => {
    Object.assign(harness, await moneyHarness(options));
  }, timeout);
  return harness;
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

/**
 * A cooperative paid into account number `n`: duplicate screening flags a second disbursement of one fund to
 * one account, so tests that create several in a fund and approve them all give each its own account.
 */
export function beneficiaryNo(n: number) {
  return {
    kind: 'cooperative',
    name: `Cooperative ${n}`,
    account: {
      bankName: 'Agricultural Bank of China',
      accountName: `Cooperative ${n}`,
      accountNumber: `62220303${String(n).padStart(8, '0')}`,
    },
  };
}

export const asRequester = (sub = 'requester-1'): Call => ({ sub, roles: ['requester'] });
export const asApprover = (sub: string): Call => ({ sub, roles: ['approver'] });
/** The finance system that pays the harness's funds. */
export const FINANCE_SYSTEM = 'finance-1';
export const asFinance: Call = { sub: FINANCE_SYSTEM, roles: ['finance-system'] };
