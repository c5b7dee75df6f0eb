/**
 * The half-year report's rules, apart from its drawing: which half an instant falls in (China time), where a half
 * starts and ends, and what the report's JSON holds — counties, failures and flags by code, snapshots oldest first,
 * each county's progress read at the half's end (or today while it runs).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dateOfDay, dayNumber } from '#shared/domain/fund-period';
import {
  buildHalfYearReport,
  halfOf,
  halfYear,
  halfYearEnd,
  halfYearStart,
  type ReportCounty,
  type ReportInput,
} from '#shared/domain/half-year-report';
import { countyProgress, standingInstant, timeElapsed } from '#shared/domain/progress';

const PERIOD = { startsOn: '2026-01-01', endsOn: '2026-12-31' };

function county(countyCode: string, allocated: number, paid: number, over: Partial<ReportCounty> = {}): ReportCounty {
  return {
    countyCode,
    name: `县${countyCode}`,
    province: '贵州省',
    allocated,
    paid,
    reserved: 7,
    available: allocated - paid - 7,
    paidInHalf: paid,
    createdAt: '2026-01-05T02:00:00.000Z',
    ...over,
  };
}

function input(over: Partial<ReportInput> = {}): ReportInput {
  return {
    fund: { fundId: 'fund_1', name: '衔接资金', totalBudget: 10_000_000, period: PERIOD },
    half: halfYear('2026-H1')!,
    now: new Date('2026-07-03T01:00:00Z'),
    counties: [],
    failures: [],
    flags: [],
    objections: { upheld: 0, dismissed: 0 },
    notices: { published: 0 },
    snapshots: [],
    ...over,
  };
}

describe('which half-year an instant falls in', () => {
  it('goes by the China date: 16:00 UTC on 30 June is already the second half, on 31 December the next year', () => {
    expect(halfOf(new Date('2026-01-01T00:00:00Z'))).toBe('2026-H1');
    expect(halfOf(new Date('2026-06-30T15:59:59.999Z'))).toBe('2026-H1');
    expect(halfOf(new Date('2026-06-30T16:00:00Z'))).toBe('2026-H2');
    expect(halfOf(new Date('2026-09-15T00:00:00Z'))).toBe('2026-H2');
    expect(halfOf(new Date('2026-12-31T15:59:59.999Z'))).toBe('2026-H2');
    expect(halfOf(new Date('2026-12-31T16:00:00Z'))).toBe('2027-H1');
    expect(halfOf(new Date('2025-12-31T16:00:00Z'))).toBe('2026-H1');
  });

  it('an instant lies between the start and the end of the half it falls in', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2090-01-01'), noInvalidDate: true }), (at) => {
        const half = halfYear(halfOf(at))!;
        expect(half).toBeDefined();
        expect(halfYearStart(half).getTime()).toBeLessThanOrEqual(at.getTime());
        expect(at.getTime()).toBeLessThan(halfYearEnd(half).getTime());
      }),
    );
  });
});

describe('a half-year by name', () => {
  it('starts at 00:00 China time on its first day and ends at 24:00 China time on its last', () => {
    expect(halfYearStart(halfYear('2026-H1')!)).toEqual(new Date('2025-12-31T16:00:00Z'));
    expect(halfYearEnd(halfYear('2026-H1')!)).toEqual(new Date('2026-06-30T16:00:00Z'));
    expect(halfYearStart(halfYear('2026-H2')!)).toEqual(new Date('2026-06-30T16:00:00Z'));
    expect(halfYearEnd(halfYear('2026-H2')!)).toEqual(new Date('2026-12-31T16:00:00Z'));
  });

  it('is only a four-digit year, -H, and 1 or 2, nothing before or after', () => {
    for (const name of ['2026-H0', '2026-h1', '2026-H12', 'x2026-H1', '2026-H1 ', '12026-H1', '2026H1', '']) {
      expect(halfYear(name), name).toBeUndefined();
    }
    expect(halfYear('1999-H2')).toEqual({ half: '1999-H2', from: '1999-07-01', to: '1999-12-31' });
  });
});

describe('the report JSON', () => {
  it('carries the fund, the half, when it was made, the counties with their own figures, and copies of the counts', () => {
    const objections = { upheld: 4, dismissed: 17 };
    const notices = { published: 23 };
    const report = buildHalfYearReport(
      input({
        counties: [county('520101', 1_000_000, 500_000, { paidInHalf: 123_456, name: '南明区', province: '贵州省' })],
        objections,
        notices,
      }),
    );
    expect(report).toMatchObject({
      fundId: 'fund_1',
      fundName: '衔接资金',
      half: '2026-H1',
      from: '2026-01-01',
      to: '2026-06-30',
      asOf: '2026-06-30',
      generatedAt: '2026-07-03T01:00:00.000Z',
      period: PERIOD,
      timeElapsed: timeElapsed(PERIOD, '2026-06-30'),
    });
    expect(report.counties).toEqual([
      {
        countyCode: '520101',
        name: '南明区',
        province: '贵州省',
        allocated: 1_000_000,
        paid: 500_000,
        paidInHalf: 123_456,
        progress: 0.5,
        lagPoints: -0.42, // 181 of 365 days: 49.58 % gone by
      },
    ]);
    expect(report.objections).toEqual(objections);
    expect(report.notices).toEqual(notices);
    // the report is a value of its own: changing the input afterwards does not change it
    objections.upheld = 99;
    notices.published = 99;
    expect(report.objections.upheld).toBe(4);
    expect(report.notices.published).toBe(23);
  });

  it('reads progress at the half-year end once it is over, and today (China date) while it runs', () => {
    const counties = [county('520101', 1_000_000, 100_000)];
    const during = buildHalfYearReport(input({ counties, now: new Date('2026-03-31T16:30:00Z') }));
    expect(during.asOf).toBe('2026-04-01');
    expect(during.timeElapsed).toBe(timeElapsed(PERIOD, '2026-04-01'));
    const standing = countyProgress(PERIOD, '2026-04-01', standingInstant('2026-04-01', new Date('2026-03-31T16:30:00Z')), counties[0]!);
    expect(during.counties[0]).toMatchObject({ progress: standing.progress, lagPoints: standing.lagPoints });
    // on its last day it is read at that day too
    expect(buildHalfYearReport(input({ counties, now: new Date('2026-06-30T08:00:00Z') })).asOf).toBe('2026-06-30');
    expect(buildHalfYearReport(input({ counties, now: new Date('2026-06-30T16:00:00Z') })).asOf).toBe('2026-06-30');
    expect(buildHalfYearReport(input({ counties, now: new Date('2027-02-01T00:00:00Z') })).asOf).toBe('2026-06-30');
  });

  it('lists counties, failures and flags by code and snapshots oldest first, whatever order they came in', () => {
    const codes = fc.uniqueArray(fc.integer({ min: 100_000, max: 999_999 }).map(String), { maxLength: 12 });
    const instants = fc.uniqueArray(
      fc.integer({ min: dayNumber('2026-01-01')!, max: dayNumber('2026-06-30')! }).map((d) => `${dateOfDay(d)}T16:00:00.000Z`),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(codes, codes, codes, instants, (countyCodes, failureCodes, flagCodes, takenAts) => {
        const report = buildHalfYearReport(
          input({
            counties: countyCodes.map((c, i) => county(c, 1000 * (i + 1), 100 * i)),
            failures: failureCodes.map((code, i) => ({ code, count: i + 1, amount: 10 * i })),
            flags: flagCodes.map((code, i) => ({ code, raised: i + 2, cleared: i })),
            snapshots: takenAts.map((takenAt, i) => ({
              snapshotId: `snp_${i}`,
              kind: 'monthly' as const,
              month: takenAt.slice(0, 7),
              takenAt,
              hash: String(i).padStart(64, '0'),
            })),
          }),
        );
        const sorted = (xs: readonly string[]) => [...xs].sort();
        expect(report.counties.map((c) => c.countyCode)).toEqual(sorted(countyCodes));
        expect(report.failures.map((f) => f.code)).toEqual(sorted(failureCodes));
        expect(report.flags.map((f) => f.code)).toEqual(sorted(flagCodes));
        expect(report.snapshots.map((s) => s.takenAt)).toEqual(sorted(takenAts));
        // each row keeps its own figures
        for (const c of report.counties) expect(c.allocated).toBe(1000 * (countyCodes.indexOf(c.countyCode) + 1));
        for (const f of report.failures) expect(f.count).toBe(failureCodes.indexOf(f.code) + 1);
        for (const f of report.flags) expect(f.raised).toBe(flagCodes.indexOf(f.code) + 2);
        for (const s of report.snapshots) expect(s.snapshotId).toBe(`snp_${takenAts.indexOf(s.takenAt)}`);
      }),
    );
  });

  it('keeps snapshots taken at the same instant in the order they came in', () => {
    const at = '2026-03-01T00:00:00.000Z';
    const snapshots = ['snp_b', 'snp_a', 'snp_c'].map((snapshotId) => ({
      snapshotId,
      kind: 'on_demand' as const,
      month: null,
      takenAt: at,
      hash: 'a'.repeat(64),
    }));
    const early = {
      snapshotId: 'snp_0',
      kind: 'monthly' as const,
      month: '2026-01',
      takenAt: '2026-01-31T16:00:00.000Z',
      hash: 'b'.repeat(64),
    };
    const report = buildHalfYearReport(input({ snapshots: [...snapshots, early] }));
    expect(report.snapshots.map((s) => s.snapshotId)).toEqual(['snp_0', 'snp_b', 'snp_a', 'snp_c']);
  });
});
