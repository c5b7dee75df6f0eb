/**
 * The half-year work report (contract: `GET /v1/funds/{fundId}/reports/{yyyy}-H1|H2`), as plain data: budget,
 * allocations and what was paid per county, progress against time, failures by code, flags raised and cleared,
 * objections upheld and dismissed, notices published, and the snapshots' hashes. The HTML page and the PDF are drawn
 * from this object through one template (shared/report/), so all three show the same figures.
 */
import { chinaDate, chinaDayEnd, chinaDayStart, type FundPeriod } from './fund-period.ts';
import { fundProgress, type AllocationStanding } from './progress.ts';
import type { SnapshotKind } from './snapshots.ts';

const HALF = /^(\d{4})-H([12])$/;

export interface HalfYear {
  half: string;
  /** First and last day, China time, both included. */
  from: string;
  to: string;
}

/** The half-year named `yyyy-H1` or `yyyy-H2`, or undefined when the name is not one. */
export function halfYear(name: string): HalfYear | undefined {
  const match = HALF.exec(name);
  if (!match) return undefined;
  const year = match[1]!;
  return match[2] === '1'
    ? { half: name, from: `${year}-01-01`, to: `${year}-06-30` }
    : { half: name, from: `${year}-07-01`, to: `${year}-12-31` };
}

/** The half-year (China time) an instant falls in: `yyyy-H1` or `yyyy-H2`. */
export function halfOf(at: Date): string {
  const date = chinaDate(at);
  return `${date.slice(0, 4)}-H${date.slice(5, 7) <= '06' ? 1 : 2}`;
}

/** The instant a half-year starts: 00:00 China time on its first day. */
export const halfYearStart = (half: HalfYear): Date => chinaDayStart(half.from);

/** The instant a half-year ends: 24:00 China time on its last day. */
export const halfYearEnd = (half: HalfYear): Date => chinaDayEnd(half.to);

export interface ReportCounty extends AllocationStanding {
  name: string;
  province: string;
  reserved: number;
  /** Paid in the half-year itself (the ledger's `paid` entries dated inside it). */
  paidInHalf: number;
}

export interface ReportInput {
  fund: { fundId: string; name: string; totalBudget: number; period: FundPeriod };
  half: HalfYear;
  now: Date;
  counties: readonly ReportCounty[];
  failures: readonly { code: string; count: number; amount: number }[];
  flags: readonly { code: string; raised: number; cleared: number }[];
  objections: { upheld: number; dismissed: number };
  notices: { published: number };
  snapshots: readonly { snapshotId: string; kind: SnapshotKind; month: string | null; takenAt: string; hash: string }[];
}

export interface HalfYearReport {
  fundId: string;
  fundName: string;
  half: string;
  from: string;
  to: string;
  /** The day progress is read at: the half's last day, or today while the half runs. */
  asOf: string;
  generatedAt: string;
  period: FundPeriod;
  budget: {
    totalBudget: number;
    allocated: number;
    reserved: number;
    paid: number;
    available: number;
    unallocated: number;
    paidInHalf: number;
  };
  timeElapsed: number;
  counties: {
    countyCode: string;
    name: string;
    province: string;
    allocated: number;
    paid: number;
    paidInHalf: number;
    progress: number;
    lagPoints: number;
  }[];
  failures: { code: string; count: number; amount: number }[];
  flags: { code: string; raised: number; cleared: number }[];
  objections: { upheld: number; dismissed: number };
  notices: { published: number };
  snapshots: { snapshotId: string; kind: SnapshotKind; month: string | null; takenAt: string; hash: string }[];
}

/** Ascending UTF-16 order; equal keys keep the order they came in. */
function byText(a: string, b: string): number {
  if (a < b) return -1;
  // Stryker disable next-line EqualityOperator,ConditionalExpression: equivalent; they differ only for equal keys, where 1 and 0 both leave the pair as it came (V8's sort is stable)
  return a > b ? 1 : 0;
}

/** The report from its inputs; counties by code, failures and flags by code, snapshots oldest first. */
export function buildHalfYearReport(input: ReportInput): HalfYearReport {
  const today = chinaDate(input.now);
  // Stryker disable next-line EqualityOperator: equivalent; `<=` differs only when today is the last day, and then both are the same date
  const asOf = today < input.half.to ? today : input.half.to;
  const progress = fundProgress(input.fund.period, asOf, input.now, input.counties);
  const byCode = new Map(progress.counties.map((c) => [c.countyCode, c]));
  const counties = [...input.counties].sort((a, b) => byText(a.countyCode, b.countyCode));
  const sum = (field: 'allocated' | 'reserved' | 'paid' | 'available' | 'paidInHalf') => counties.reduce((t, c) => t + c[field], 0);
  const allocated = sum('allocated');
  return {
    fundId: input.fund.fundId,
    fundName: input.fund.name,
    half: input.half.half,
    from: input.half.from,
    to: input.half.to,
    asOf,
    generatedAt: input.now.toISOString(),
    period: input.fund.period,
    budget: {
      totalBudget: input.fund.totalBudget,
      allocated,
      reserved: sum('reserved'),
      paid: sum('paid'),
      available: sum('available'),
      unallocated: input.fund.totalBudget - allocated,
      paidInHalf: sum('paidInHalf'),
    },
    timeElapsed: progress.timeElapsed,
    counties: counties.map((c) => ({
      countyCode: c.countyCode,
      name: c.name,
      province: c.province,
      allocated: c.allocated,
      paid: c.paid,
      paidInHalf: c.paidInHalf,
      progress: byCode.get(c.countyCode)!.progress,
      lagPoints: byCode.get(c.countyCode)!.lagPoints,
    })),
    failures: [...input.failures].sort((a, b) => byText(a.code, b.code)),
    flags: [...input.flags].sort((a, b) => byText(a.code, b.code)),
    objections: { ...input.objections },
    notices: { ...input.notices },
    snapshots: [...input.snapshots].sort((a, b) => byText(a.takenAt, b.takenAt)),
  };
}
