import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  acceptsResults,
  campaignCounts,
  campaignStatus,
  decideResults,
  firstOverlap,
  launchClockErrors,
  MAX_CAMPAIGN_MS,
  NO_RESULTS,
  START_GRACE_MS,
  stillLive,
  type LiveInterval,
} from '#shared/domain/campaigns';
import { LaunchCampaignBody } from '#shared/schemas/campaigns';

const HOUR = 3_600_000;
const T0 = Date.parse('2027-01-01T00:00:00Z');
const iso = (t: number) => new Date(t).toISOString();

const product = fc.record({
  sku: fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,11}$/),
  name: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim().length > 0),
  unitPrice: fc.integer({ min: 1, max: 10_000_000 }),
  promoPrice: fc.integer({ min: 1, max: 10_000_000 }),
});

const launchBody = fc.record({
  countyCode: fc.constantFrom('500236', '532528', '622926'),
  title: fc.constant('Spring tea'),
  channel: fc.constantFrom('taobao', 'tmall', 'rural-taobao', 'livestream'),
  products: fc.array(product, { minLength: 1, maxLength: 8 }),
  startOffset: fc.integer({ min: 0, max: 100 * 24 * HOUR }),
  length: fc.integer({ min: -HOUR, max: 100 * 24 * HOUR }),
});

describe('launch validation', () => {
  it('accepts a body exactly when skus are unique, every promoPrice ≤ unitPrice and 0 < length ≤ 90 days', () => {
    fc.assert(
      fc.property(launchBody, ({ startOffset, length, ...rest }) => {
        const body = { ...rest, startsAt: iso(T0 + startOffset), endsAt: iso(T0 + startOffset + length) };
        const skus = rest.products.map((p) => p.sku);
        const expected =
          new Set(skus).size === skus.length &&
          rest.products.every((p) => p.promoPrice <= p.unitPrice) &&
          length > 0 &&
          length <= MAX_CAMPAIGN_MS;
        const parsed = LaunchCampaignBody.safeParse(body);
        expect(parsed.success).toBe(expected);
        if (!parsed.success) {
          // Every complaint names the field it is about.
          for (const issue of parsed.error.issues) expect(issue.path.length).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('names the duplicate sku and the price that breaks the rule by index', () => {
    const parsed = LaunchCampaignBody.safeParse({
      countyCode: '500236',
      title: 'x',
      channel: 'taobao',
      products: [
        { sku: 'A', name: 'a', unitPrice: 10, promoPrice: 10 },
        { sku: 'B', name: 'b', unitPrice: 10, promoPrice: 11 },
        { sku: 'A', name: 'c', unitPrice: 10, promoPrice: 1 },
      ],
      startsAt: iso(T0),
      endsAt: iso(T0 + HOUR),
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['products.1.promoPrice', 'products.2.sku']);
  });

  it('rejects non-integer and out-of-range prices, unknown channels, too many products and extra fields', () => {
    const good = {
      countyCode: '500236',
      title: 'x',
      channel: 'taobao',
      products: [{ sku: 'A', name: 'a', unitPrice: 10, promoPrice: 10 }],
      startsAt: iso(T0),
      endsAt: iso(T0 + HOUR),
    };
    expect(LaunchCampaignBody.safeParse(good).success).toBe(true);
    const bad = [
      { ...good, products: [{ sku: 'A', name: 'a', unitPrice: 10.5, promoPrice: 10 }] },
      { ...good, products: [{ sku: 'A', name: 'a', unitPrice: 0, promoPrice: 0 }] },
      { ...good, products: [{ sku: 'A', name: 'a', unitPrice: 10 ** 13 + 1, promoPrice: 1 }] },
      { ...good, channel: 'douyin' },
      { ...good, products: Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, name: 'n', unitPrice: 2, promoPrice: 1 })) },
      { ...good, countyCode: '12345' },
      { ...good, startsAt: '2027-01-01' },
      { ...good, budget: 1 },
    ];
    for (const body of bad) expect(LaunchCampaignBody.safeParse(body).success).toBe(false);
  });

  it('lets a start lie at most five minutes in the past', () => {
    fc.assert(
      fc.property(fc.integer({ min: -24 * HOUR, max: 24 * HOUR }), (offset) => {
        const errors = launchClockErrors({ startsAt: iso(T0 + offset) }, new Date(T0));
        expect(errors.length === 0).toBe(offset >= -START_GRACE_MS);
      }),
    );
  });
});

/** Windows on a small grid, so overlaps, touching ends and containment all come up often. */
const windowArb = fc
  .record({ start: fc.integer({ min: 0, max: 40 }), length: fc.integer({ min: 1, max: 12 }) })
  .map(({ start, length }) => ({ startsAt: T0 + start * HOUR, endsAt: T0 + (start + length) * HOUR }));

describe('the overlap rule', () => {
  it('launching windows one by one keeps the live set pairwise disjoint and rejects only real overlaps', () => {
    fc.assert(
      fc.property(fc.array(windowArb, { maxLength: 30 }), fc.integer({ min: -5, max: 60 }), (windows, nowHour) => {
        const now = new Date(T0 + nowHour * HOUR);
        let live: LiveInterval[] = [];
        windows.forEach((w, i) => {
          const clash = firstOverlap(w, live, now);
          const bruteForce = live.filter((l) => l.endsAt > now.getTime()).some((l) => w.startsAt < l.endsAt && l.startsAt < w.endsAt);
          expect(clash !== undefined).toBe(bruteForce);
          if (!clash) live = [...stillLive(live, now), { ...w, campaignId: `cmp_${i}` }];
        });
        const current = stillLive(live, now);
        for (const a of current)
          for (const b of current) {
            if (a !== b) expect(a.startsAt < b.endsAt && b.startsAt < a.endsAt).toBe(false);
          }
      }),
    );
  });

  it('lets a window start exactly when another ends, and ignores windows that have ended', () => {
    const live = [{ campaignId: 'cmp_a', startsAt: T0, endsAt: T0 + HOUR }];
    expect(firstOverlap({ startsAt: T0 + HOUR, endsAt: T0 + 2 * HOUR }, live, new Date(T0))).toBeUndefined();
    expect(firstOverlap({ startsAt: T0 - HOUR, endsAt: T0 + 1 }, live, new Date(T0))?.campaignId).toBe('cmp_a');
    expect(firstOverlap({ startsAt: T0, endsAt: T0 + HOUR }, live, new Date(T0 + HOUR))).toBeUndefined();
  });
});

describe('status and the county counts come from the clock', () => {
  it('counts every launched campaign exactly once, whatever the time', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ w: windowArb, cancelAtHour: fc.option(fc.integer({ min: -5, max: 60 }), { nil: undefined }) }), {
          maxLength: 20,
        }),
        fc.integer({ min: -5, max: 80 }),
        (campaigns, nowHour) => {
          const now = new Date(T0 + nowHour * HOUR);
          // Cancelled campaigns leave the live index; only those cancelled before they ended can be.
          const entries = campaigns.map(({ w, cancelAtHour }) => {
            const cancelledAt = cancelAtHour !== undefined && T0 + cancelAtHour * HOUR < w.endsAt ? iso(T0 + cancelAtHour * HOUR) : null;
            return { startsAt: iso(w.startsAt), endsAt: iso(w.endsAt), cancelledAt, w };
          });
          const live = entries.filter((e) => !e.cancelledAt).map((e) => e.w);
          const counts = campaignCounts({ launched: entries.length, cancelled: entries.filter((e) => e.cancelledAt).length }, live, now);
          const expected = { scheduled: 0, active: 0, ended: 0, cancelled: 0 };
          for (const e of entries) expected[campaignStatus(e, now)] += 1;
          expect(counts).toEqual(expected);
        },
      ),
    );
  });

  it('results are accepted once a campaign has started, and from a cancelled one only if it had', () => {
    const c = { startsAt: iso(T0), endsAt: iso(T0 + 10 * HOUR) };
    expect(acceptsResults(c, new Date(T0 - 1))).toBe(false);
    expect(acceptsResults(c, new Date(T0))).toBe(true);
    expect(acceptsResults({ ...c, cancelledAt: iso(T0 - HOUR) }, new Date(T0 + HOUR))).toBe(false);
    expect(acceptsResults({ ...c, cancelledAt: iso(T0 + HOUR) }, new Date(T0 + 2 * HOUR))).toBe(true);
  });
});

describe('results snapshots', () => {
  const snapshot = fc.record({
    minute: fc.integer({ min: 0, max: 100 }),
    orders: fc.nat(1_000),
    unitsSold: fc.nat(1_000),
    grossSales: fc.nat(1_000_000),
  });

  it('in any arrival order, the stored figures are the newest snapshot and the summed deltas equal them', () => {
    fc.assert(
      fc.property(fc.array(snapshot, { minLength: 1, maxLength: 15 }), (snapshots) => {
        let stored = NO_RESULTS;
        const totals = { orders: 0, unitsSold: 0, grossSales: 0 };
        for (const s of snapshots) {
          const report = { orders: s.orders, unitsSold: s.unitsSold, grossSales: s.grossSales, reportedAt: iso(T0 + s.minute * 60_000) };
          const decision = decideResults(stored, report);
          if (decision.kind === 'apply') {
            totals.orders += decision.deltas.orders;
            totals.unitsSold += decision.deltas.unitsSold;
            totals.grossSales += decision.deltas.grossSales;
            stored = report;
          }
        }
        const newest = Math.max(...snapshots.map((s) => s.minute));
        const firstNewest = snapshots.find((s) => s.minute === newest)!;
        expect(stored.reportedAt).toBe(iso(T0 + newest * 60_000));
        expect({ orders: stored.orders, unitsSold: stored.unitsSold, grossSales: stored.grossSales }).toEqual({
          orders: firstNewest.orders,
          unitsSold: firstNewest.unitsSold,
          grossSales: firstNewest.grossSales,
        });
        expect(totals).toEqual({ orders: stored.orders, unitsSold: stored.unitsSold, grossSales: stored.grossSales });
      }),
    );
  });
});
