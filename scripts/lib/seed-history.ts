/**
 * The history `npm run seed` writes for a new model fund, so that the Progress and Reports pages are worth opening:
 * a period that began five months ago, each county's allocation set at its start, and payouts spread over the
 * months since, each requested, approved by another person and settled by the finance system, through the API at
 * the past instant it stands for (the local runtime's X-Local-Clock). One county lags (little paid, lately), one
 * has idle money (paid early, nothing reserved for months); the others keep pace with the time elapsed.
 * Pure: the plan only; scripts/seed.ts sends it.
 */
import { chinaDate, chinaDayStart, dateOfDay, dayNumber, type FundPeriod } from '#shared/domain/fund-period';

export interface SeedPayment {
  countyCode: string;
  amount: number;
  /** Requested, approved and settled at these instants (RFC 3339, UTC), in that order, all in the past. */
  requestAt: string;
  approveAt: string;
  settleAt: string;
  /** Unique per payment: its Idempotency-Key, bank reference and account number come from it. */
  ref: string;
}

export interface SeedHistory {
  period: FundPeriod;
  fundCreatedAt: string;
  allocatedAt: string;
  payments: SeedPayment[];
  /** The county planned to lag (15 points or more behind the time elapsed). */
  lagging: string;
  /** The county planned to hold idle money (no reservation for more than 90 days). */
  idle: string;
}

const HOUR = 60 * 60 * 1000;
/** How many months back the period begins. */
export const SEED_MONTHS_BACK = 5;

/** The first day of the China month `back` months before `now`'s, as yyyy-mm-dd. */
function monthStart(now: Date, back: number): string {
  const [y, m] = chinaDate(now).split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) - back;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01`;
}

/** An instant on a China calendar day: `hours` after its midnight. */
function on(date: string, hours: number): string {
  return new Date(chinaDayStart(date).getTime() + hours * HOUR).toISOString();
}

function addDays(date: string, days: number): string {
  return dateOfDay(dayNumber(date)! + days);
}

export function seedHistory(now: Date, counties: readonly string[], allocation: number): SeedHistory {
  const startsOn = monthStart(now, SEED_MONTHS_BACK);
  const nextYear = `${Number(startsOn.slice(0, 4)) + 1}${startsOn.slice(4)}`;
  const period = { startsOn, endsOn: addDays(nextYear, -1) };
  const lagging = counties[2]!;
  const idle = counties[3]!;
  const payments: SeedPayment[] = [];
  const pay = (countyCode: string, month: number, day: number, percent: number) => {
    const date = addDays(monthStart(now, SEED_MONTHS_BACK - month), day);
    payments.push({
      countyCode,
      amount: Math.floor((allocation * percent) / 100),
      requestAt: on(date, 9),
      approveAt: on(date, 15),
      settleAt: on(addDays(date, 2), 11),
      ref: `${countyCode}-${month}-${day}`,
    });
  };
  counties.forEach((countyCode, i) => {
    if (countyCode === lagging) {
      // Late and little: 5 % paid against some 40 % of the time gone by.
      pay(countyCode, 3, 12, 2);
      pay(countyCode, 4, 12, 3);
    } else if (countyCode === idle) {
      // Early and then nothing: 45 % paid in the first month, the rest untouched since.
      for (const day of [8, 9, 10]) pay(countyCode, 0, day, 15);
    } else {
      // Every month, 8 to 10 % of the allocation: in step with the time.
      for (let month = 0; month < SEED_MONTHS_BACK; month++) pay(countyCode, month, 9 + (i % 5), 8 + (i % 3));
    }
  });
  payments.sort((a, b) => a.requestAt.localeCompare(b.requestAt) || a.ref.localeCompare(b.ref));
  return { period, fundCreatedAt: on(startsOn, 1), allocatedAt: on(startsOn, 2), payments, lagging, idle };
}
