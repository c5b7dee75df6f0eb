/**
 * The fund's public view, figure by figure: every field comes from the figure it names, the period and time elapsed
 * are read at asOf, progress is paid ÷ allocated rounded down, and a fund with no snapshot yet shows none.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { timeElapsed } from '#shared/domain/progress';
import { publicFundView, share } from '#shared/domain/transparency';
import { transparencyInput } from '#test/support/transparency-fixture';

describe('the public view, figure by figure', () => {
  it('shows the figures it was given, each in its own field', () => {
    const input = transparencyInput(0, {
      asOf: '2026-04-01',
      counties: [{ countyCode: '520101', name: '南明区', province: '贵州省', allocated: 3_000, paid: 1_000 }],
      notices: { published: 23 },
      objections: { upheld: 4 },
      nextCursor: 'next-page',
    });
    input.fund.allocated = 600_000;
    input.fund.paid = 150_000;
    const view = publicFundView(input);
    expect(view).toEqual({
      fundId: 'fund_01JTRANSPARENCY0000000000',
      name: '乡村振兴衔接资金 2026',
      currency: 'CNY',
      period: { startsOn: '2026-01-01', endsOn: '2026-12-31' },
      asOf: '2026-04-01',
      timeElapsed: timeElapsed({ startsOn: '2026-01-01', endsOn: '2026-12-31' }, '2026-04-01'),
      totalBudget: 1_000_000_000_000,
      allocated: 600_000,
      paid: 150_000,
      unallocated: 1_000_000_000_000 - 600_000,
      progress: 0.25,
      counties: [{ countyCode: '520101', countyName: '南明区', province: '贵州省', allocated: 3_000, paid: 1_000, progress: 0.333333 }],
      notices: { published: 23 },
      objections: { upheld: 4 },
      // The fixture's snapshot, every field as given.
      latestSnapshot: { ...input.latestSnapshot },
      nextCursor: 'next-page',
    });
    expect(view.timeElapsed).toBeGreaterThan(0.24);
  });

  it('shows no snapshot before the first one is taken', () => {
    expect(publicFundView(transparencyInput(2, { latestSnapshot: null })).latestSnapshot).toBeNull();
  });

  it('progress is 0 with nothing allocated, 1 when all is paid, and never above what was paid', () => {
    expect(share(0, 0)).toBe(0);
    expect(share(5, 0)).toBe(0);
    expect(share(7, 7)).toBe(1);
    expect(share(2, 3)).toBe(0.666666);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.nat(), (allocated, p) => {
        const paid = p % (allocated + 1);
        expect(share(paid, allocated) * allocated).toBeLessThanOrEqual(paid + 1e-6);
      }),
    );
  });
});
