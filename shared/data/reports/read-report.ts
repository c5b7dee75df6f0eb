/**
 * `GET /v1/funds/{fundId}/reports/{yyyy}-H1|H2`: the half-year report's inputs, each read in a bounded way (800
 * counties in mind, nothing scanned, no history replayed):
 * - the fund and its allocations: the fund's `ALLOC#` items from its shards (~800 small items, 17 Queries); each allocation keeps
 *   what its `paid` ledger entries of each half add up to (`paidIn<yyyy-Hn>`, ../ledger/move.ts);
 * - the counties' names: BatchGetItem by key, 100 a request;
 * - failures, flags, objections and notices: the half's few counter shards (./stats.ts), kept in the transactions
 *   that make those changes;
 * - the snapshots of the half: one Query of the key range of ids made from the half's start to a month after its end
 *   (a missed monthly snapshot is taken later, labelled with its month);
 * - for a half that has ended, its balances (allocated, reserved, paid, available, and progress from them) are the
 *   snapshot's taken at its end or the first after it (one more item when none of the above is), not today's;
 *   paid in the half stays from its counter. `figuresFrom` names the snapshot, or says there was none.
 */
import { notFound } from '../../domain/errors.ts';
import { chinaDate, defaultPeriod, type FundPeriod } from '../../domain/fund-period.ts';
import {
  buildHalfYearReport,
  halfEndSnapshot,
  halfYear,
  halfYearEnd,
  halfYearStart,
  type HalfYearReport,
} from '../../domain/half-year-report.ts';
import { DAY_MS } from '../../domain/durations.ts';
import { keys } from '../platform/keys.ts';
import { readByKeys, requireItem } from '../platform/query.ts';
import { allocationItems } from '../funds/items.ts';
import { paidInHalfAttribute } from '../ledger/items.ts';
import { firstSnapshotFrom, snapshotsTakenBetween } from '../snapshots/items.ts';
import { readReportStats } from './stats.ts';

/** How long after its half a missed monthly snapshot of one of its months is still looked for. */
const LATE_MONTHLY_DAYS = 31;

export async function halfYearReport(fundId: string, halfName: string, now: Date): Promise<HalfYearReport> {
  const half = halfYear(halfName);
  if (!half) throw notFound(`Report ${halfName}`);
  const fund = await requireItem(keys.fund(fundId), `Fund ${fundId}`);
  const createdAt = new Date(fund.createdAt as string);
  // A half still to come has no report yet; nor has one that ended before the fund existed.
  if (half.from > chinaDate(now) || halfYearEnd(half).getTime() <= createdAt.getTime()) {
    throw notFound(`Report ${halfName} of fund ${fundId}`);
  }
  const start = halfYearStart(half);
  const end = halfYearEnd(half);
  const [allocations, figures, snapshots] = await Promise.all([
    allocationItems(fundId, { consistent: true }),
    readReportStats(fundId, half.half),
    snapshotsTakenBetween(fundId, start, new Date(Math.min(end.getTime() + LATE_MONTHLY_DAYS * DAY_MS, now.getTime() + 1))),
  ]);
  const counties = new Map(
    (await readByKeys(allocations.map((a) => keys.county(a.countyCode as string)))).map((c) => [c.countyCode as string, c]),
  );
  const months = new Set(monthsOf(half.from, half.to));
  const inHalf = snapshots.filter((s) =>
    s.kind === 'monthly' ? s.month !== null && months.has(s.month) : s.takenAt >= start.toISOString() && s.takenAt < end.toISOString(),
  );
  const paidIn = paidInHalfAttribute(half.half);
  // A half that has ended stands as the snapshot at (or first after) its end shows it; the month after the half is
  // usually among those read above, else one more item.
  const ended = end.getTime() <= now.getTime();
  const halfEnd = ended ? (halfEndSnapshot(snapshots, end) ?? (await firstSnapshotFrom(fundId, end)) ?? null) : undefined;
  return buildHalfYearReport({
    fund: {
      fundId,
      name: fund.name as string,
      totalBudget: fund.totalBudget as number,
      period: (fund.period as FundPeriod | undefined) ?? defaultPeriod(createdAt),
    },
    half,
    now,
    counties: allocations.map((a) => {
      const county = counties.get(a.countyCode as string);
      return {
        countyCode: a.countyCode as string,
        name: (county?.name as string | undefined) ?? (a.countyCode as string),
        province: (county?.province as string | undefined) ?? '',
        allocated: a.allocated as number,
        reserved: a.reserved as number,
        paid: a.paid as number,
        available: a.available as number,
        paidInHalf: (a[paidIn] as number | undefined) ?? 0,
        createdAt: a.createdAt as string,
        lastReservedAt: a.lastReservedAt as string | undefined,
      };
    }),
    halfEnd,
    ...figures,
    snapshots: inHalf.map((s) => ({ snapshotId: s.snapshotId, kind: s.kind, month: s.month, takenAt: s.takenAt, hash: s.hash })),
  });
}

/** `yyyy-mm` of every month from one date's month to another's. */
function monthsOf(from: string, to: string): string[] {
  const months: string[] = [];
  let [year, month] = [Number(from.slice(0, 4)), Number(from.slice(5, 7))];
  const last = to.slice(0, 7);
  for (;;) {
    const label = `${year}-${String(month).padStart(2, '0')}`;
    months.push(label);
    if (label >= last) return months;
    month += 1;
    if (month > 12) [year, month] = [year + 1, 1];
  }
}
