/**
 * A fund's period (`period: { startsOn, endsOn }`): the span its money is meant to be spent in, as calendar dates in
 * China time (UTC+8, no daylight saving). Both dates are inclusive: the default period of a fund created in 2026 is
 * 2026-01-01 .. 2026-12-31, and by the end of 2026-12-31 all of its time has gone by.
 */
import { DAY_MS } from './durations.ts';

export const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;
/** At most five years: `endsOn` falls before the same date five years after `startsOn`. */
export const MAX_PERIOD_YEARS = 5;

export interface FundPeriod {
  startsOn: string;
  endsOn: string;
}

/** The parts of a date; text around them is refused by the read-back below. */
const DATE = /(\d{4})-(\d{2})-(\d{2})/;

/** Days since 1970-01-01 of a `yyyy-mm-dd` calendar date, or undefined when it is no real date. */
export function dayNumber(date: string): number | undefined {
  const match = DATE.exec(date);
  if (!match) return undefined;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const ms = Date.UTC(year, month - 1, day);
  // A day or month out of range rolls over (2026-02-30 is 2026-03-02), years 0..99 mean 1900..1999: read back, no
  // longer the same date.
  if (new Date(ms).toISOString().slice(0, 10) !== date) return undefined;
  return ms / DAY_MS;
}

/** The `yyyy-mm-dd` date of a day number. */
export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The calendar date in China at an instant. */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** The calendar month (`yyyy-mm`) in China at an instant. */
export function chinaMonth(at: Date): string {
  return chinaDate(at).slice(0, 7);
}

/** The instant a China calendar day begins (00:00 UTC+8). */
export function chinaDayStart(date: string): Date {
  const day = dayNumber(date);
  if (day === undefined) throw new RangeError(`not a date: ${date}`);
  return new Date(day * DAY_MS - CHINA_OFFSET_MS);
}

/** The instant a China calendar day ends (24:00 UTC+8, the next day's start). */
export function chinaDayEnd(date: string): Date {
  return new Date(chinaDayStart(date).getTime() + DAY_MS);
}

/** The default period: the calendar year, in China time, of the fund's creation. */
export function defaultPeriod(createdAt: Date): FundPeriod {
  const year = chinaDate(createdAt).slice(0, 4);
  return { startsOn: `${year}-01-01`, endsOn: `${year}-12-31` };
}

/** Why a period is refused, or undefined when it is a valid one. */
export function periodProblem(period: FundPeriod): string | undefined {
  const starts = dayNumber(period.startsOn);
  const ends = dayNumber(period.endsOn);
  if (starts === undefined) return 'startsOn must be a calendar date (yyyy-mm-dd)';
  if (ends === undefined) return 'endsOn must be a calendar date (yyyy-mm-dd)';
  if (ends <= starts) return 'endsOn must be after startsOn';
  const limit = new Date(starts * DAY_MS);
  limit.setUTCFullYear(limit.getUTCFullYear() + MAX_PERIOD_YEARS);
  if (ends >= limit.getTime() / DAY_MS) return `a period spans at most ${MAX_PERIOD_YEARS} years`;
  return undefined;
}

/** The period's length in whole days, both ends included. */
export function periodDays(period: FundPeriod): number {
  return dayNumber(period.endsOn)! - dayNumber(period.startsOn)! + 1;
}

/**
 * The days of the period gone by at the end of `asOf` (a China date), from 0 (asOf before the period) to
 * `periodDays` (asOf on or after its last day).
 */
export function elapsedDays(period: FundPeriod, asOf: string): number {
  const through = dayNumber(asOf);
  if (through === undefined) throw new RangeError(`not a date: ${asOf}`);
  return Math.min(periodDays(period), Math.max(0, through - dayNumber(period.startsOn)! + 1));
}
