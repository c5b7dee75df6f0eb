/**
 * Shared by the batch integration tests: this file's table and queues on the local services, the
 * batches and payouts handlers called with API Gateway v2 events (JWT claims as the authorizer hands
 * them over), a fund with an allocation, and batch bodies.
 */
import { beforeAll } from 'vitest';
import { useLocalServices, type LocalServices } from '#test/support/local-services';
import { httpHandlers } from '#test/support/lambda-processes';
import { handlerCaller, type Call, type HttpHandler as Handler, type Reply } from '#test/support/handler-call';
import type { HttpFunctionName } from '#shared/routes';

import { FINANCE_SYSTEM } from './disbursement-harness.ts';
export {
  asApprover,
  asFinance,
  asRequester,
  FINANCE_SYSTEM,
  COUNTY,
  OTHER_COUNTY,
  UNKNOWN_COUNTY,
  type Call,
  type Reply,
} from './disbursement-harness.ts';
import { batchesContext, payoutsContext, BatchesContext, PayoutsContext } from '../support/contexts.ts';
import { fundsContext, type FundsContext } from '#test/support/contexts';

export interface BatchHarness {
  services: LocalServices;
  call(method: string, path: string, options?: Call): Promise<Reply>;
  fund(options: { dualApprovalThreshold?: number; allocations: Record<string, number> }): Promise<string>;
  /** The ledger check (shared/data/ledger/check.ts) on this file's table. */
  checkLedger: typeof import('#shared/data/ledger/check').checkLedger;
  data: {
    funds: FundsContext;
    batches: BatchesContext;
    counters: typeof import('#shared/data/batches/counters');
    payouts: PayoutsContext;
    stations: typeof import('#shared/data/stations/items');
  };
}

export async function batchHarness(): Promise<BatchHarness> {
  const services = await useLocalServices();
  // In this process, or across processes after runHandlersInProcesses (test/support/lambda-processes.ts).
  const handlers: Partial<Record<HttpFunctionName, Handler>> = await httpHandlers(['batches', 'payouts']);
  const funds = await fundsContext();
  const batches = await batchesContext();
  const counters = await import('#shared/data/batches/counters');
  const payouts = await payoutsContext();
  const stations = await import('#shared/data/stations/items');
  const { checkLedger } = await import('#shared/data/ledger/check');
  const { putCounty } = await import('#shared/data/counties/items');
  const now = new Date();
  await putCounty({ countyCode: '500241', name: 'Shizhu', province: 'Chongqing', modelCounty: true }, now);
  await putCounty({ countyCode: '500242', name: 'Xiushan', province: 'Chongqing', modelCounty: false }, now);

  const call = handlerCaller(handlers, { sub: 'requester-1', roles: ['requester'] });

  async function fund(options: { dualApprovalThreshold?: number; allocations: Record<string, number> }) {
    const actor = { sub: 'admin-1' };
    const created = await funds.createFund(
      {
        name: 'Relief fund',
        financeSystem: FINANCE_SYSTEM,
        noticePeriod: 'P0D',
        totalBudget: 1_000_000_000_000,
        dualApprovalThreshold: options.dualApprovalThreshold ?? 100_000_000,
      },
      actor,
      new Date(),
    );
    for (const [county, amount] of Object.entries(options.allocations)) {
      await funds.setAllocation(created.fundId, county, amount, actor, new Date());
    }
    return created.fundId;
  }

  return { services, call, fund, checkLedger, data: { funds, batches, counters, payouts, stations } };
}

/**
 * This file's batch harness, made in a `beforeAll` registered here (so before the file's own hooks, which may use
 * it): the object returned is filled in there, and is ready in every hook and test that runs after it.
 */
export function useBatchHarness(timeout?: number): BatchHarness {
  const harness = {} as BatchHarness;
  beforeAll(async () => {
    Object.assign(harness, await batchHarness());
  }, timeout);
  return harness;
}

/** Row n's account number: distinct per row, so a test can tell whose payout is whose. */
export const accountOf = (n: number) => `62220202${String(n).padStart(8, '0')}`;

export function batchRow(n: number, amount: number, overrides: Record<string, unknown> = {}) {
  return {
    beneficiary: {
      kind: 'farmer',
      name: `Farmer ${n}`,
      account: { bankName: 'Agricultural Bank of China', accountName: `Farmer ${n}`, accountNumber: accountOf(n) },
    },
    amount,
    memo: `row ${n}`,
    ...overrides,
  };
}

export function batchBody(fundId: string, amounts: readonly number[], overrides: Record<string, unknown> = {}) {
  return { fundId, countyCode: '500241', purpose: 'produce-subsidy', items: amounts.map((a, n) => batchRow(n, a)), ...overrides };
}
