/** `GET /v1/funds/{fundId}/progress`: the fund's standing, read once, and the pure progress rules over it. */
import { validationFailed } from '../../domain/errors.ts';
import { chinaDate } from '../../domain/fund-period.ts';
import { fundProgress, type FundProgress } from '../../domain/progress.ts';
import { readFundStanding } from './items.ts';

export async function fundProgressAt(fundId: string, asOf: string | undefined, now: Date): Promise<FundProgress & { fundId: string }> {
  const today = chinaDate(now);
  // The figures are today's balances: a later date would read as a forecast, which they are not.
  if (asOf !== undefined && asOf > today)
    throw validationFailed([{ path: 'asOf', message: `must not be after today (${today}, China time)` }]);
  const standing = await readFundStanding(fundId);
  const counties = [...standing.allocations].sort((a, b) => (a.countyCode < b.countyCode ? -1 : 1));
  return { fundId, ...fundProgress(standing.period, asOf ?? today, now, counties) };
}
