/**
 * The half-year work report (contract: `GET /v1/funds/{fundId}/reports/{yyyy}-H1|H2`), as plain data: budget,
 * allocations and what was paid per county, progress against time, failures by code, flags raised and cleared,
 * objections upheld and dismissed, notices published, and the snapshots' hashes. The HTML page and the PDF are drawn
 * from this object through one template (shared/report/), so all three show the same figures.
 */
import { chinaDate, chinaDayEnd, chinaDayStart, type FundPeriod } from './fund-period.ts';
import { fundProgress, type AllocationStanding } from './progress.ts';
import { sumTotals, type SnapshotAllocation, type SnapshotKind, type SnapshotTotals } from './snapshots.ts';

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

/**
 * Where the report's balances (allocated, reserved, paid, available, and progress from them) come from: today's
 * (`live`, while the half runs), the snapshot taken at the half's end or the first after it (`snapshot`), or today's
 * because no snapshot was taken at or after the end of a half that has ended (`live_no_snapshot`). Paid in the half
 * always comes from its own counter.
 */
export const FIGURES_SOURCES = ['live', 'snapshot', 'live_no_snapshot'] as const;
export type FiguresSource = (typeof FIGURES_SOURCES)[number];

export interface FiguresFrom {
  source: FiguresSource;
  snapshot: { snapshotId: string; takenAt: string; hash: string } | null;
}

/** The books at a half's end as a snapshot keeps them. */
export interface HalfEndSnapshot {
  snapshotId: string;
  takenAt: string;
  hash: string;
  totals: { totalBudget: number };
  allocations: readonly Pick<SnapshotAllocation, 'countyCode' | 'allocated' | 'reserved' | 'paid' | 'available'>[];
}

/** The snapshot a past half's balances come from: the first taken at or after the half's end (none while it runs). */
export function halfEndSnapshot<S extends { takenAt: string }>(snapshots: readonly S[], end: Date): S | undefined {
  const from = end.toISOString();
  return [...snapshots].filter((s) => s.takenAt >= from).sort((a, b) => byText(a.takenAt, b.takenAt))[0];
}

export interface ReportInput {
  fund: { fundId: string; name: string; totalBudget: number; period: FundPeriod };
  half: HalfYear;
  now: Date;
  /** Today's balances, and paid in the half from its counter. */
  counties: readonly ReportCounty[];
  /**
   * For a half that has ended: the snapshot at (or first after) its end, or null when there is none. Its balances
   * replace today's; a county it does not hold had no allocation then and is left out. Absent while the half runs.
   */
  halfEnd?: HalfEndSnapshot | null;
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
  /** The fund's totals at the half's end, and what was paid within the half. */
  budget: SnapshotTotals & { paidInHalf: number };
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
  figuresFrom: FiguresFrom;
}

/** The counties with the balances of the snapshot at the half's end (paid in the half stays from its counter). */
function countiesAtHalfEnd(counties: readonly ReportCounty[], snapshot: HalfEndSnapshot): ReportCounty[] {
  const today = new Map(counties.map((c) => [c.countyCode, c]));
  return snapshot.allocations.map((a) => {
    const now = today.get(a.countyCode);
    return {
      countyCode: a.countyCode,
      name: now?.name ?? a.countyCode,
      province: now?.province ?? '',
      allocated: a.allocated,
      reserved: a.reserved,
      paid: a.paid,
      available: a.available,
      paidInHalf: now?.paidInHalf ?? 0,
      createdAt: now?.createdAt ?? snapshot.takenAt,
      lastReservedAt: now?.lastReservedAt,
    };
  });
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
  const halfEnd = input.halfEnd;
  const standing = halfEnd ? countiesAtHalfEnd(input.counties, halfEnd) : input.counties;
  const totalBudget = halfEnd ? halfEnd.totals.totalBudget : input.fund.totalBudget;
  const figuresFrom: FiguresFrom = halfEnd
    ? { source: 'snapshot', snapshot: { snapshotId: halfEnd.snapshotId, takenAt: halfEnd.takenAt, hash: halfEnd.hash } }
    : { source: halfEnd === null ? 'live_no_snapshot' : 'live', snapshot: null };
  const progress = fundProgress(input.fund.period, asOf, input.now, standing);
  const byCode = new Map(progress.counties.map((c) => [c.countyCode, c]));
  const counties = [...standing].sort((a, b) => byText(a.countyCode, b.countyCode));
  return {
    fundId: input.fund.fundId,
    fundName: input.fund.name,
    half: input.half.half,
    from: input.half.from,
    to: input.half.to,
    asOf,
    generatedAt: input.now.toISOString(),
    period: input.fund.period,
    budget: { ...sumTotals(totalBudget, counties), paidInHalf: counties.reduce((t, c) => t + c.paidInHalf, 0) },
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
    figuresFrom,
  };
}
