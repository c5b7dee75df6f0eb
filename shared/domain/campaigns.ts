/**
 * County promotion campaigns: the rules as pure functions (no clock reads, no AWS).
 *
 * - Status comes from the clock unless the campaign was cancelled: `scheduled` before `startsAt`,
 *   `active` until `endsAt`, `ended` after. Intervals are half-open [startsAt, endsAt), so a campaign
 *   may start at the very instant the previous one of its county and channel ends.
 * - Only live campaigns (not cancelled, not yet ended) block a new one of the same county and channel.
 */
import type { FieldError } from './errors.ts';

export const CHANNELS = ['taobao', 'tmall', 'rural-taobao', 'livestream'] as const;
export type Channel = (typeof CHANNELS)[number];

export const CAMPAIGN_STATUSES = ['scheduled', 'active', 'ended', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const MAX_PRODUCTS = 100;
export const MAX_CAMPAIGN_DAYS = 90;
export const MAX_CAMPAIGN_MS = MAX_CAMPAIGN_DAYS * 24 * 60 * 60 * 1000;
/** A launch may name a start a little in the past: clocks and queues are never perfectly in step. */
export const START_GRACE_MS = 5 * 60 * 1000;

export interface Product {
  sku: string;
  name: string;
  unitPrice: number;
  promoPrice: number;
}

/** A campaign's time window, epoch milliseconds, half-open. */
export interface Interval {
  startsAt: number;
  endsAt: number;
}

export interface LiveInterval extends Interval {
  campaignId: string;
}

export interface CampaignResults {
  orders: number;
  unitsSold: number;
  grossSales: number;
  reportedAt: string | null;
}

export const NO_RESULTS: CampaignResults = { orders: 0, unitsSold: 0, grossSales: 0, reportedAt: null };

export function campaignStatus(c: { startsAt: string; endsAt: string; cancelledAt?: string | null }, now: Date): CampaignStatus {
  if (c.cancelledAt) return 'cancelled';
  const t = now.getTime();
  if (t < Date.parse(c.startsAt)) return 'scheduled';
  if (t < Date.parse(c.endsAt)) return 'active';
  return 'ended';
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.startsAt < b.endsAt && b.startsAt < a.endsAt;
}

/** Intervals still live at `now` (ended ones no longer block anything). */
export function stillLive<T extends Interval>(intervals: readonly T[], now: Date): T[] {
  return intervals.filter((i) => i.endsAt > now.getTime());
}

/** The live campaign the candidate would overlap, if any. */
export function firstOverlap<T extends Interval>(candidate: Interval, live: readonly T[], now: Date): T | undefined {
  return stillLive(live, now).find((i) => overlaps(candidate, i));
}

/**
 * The rules a launch body must meet beyond its field types, independent of the clock: unique skus,
 * promoPrice ≤ unitPrice, endsAt after startsAt and at most 90 days later. Paths name the field.
 */
export function launchShapeErrors(input: { products: readonly Product[]; startsAt: string; endsAt: string }): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Map<string, number>();
  input.products.forEach((p, i) => {
    const first = seen.get(p.sku);
    if (first !== undefined) errors.push({ path: `products.${i}.sku`, message: `duplicate sku "${p.sku}" (also products.${first}.sku)` });
    else seen.set(p.sku, i);
    if (p.promoPrice > p.unitPrice) {
      errors.push({ path: `products.${i}.promoPrice`, message: 'promoPrice must not exceed unitPrice' });
    }
  });
  const starts = Date.parse(input.startsAt);
  const ends = Date.parse(input.endsAt);
  if (!(ends > starts)) errors.push({ path: 'endsAt', message: 'endsAt must be after startsAt' });
  else if (ends - starts > MAX_CAMPAIGN_MS) {
    errors.push({ path: 'endsAt', message: `a campaign runs at most ${MAX_CAMPAIGN_DAYS} days` });
  }
  return errors;
}

/** The clock rule of a launch: startsAt may not lie more than the grace period in the past. */
export function launchClockErrors(input: { startsAt: string }, now: Date): FieldError[] {
  return Date.parse(input.startsAt) < now.getTime() - START_GRACE_MS
    ? [{ path: 'startsAt', message: 'startsAt must not be in the past' }]
    : [];
}

/** A results snapshot cannot describe the future (same grace as launches for clock skew). */
export function resultsClockErrors(report: { reportedAt: string }, now: Date): FieldError[] {
  return Date.parse(report.reportedAt) > now.getTime() + START_GRACE_MS
    ? [{ path: 'reportedAt', message: 'reportedAt must not be in the future' }]
    : [];
}

/** Whether sales figures may be reported: only for a campaign that has started (cancelled ones only if they had). */
export function acceptsResults(c: { startsAt: string; cancelledAt?: string | null }, now: Date): boolean {
  const started = Date.parse(c.startsAt);
  if (c.cancelledAt) return Date.parse(c.cancelledAt) > started;
  return now.getTime() >= started;
}

export type ResultsDecision = { kind: 'apply'; deltas: { orders: number; unitsSold: number; grossSales: number } } | { kind: 'ignore' };

/**
 * A cumulative snapshot replaces the stored one only when it is newer; the county aggregates move
 * by the difference (which may be negative: refunds lower cumulative figures). A snapshot of the
 * same instant as the stored one is a resend and is ignored, like an older one.
 */
export function decideResults(
  stored: CampaignResults,
  report: Omit<CampaignResults, 'reportedAt'> & { reportedAt: string },
): ResultsDecision {
  if (stored.reportedAt !== null && Date.parse(report.reportedAt) <= Date.parse(stored.reportedAt)) return { kind: 'ignore' };
  return {
    kind: 'apply',
    deltas: {
      orders: report.orders - stored.orders,
      unitsSold: report.unitsSold - stored.unitsSold,
      grossSales: report.grossSales - stored.grossSales,
    },
  };
}

/**
 * The clock-driven part of the county report. Writes keep `launched` and `cancelled` exact; the
 * live intervals (from the per-channel index) say how many of the rest are scheduled or active now,
 * and whatever is neither has ended.
 */
export function campaignCounts(
  totals: { launched: number; cancelled: number },
  live: readonly Interval[],
  now: Date,
): { scheduled: number; active: number; ended: number; cancelled: number } {
  const t = now.getTime();
  let scheduled = 0;
  let active = 0;
  for (const i of live) {
    if (t < i.startsAt) scheduled++;
    else if (t < i.endsAt) active++;
  }
  return { scheduled, active, ended: totals.launched - totals.cancelled - scheduled - active, cancelled: totals.cancelled };
}
