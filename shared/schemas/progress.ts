import * as z from 'zod';
import { ALERT_CODES } from '../domain/progress.ts';
import { CountyCode, Timestamp, Total, idOf } from './common.ts';
import { contractsOf } from './contract.ts';
import { CalendarDate, FundParams } from './funds.ts';

const contract = contractsOf('Funds');

const Share = z.number().min(0).max(1);

export const CountyProgress = z
  .object({
    countyCode: CountyCode,
    allocated: Total,
    paid: Total,
    progress: Share.meta({ description: 'paid ÷ allocated, rounded down to 6 decimals (0 when nothing is allocated)' }),
    lagPoints: z.number().meta({
      description:
        '100 × (timeElapsed − paid ÷ allocated), rounded down to 2 decimals: the county is `lagging` exactly when it reads 15 or more',
    }),
    idle: z.object({ amount: Total, since: Timestamp }).nullable().meta({
      description:
        "The available money, when it has had no reservation for more than 90 days; `since`: the last one, or the allocation's creation",
    }),
  })
  .meta({ id: 'CountyProgress' });

export const FundAlert = z.object({ countyCode: CountyCode, code: z.enum(ALERT_CODES), detail: z.string() }).meta({ id: 'FundAlert' });

export const FundProgress = z
  .object({
    fundId: idOf('fund'),
    asOf: CalendarDate,
    timeElapsed: Share.meta({
      description: "The share of the fund's period gone by at the end of `asOf` (China time), rounded down to 6 decimals",
    }),
    counties: z.array(CountyProgress),
    alerts: z.array(FundAlert),
  })
  .meta({ id: 'FundProgress' });

export const getFundProgress = contract(
  'getFundProgress',
  'Where the money stands: spending progress, lag and idle money per county, with alerts',
  {
    description:
      "Figures are the allocations' balances now; `asOf` (a date, default today in China time, never later) sets the time elapsed and the " +
      'instant idle time is counted to. A county is `lagging` at 15 points or more, `idle` when its available money has had no reservation for more than 90 days.',
    params: FundParams,
    query: z.strictObject({ asOf: CalendarDate.optional() }),
    responses: { 200: { description: "The fund's progress", schema: FundProgress } },
  },
);
