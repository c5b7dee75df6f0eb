/**
 * A campaign's time window at its edges, with the figures written out: the 90-day cap, the five
 * minutes of grace for clocks out of step, half-open intervals, and which results reports count.
 */
import { describe, expect, it } from 'vitest';
import {
  acceptsResults,
  campaignCounts,
  campaignStatus,
  decideResults,
  launchClockErrors,
  launchShapeErrors,
  overlaps,
  resultsClockErrors,
  stillLive,
  NO_RESULTS,
  type Product,
} from '#shared/domain/campaigns';

const TEA: Product = { sku: 'TEA-1', name: 'Xiushan green tea', unitPrice: 8_800, promoPrice: 6_600 };
const NOW = new Date('2027-01-01T08:00:00.000Z');

const shape = (startsAt: string, endsAt: string, products: Product[] = [TEA]) => launchShapeErrors({ products, startsAt, endsAt });

describe('the campaign window', () => {
  it('a campaign of exactly 90 days is accepted, 90 days + 1 ms is refused', () => {
    expect(shape('2027-01-01T00:00:00.000Z', '2027-04-01T00:00:00.000Z')).toEqual([]);
    expect(shape('2027-01-01T00:00:00.000Z', '2027-04-01T00:00:00.001Z')).toEqual([
      { path: 'endsAt', message: 'a campaign runs at most 90 days' },
    ]);
  });

  it('a campaign must end after it starts: one millisecond is enough, the same instant or earlier is refused', () => {
    expect(shape('2027-01-01T00:00:00.000Z', '2027-01-01T00:00:00.001Z')).toEqual([]);
    const refused = [{ path: 'endsAt', message: 'endsAt must be after startsAt' }];
    expect(shape('2027-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z')).toEqual(refused);
    expect(shape('2027-01-02T00:00:00.000Z', '2027-01-01T00:00:00.000Z')).toEqual(refused);
  });

  it('a window that cannot be read as dates is refused, not waved through', () => {
    expect(shape('not a date', '2027-01-01T00:00:00.000Z').map((e) => e.path)).toEqual(['endsAt']);
  });

  it('a start exactly five minutes in the past is accepted, one millisecond more is refused', () => {
    expect(launchClockErrors({ startsAt: '2027-01-01T07:55:00.000Z' }, NOW)).toEqual([]);
    expect(launchClockErrors({ startsAt: '2027-01-01T07:54:59.999Z' }, NOW)).toEqual([
      { path: 'startsAt', message: 'startsAt must not be in the past' },
    ]);
    expect(launchClockErrors({ startsAt: '2027-03-01T00:00:00.000Z' }, NOW)).toEqual([]);
  });
});

describe('products of a launch', () => {
  it('a promotional price equal to the unit price is accepted, one fen above it is refused', () => {
    expect(shape('2027-01-01T00:00:00.000Z', '2027-01-02T00:00:00.000Z', [{ ...TEA, promoPrice: 8_800 }])).toEqual([]);
    expect(shape('2027-01-01T00:00:00.000Z', '2027-01-02T00:00:00.000Z', [{ ...TEA, promoPrice: 8_801 }])).toEqual([
      { path: 'products.0.promoPrice', message: 'promoPrice must not exceed unitPrice' },
    ]);
  });

  it('a repeated sku is named where it repeats, with where it first appeared', () => {
    const products = [TEA, { ...TEA, sku: 'HONEY-1' }, { ...TEA, name: 'Tea again' }, { ...TEA, name: 'Tea once more' }];
    expect(shape('2027-01-01T00:00:00.000Z', '2027-01-02T00:00:00.000Z', products)).toEqual([
      { path: 'products.2.sku', message: 'duplicate sku "TEA-1" (also products.0.sku)' },
      { path: 'products.3.sku', message: 'duplicate sku "TEA-1" (also products.0.sku)' },
    ]);
  });
});

describe('results reports and the clock', () => {
  it('a report dated up to five minutes ahead is accepted (clock skew), one millisecond more is refused', () => {
    expect(resultsClockErrors({ reportedAt: '2027-01-01T08:05:00.000Z' }, NOW)).toEqual([]);
    expect(resultsClockErrors({ reportedAt: '2027-01-01T08:05:00.001Z' }, NOW)).toEqual([
      { path: 'reportedAt', message: 'reportedAt must not be in the future' },
    ]);
    expect(resultsClockErrors({ reportedAt: '2026-12-31T08:00:00.000Z' }, NOW)).toEqual([]);
  });

  it('a campaign cancelled at the very instant it was to start never ran and takes no results', () => {
    const c = { startsAt: '2027-01-01T00:00:00.000Z', endsAt: '2027-01-10T00:00:00.000Z' };
    expect(acceptsResults({ ...c, cancelledAt: '2027-01-01T00:00:00.000Z' }, NOW)).toBe(false);
    expect(acceptsResults({ ...c, cancelledAt: '2027-01-01T00:00:00.001Z' }, NOW)).toBe(true);
  });
});

describe('results snapshots', () => {
  const stored = { orders: 40, unitsSold: 120, grossSales: 792_000, reportedAt: '2027-01-01T06:00:00.000Z' };

  it('the first snapshot counts in full', () => {
    expect(decideResults(NO_RESULTS, { orders: 40, unitsSold: 120, grossSales: 792_000, reportedAt: '2027-01-01T06:00:00.000Z' })).toEqual({
      kind: 'apply',
      deltas: { orders: 40, unitsSold: 120, grossSales: 792_000 },
    });
  });

  it('a newer snapshot moves the county figures by the difference, which refunds can make negative', () => {
    expect(decideResults(stored, { orders: 38, unitsSold: 130, grossSales: 800_000, reportedAt: '2027-01-01T06:00:00.001Z' })).toEqual({
      kind: 'apply',
      deltas: { orders: -2, unitsSold: 10, grossSales: 8_000 },
    });
  });

  it('a resend of the same instant, or an older snapshot, is ignored', () => {
    expect(decideResults(stored, { ...stored, orders: 99 })).toEqual({ kind: 'ignore' });
    expect(decideResults(stored, { ...stored, orders: 99, reportedAt: '2027-01-01T05:59:59.999Z' })).toEqual({ kind: 'ignore' });
  });
});

describe('status from the clock', () => {
  const c = { startsAt: '2027-01-01T00:00:00.000Z', endsAt: '2027-01-10T00:00:00.000Z' };

  it('scheduled until the start, active from the start instant, ended from the end instant', () => {
    expect(campaignStatus(c, new Date('2026-12-31T23:59:59.999Z'))).toBe('scheduled');
    expect(campaignStatus(c, new Date('2027-01-01T00:00:00.000Z'))).toBe('active');
    expect(campaignStatus(c, new Date('2027-01-09T23:59:59.999Z'))).toBe('active');
    expect(campaignStatus(c, new Date('2027-01-10T00:00:00.000Z'))).toBe('ended');
  });

  it('a cancelled campaign is cancelled whatever the clock says', () => {
    expect(campaignStatus({ ...c, cancelledAt: '2027-01-02T00:00:00.000Z' }, new Date('2027-01-05T00:00:00.000Z'))).toBe('cancelled');
    expect(campaignStatus({ ...c, cancelledAt: null }, new Date('2027-01-05T00:00:00.000Z'))).toBe('active');
  });

  it('the county report counts at the edges the way the status does', () => {
    const start = Date.parse(c.startsAt);
    const end = Date.parse(c.endsAt);
    const live = [{ startsAt: start, endsAt: end }];
    const totals = { launched: 3, cancelled: 1 };
    expect(campaignCounts(totals, live, new Date(start - 1))).toEqual({ scheduled: 1, active: 0, ended: 1, cancelled: 1 });
    expect(campaignCounts(totals, live, new Date(start))).toEqual({ scheduled: 0, active: 1, ended: 1, cancelled: 1 });
    expect(campaignCounts(totals, live, new Date(end))).toEqual({ scheduled: 0, active: 0, ended: 2, cancelled: 1 });
  });
});

describe('overlap of two windows (half-open)', () => {
  const a = { startsAt: 1_000, endsAt: 2_000 };

  it('windows that only touch do not overlap, in either order', () => {
    expect(overlaps(a, { startsAt: 2_000, endsAt: 3_000 })).toBe(false);
    expect(overlaps({ startsAt: 0, endsAt: 1_000 }, a)).toBe(false);
  });

  it('one shared millisecond is an overlap, in either order; so is containment', () => {
    expect(overlaps(a, { startsAt: 1_999, endsAt: 3_000 })).toBe(true);
    expect(overlaps({ startsAt: 0, endsAt: 1_001 }, a)).toBe(true);
    expect(overlaps(a, { startsAt: 1_200, endsAt: 1_300 })).toBe(true);
  });

  it('a window stops blocking at the instant it ends', () => {
    expect(stillLive([a], new Date(1_999))).toEqual([a]);
    expect(stillLive([a], new Date(2_000))).toEqual([]);
  });
});
