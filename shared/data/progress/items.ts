/**
 * Where a fund's money stands, read from what the ledger already holds: the fund's period and each allocation's
 * balances with the two times the allocation item keeps (`createdAt`, and `lastReservedAt`, written by every
 * reservation in shared/data/ledger/move.ts). No history is scanned: the fund's allocations, read from their shards
 * and the partition of those stored before them (800 counties are about 800 small items, a few query pages).
 */
import { defaultPeriod, type FundPeriod } from '../../domain/fund-period.ts';
import type { AllocationStanding } from '../../domain/progress.ts';
import { keys } from '../platform/keys.ts';
import { requireItem } from '../platform/query.ts';
import { allocationItems } from '../funds/items.ts';

export interface FundStanding {
  fundId: string;
  createdAt: string;
  totalBudget: number;
  period: FundPeriod;
  /** By county code. */
  allocations: (AllocationStanding & { reserved: number; ledger: { seq: number; at: string | null } })[];
}

export async function readFundStanding(fundId: string): Promise<FundStanding> {
  const [fund, items] = await Promise.all([
    requireItem(keys.fund(fundId), `Fund ${fundId}`),
    allocationItems(fundId, { consistent: true }),
  ]);
  const createdAt = fund.createdAt as string;
  return {
    fundId,
    createdAt,
    totalBudget: fund.totalBudget as number,
    period: (fund.period as FundPeriod | undefined) ?? defaultPeriod(new Date(createdAt)),
    allocations: items.map((item) => ({
      countyCode: item.countyCode as string,
      allocated: item.allocated as number,
      reserved: item.reserved as number,
      paid: item.paid as number,
      available: item.available as number,
      createdAt: item.createdAt as string,
      lastReservedAt: item.lastReservedAt as string | undefined,
      ledger: { seq: (item.seq as number | undefined) ?? 0, at: (item.ledgerAt as string | undefined) ?? null },
    })),
  };
}
