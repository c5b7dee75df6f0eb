/**
 * `GET /public/funds/{fundId}` and the page `GET /transparency/{fundId}`: the fund's public view, read in a bounded
 * way per request: the fund item; its allocations, from their shards (the fund's totals need them all: ~800 small items, 17 Queries);
 * the names of one page of counties (BatchGetItem); the fund's report counters (./stats.ts: 17 Queries, the fund's
 * partition and its 16 report shards, one item a half in each, at most ten halves in a five-year period); the newest
 * snapshot (one item). Built field by field from figures
 * (shared/domain/transparency.ts): no name, account or person can reach it.
 */
import { chinaDate, defaultPeriod, type FundPeriod } from '../../domain/fund-period.ts';
import { publicFundView, type PublicFundView } from '../../domain/transparency.ts';
import { invalidCursor, decodeCursor, encodeCursor } from '../platform/cursor.ts';
import { keys } from '../platform/keys.ts';
import { readByKeys, requireItem } from '../platform/query.ts';
import { latestSnapshot } from '../snapshots/items.ts';
import { allocationItems } from '../funds/items.ts';
import { readLifetimeStats } from './stats.ts';

export async function publicFund(fundId: string, page: { limit: number; cursor?: string }, now: Date): Promise<PublicFundView> {
  const scope = `public-fund#${fundId}`;
  const after = await decodeCursor(page.cursor, scope);
  if (after !== undefined && typeof after.countyCode !== 'string') throw invalidCursor();
  const fund = await requireItem(keys.fund(fundId), `Fund ${fundId}`);
  const [allocations, lifetime, latest] = await Promise.all([
    allocationItems(fundId, { consistent: false, projection: { expression: 'countyCode, allocated, paid' } }),
    readLifetimeStats(fundId),
    latestSnapshot(fundId),
  ]);
  const sorted = allocations
    .map((a) => ({ countyCode: a.countyCode as string, allocated: a.allocated as number, paid: a.paid as number }))
    .sort((a, b) => (a.countyCode < b.countyCode ? -1 : 1));
  const from = after === undefined ? 0 : sorted.findIndex((a) => a.countyCode > (after.countyCode as string));
  const shown = from < 0 ? [] : sorted.slice(from, from + page.limit);
  const names = new Map(
    (await readByKeys(shown.map((a) => keys.county(a.countyCode)), { expression: 'countyCode, #name, province', names: { '#name': 'name' } })).map(
      (c) => [c.countyCode as string, c],
    ),
  );
  const last = shown.at(-1);
  const more = from >= 0 && from + page.limit < sorted.length;
  const snapshot = latest;
  return publicFundView({
    fund: {
      fundId,
      name: fund.name as string,
      currency: fund.currency as string,
      totalBudget: fund.totalBudget as number,
      allocated: sorted.reduce((t, a) => t + a.allocated, 0),
      paid: sorted.reduce((t, a) => t + a.paid, 0),
      period: (fund.period as FundPeriod | undefined) ?? defaultPeriod(new Date(fund.createdAt as string)),
    },
    asOf: chinaDate(now),
    counties: shown.map((a) => ({
      ...a,
      name: (names.get(a.countyCode)?.name as string | undefined) ?? a.countyCode,
      province: (names.get(a.countyCode)?.province as string | undefined) ?? '',
    })),
    notices: { published: lifetime.notices.published },
    objections: { upheld: lifetime.objections.upheld },
    latestSnapshot: snapshot
      ? { snapshotId: snapshot.snapshotId, month: snapshot.month, takenAt: snapshot.takenAt, hash: snapshot.hash }
      : null,
    nextCursor: more && last ? await encodeCursor({ countyCode: last.countyCode }, scope) : null,
  });
}
