/**
 * Where a fund's money stands (contract: `GET /v1/funds/{fundId}/progress`): per county, spending progress
 * (支出进度: paid ÷ allocated), its lag in points behind the time gone by, and idle money (沉淀资金: available money
 * with no reservation for more than 90 days), with the alerts they raise.
 *
 * Figures are exact rationals rounded down: `timeElapsed` and `progress` to 6 decimals, `lagPoints` to 2. Rounding
 * down keeps the alert and the figure in step: a county is `lagging` exactly when its `lagPoints` reads 15 or more.
 */
import { DAY_MS } from './durations.ts';
import { chinaDayEnd, elapsedDays, periodDays, type FundPeriod } from './fund-period.ts';

export const LAGGING_POINTS = 15;
export const IDLE_DAYS = 90;
export const ALERT_CODES = ['lagging', 'idle'] as const;
export type AlertCode = (typeof ALERT_CODES)[number];

/** An allocation as the progress needs it: its balances and the two times the allocation item keeps. */
export interface AllocationStanding {
  countyCode: string;
  allocated: number;
  paid: number;
  available: number;
  /** When the allocation was first set. */
  createdAt: string;
  /** The allocation's last reservation, if any. */
  lastReservedAt?: string | undefined;
}

export interface CountyProgress {
  countyCode: string;
  allocated: number;
  paid: number;
  progress: number;
  lagPoints: number;
  idle: { amount: number; since: string } | null;
}

export interface FundAlert {
  countyCode: string;
  code: AlertCode;
  detail: string;
}

export interface FundProgress {
  asOf: string;
  timeElapsed: number;
  counties: CountyProgress[];
  alerts: FundAlert[];
}

const MICRO = 1_000_000n;

/** ⌊n ÷ d⌋ for d > 0, also for negative n (BigInt division truncates towards zero). */
function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  // The remainder takes the sign of n: below 0 exactly when n is negative and not a multiple of d.
  return n % d < 0n ? q - 1n : q;
}

/**
 * The instant the figures stand at: the end of `asOf` (China time), or now when that is still to come. Idle time is
 * counted to this instant.
 */
export function standingInstant(asOf: string, now: Date): Date {
  return new Date(Math.min(chinaDayEnd(asOf).getTime(), now.getTime()));
}

/** The share of the period gone by at the end of `asOf`, rounded down to 6 decimals. */
export function timeElapsed(period: FundPeriod, asOf: string): number {
  return Number(floorDiv(BigInt(elapsedDays(period, asOf)) * MICRO, BigInt(periodDays(period)))) / 1e6;
}

/** The progress of one county at `asOf`; `at` is the instant idle time is counted to (see `standingInstant`). */
export function countyProgress(period: FundPeriod, asOf: string, at: Date, allocation: AllocationStanding): CountyProgress {
  const e = BigInt(elapsedDays(period, asOf));
  const t = BigInt(periodDays(period));
  const a = BigInt(allocation.allocated);
  const p = BigInt(allocation.paid);
  const progress = a === 0n ? 0 : Number(floorDiv(p * MICRO, a)) / 1e6;
  // 100 × (e/t − p/a) in hundredths of a point: 10^4 × (e·a − p·t) ÷ (t·a); with nothing allocated, progress is 0.
  const lagHundredths = a === 0n ? floorDiv(10_000n * e, t) : floorDiv(10_000n * (e * a - p * t), t * a);
  const since = allocation.lastReservedAt ?? allocation.createdAt;
  const idleFor = at.getTime() - Date.parse(since);
  return {
    countyCode: allocation.countyCode,
    allocated: allocation.allocated,
    paid: allocation.paid,
    progress,
    lagPoints: Number(lagHundredths) / 100,
    idle: allocation.available > 0 && idleFor > IDLE_DAYS * DAY_MS ? { amount: allocation.available, since } : null,
  };
}

/** An amount of idle money (more than 0 fen) in yuan: `1,234.05`. */
function yuan(fen: number): string {
  return `${Math.floor(fen / 100).toLocaleString('en-US')}.${String(fen % 100).padStart(2, '0')}`;
}

/** The alerts of one county's progress: `lagging` at 15 points or more, `idle` when it has idle money. */
export function alertsOf(county: CountyProgress): FundAlert[] {
  const alerts: FundAlert[] = [];
  if (county.lagPoints >= LAGGING_POINTS) {
    alerts.push({
      countyCode: county.countyCode,
      code: 'lagging',
      detail: `progress ${(county.progress * 100).toFixed(2)} % is ${county.lagPoints.toFixed(2)} points behind the time elapsed`,
    });
  }
  if (county.idle) {
    alerts.push({
      countyCode: county.countyCode,
      code: 'idle',
      detail: `${yuan(county.idle.amount)} yuan available with no reservation since ${county.idle.since}`,
    });
  }
  return alerts;
}

/** The fund's progress at `asOf` from its allocations. */
export function fundProgress(period: FundPeriod, asOf: string, now: Date, allocations: readonly AllocationStanding[]): FundProgress {
  const at = standingInstant(asOf, now);
  const counties = allocations.map((allocation) => countyProgress(period, asOf, at, allocation));
  return { asOf, timeElapsed: timeElapsed(period, asOf), counties, alerts: counties.flatMap(alertsOf) };
}

/** The key that makes `fund.alert` once per fund, county, code and calendar month (China time). */
export function alertKey(fundId: string, alert: Pick<FundAlert, 'countyCode' | 'code'>, month: string): string {
  return `${fundId}#${alert.countyCode}#${alert.code}#${month}`;
}

/** The alerts that raise `fund.alert` now: those not raised yet this month. */
export function alertsToRaise(fundId: string, alerts: readonly FundAlert[], month: string, raised: ReadonlySet<string>): FundAlert[] {
  const seen = new Set(raised);
  return alerts.filter((alert) => {
    const key = alertKey(fundId, alert, month);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
