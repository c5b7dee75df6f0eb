/** `GET /v1/funds/{fundId}/progress`: the fund's standing, read once, and the pure progress rules over it. */
import { validationFailed } from '../../domain/errors.ts';
import { chinaDate } from '../../domain/fund-period.ts';
import { fundProgress, type FundProgress } from '../../domain/progress.ts';
import { readFundStanding } from './items.ts';

const EARLIEST_AS_OF = '1970-01-01';

export async function fundProgressAt(fundId: string, asOf: string | undefined, now: Date): Promise<FundProgress & { fundId: string }> {
  const today = chinaDate(now);
  // The figures are today's balances: a later date would read as a forecast, which they are not.
  // Nor before 1970: no fund's books reach back that far, and such a date (year 0000) is not one the rules can count.
  if (asOf !== undefined && (asOf > today || asOf < EARLIEST_AS_OF))
    throw validationFailed([{ path: 'asOf', message: `must be a date from ${EARLIEST_AS_OF} to today (${today}, China time)` }]);
  const standing = await readFundStanding(fundId);
  const counties = [...standing.allocations].sort((a, b) => (a.countyCode < b.countyCode ? -1 : 1));
  return { fundId, ...fundProgress(standing.period, asOf ?? today, now, counties) };
}
