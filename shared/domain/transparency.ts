/**
 * The fund's public view (公告公示; contract: `GET /public/funds/{fundId}` and the page `GET /transparency/{fundId}`):
 * budget, each county's allocation, paid and progress, notices published and objections upheld, the latest
 * snapshot's hash. Aggregates only: the view is built field by field from figures, never by copying a stored item, so
 * no name, account or person can reach it, whatever its inputs carry.
 *
 * Bounded: the counties come a page at a time (at most `MAX_PUBLIC_COUNTIES` per request), in county-code order.
 */
import type { FundPeriod } from './fund-period.ts';
import { timeElapsed } from './progress.ts';

export const DEFAULT_PUBLIC_COUNTIES = 100;
export const MAX_PUBLIC_COUNTIES = 200;

export interface PublicFundInput {
  fund: { fundId: string; name: string; currency: string; totalBudget: number; allocated: number; paid: number; period: FundPeriod };
  asOf: string;
  counties: readonly { countyCode: string; name: string; province: string; allocated: number; paid: number }[];
  notices: { published: number };
  objections: { upheld: number };
  latestSnapshot: { snapshotId: string; month: string | null; takenAt: string; hash: string } | null;
  nextCursor: string | null;
}

export interface PublicCounty {
  countyCode: string;
  countyName: string;
  province: string;
  allocated: number;
  paid: number;
  progress: number;
}

export interface PublicFundView {
  fundId: string;
  name: string;
  currency: string;
  period: FundPeriod;
  asOf: string;
  timeElapsed: number;
  totalBudget: number;
  allocated: number;
  paid: number;
  unallocated: number;
  /** Paid ÷ allocated for the whole fund. */
  progress: number;
  counties: PublicCounty[];
  notices: { published: number };
  objections: { upheld: number };
  latestSnapshot: { snapshotId: string; month: string | null; takenAt: string; hash: string } | null;
  nextCursor: string | null;
}

/** paid ÷ allocated rounded down to 6 decimals (0 when nothing is allocated), as on the progress route. */
export function share(paid: number, allocated: number): number {
  if (allocated <= 0) return 0;
  return Number((BigInt(paid) * 1_000_000n) / BigInt(allocated)) / 1e6;
}

export function publicFundView(input: PublicFundInput): PublicFundView {
  const { fund } = input;
  const snapshot = input.latestSnapshot;
  return {
    fundId: fund.fundId,
    name: fund.name,
    currency: fund.currency,
    period: { startsOn: fund.period.startsOn, endsOn: fund.period.endsOn },
    asOf: input.asOf,
    timeElapsed: timeElapsed(fund.period, input.asOf),
    totalBudget: fund.totalBudget,
    allocated: fund.allocated,
    paid: fund.paid,
    unallocated: fund.totalBudget - fund.allocated,
    progress: share(fund.paid, fund.allocated),
    counties: input.counties.map((c) => ({
      countyCode: c.countyCode,
      countyName: c.name,
      province: c.province,
      allocated: c.allocated,
      paid: c.paid,
      progress: share(c.paid, c.allocated),
    })),
    notices: { published: input.notices.published },
    objections: { upheld: input.objections.upheld },
    latestSnapshot: snapshot
      ? { snapshotId: snapshot.snapshotId, month: snapshot.month, takenAt: snapshot.takenAt, hash: snapshot.hash }
      : null,
    nextCursor: input.nextCursor,
  };
}
