/**
 * Where the money stands, as properties: the fund's period, time elapsed, each county's progress and lag, idle money,
 * and the alerts that raise `fund.alert` at most once per county, code and month.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DAY_MS } from '#shared/domain/durations';
import {
  chinaDate,
  chinaMonth,
  dateOfDay,
  dayNumber,
  defaultPeriod,
  elapsedDays,
  periodDays,
  periodProblem,
} from '#shared/domain/fund-period';
import {
  alertKey,
  alertsOf,
  alertsToRaise,
  countyProgress,
  fundProgress,
  standingInstant,
  timeElapsed,
  type AllocationStanding,
  type FundAlert,
} from '#shared/domain/progress';

const YEAR_2026 = { startsOn: '2026-01-01', endsOn: '2026-12-31' };

/** A valid period: a start in 2020..2030, 2 days .. 5 years long. */
const period = fc
  .tuple(fc.integer({ min: dayNumber('2020-01-01')!, max: dayNumber('2030-12-31')! }), fc.integer({ min: 1, max: 365 * 5 - 1 }))
  .map(([start, span]) => ({ startsOn: dateOfDay(start), endsOn: dateOfDay(start + span) }));
const anyDate = fc.integer({ min: dayNumber('2019-01-01')!, max: dayNumber('2037-01-01')! }).map(dateOfDay);
/** allocated, paid ≤ allocated, available ≤ allocated − paid */
const balances = fc
  .bigInt({ min: 0n, max: 10_000_000_000_000n })
  .chain((a) => fc.tuple(fc.constant(Number(a)), fc.bigInt({ min: 0n, max: a }).map(Number)))
  .chain(([allocated, paid]) => fc.tuple(fc.constant(allocated), fc.constant(paid), fc.integer({ min: 0, max: allocated - paid })));

function standing(allocated: number, paid: number, available: number, extra: Partial<AllocationStanding> = {}): AllocationStanding {
  return { countyCode: '500241', allocated, paid, available, createdAt: '2026-01-01T00:00:00.000Z', ...extra };
}

describe('the fund period', () => {
  it('defaults to the calendar year of creation in China time', () => {
    expect(defaultPeriod(new Date('2026-12-31T15:59:59.999Z'))).toEqual(YEAR_2026);
    // 16:00 UTC on 31 December is already 1 January in China
    expect(defaultPeriod(new Date('2026-12-31T16:00:00.000Z'))).toEqual({ startsOn: '2027-01-01', endsOn: '2027-12-31' });
  });

  it('accepts up to five years, and refuses an end not after the start, a longer span or a date that does not exist', () => {
    expect(periodProblem({ startsOn: '2026-01-01', endsOn: '2030-12-31' })).toBeUndefined();
    expect(periodProblem({ startsOn: '2026-01-01', endsOn: '2031-01-01' })).toMatch(/5 years/);
    expect(periodProblem({ startsOn: '2026-01-01', endsOn: '2026-01-01' })).toMatch(/after/);
    expect(periodProblem({ startsOn: '2026-02-30', endsOn: '2026-12-31' })).toMatch(/startsOn/);
    expect(periodProblem({ startsOn: '2026-01-01', endsOn: '2026-13-01' })).toMatch(/endsOn/);
  });

  it('every generated period is valid, and the default period of any instant is valid', () => {
    fc.assert(
      fc.property(period, (p) => {
        expect(periodProblem(p)).toBeUndefined();
      }),
    );
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2090-01-01'), noInvalidDate: true }), (at) => {
        expect(periodProblem(defaultPeriod(at))).toBeUndefined();
      }),
    );
  });
});

describe('time elapsed', () => {
  it('is 0 before the period, 1 from its last day on, and counts the asOf day as gone by', () => {
    expect(timeElapsed(YEAR_2026, '2025-12-31')).toBe(0);
    expect(timeElapsed(YEAR_2026, '2026-01-01')).toBe(Math.floor(1e6 / 365) / 1e6);
    expect(timeElapsed(YEAR_2026, '2026-07-02')).toBe(Math.floor((183 * 1e6) / 365) / 1e6);
    expect(timeElapsed(YEAR_2026, '2026-12-31')).toBe(1);
    expect(timeElapsed(YEAR_2026, '2027-06-01')).toBe(1);
  });

  it('stays within 0..1 and never goes back as asOf moves on', () => {
    fc.assert(
      fc.property(period, anyDate, fc.nat(400), (p, asOf, later) => {
        const now = timeElapsed(p, asOf);
        const then = timeElapsed(p, dateOfDay(dayNumber(asOf)! + later));
        expect(now).toBeGreaterThanOrEqual(0);
        expect(then).toBeLessThanOrEqual(1);
        expect(then).toBeGreaterThanOrEqual(now);
        expect(elapsedDays(p, asOf)).toBeLessThanOrEqual(periodDays(p));
      }),
    );
  });
});

describe('county progress and lag', () => {
  it('reads a county half paid at the middle of the year as on time, and one a tenth paid as lagging', () => {
    const asOf = '2026-07-02'; // 183 of 365 days: 50.13 %
    const at = standingInstant(asOf, new Date('2026-07-02T08:00:00Z'));
    const onTime = countyProgress(YEAR_2026, asOf, at, standing(1_000_000, 500_000, 0));
    expect(onTime).toMatchObject({ progress: 0.5, lagPoints: 0.13, idle: null });
    const behind = countyProgress(YEAR_2026, asOf, at, standing(1_000_000, 100_000, 0));
    expect(behind).toMatchObject({ progress: 0.1, lagPoints: 40.13 });
    expect(alertsOf(behind)).toEqual([
      { countyCode: '500241', code: 'lagging', detail: expect.stringContaining('40.13 points') as string },
    ]);
  });

  it('counts progress as 0 when nothing is allocated', () => {
    const c = countyProgress(YEAR_2026, '2026-12-31', new Date('2026-12-31T00:00:00Z'), standing(0, 0, 0));
    expect(c).toMatchObject({ progress: 0, lagPoints: 100 });
  });

  it('rounds progress and lag down, so that lagging is exactly 100 × (timeElapsed − paid ÷ allocated) ≥ 15', () => {
    fc.assert(
      fc.property(period, anyDate, balances, (p, asOf, [allocated, paid, available]) => {
        const c = countyProgress(p, asOf, new Date(0), standing(allocated, paid, available));
        const e = BigInt(elapsedDays(p, asOf));
        const t = BigInt(periodDays(p));
        const a = BigInt(allocated);
        const pd = BigInt(paid);
        // exact: 100 (e/t − pd/a) ≥ 15  ⇔  100 (e·a − pd·t) ≥ 15 t·a (a > 0); with a = 0, progress is 0
        const lagging = a === 0n ? 100n * e >= 15n * t : 100n * (e * a - pd * t) >= 15n * t * a;
        expect(alertsOf(c).some((x) => x.code === 'lagging')).toBe(lagging);
        expect(c.lagPoints >= 15).toBe(lagging);
        expect(c.progress).toBeGreaterThanOrEqual(0);
        expect(c.progress).toBeLessThanOrEqual(1);
        if (allocated > 0) {
          const exact = paid / allocated;
          expect(c.progress).toBeLessThanOrEqual(exact + 1e-12);
          expect(exact - c.progress).toBeLessThan(1e-6 + 1e-12);
          const exactLag = 100 * (elapsedDays(p, asOf) / periodDays(p) - exact);
          expect(c.lagPoints).toBeLessThanOrEqual(exactLag + 1e-9);
          expect(exactLag - c.lagPoints).toBeLessThan(0.01 + 1e-9);
        }
      }),
    );
  });

  it('a county that pays more at the same asOf never lags more', () => {
    fc.assert(
      fc.property(period, anyDate, balances, fc.nat(), (p, asOf, [allocated, paid], more) => {
        const morePaid = Math.min(allocated, paid + more);
        const before = countyProgress(p, asOf, new Date(0), standing(allocated, paid, 0));
        const after = countyProgress(p, asOf, new Date(0), standing(allocated, morePaid, 0));
        expect(after.progress).toBeGreaterThanOrEqual(before.progress);
        expect(after.lagPoints).toBeLessThanOrEqual(before.lagPoints);
      }),
    );
  });
});

describe('idle money', () => {
  const createdAt = '2026-01-01T02:00:00.000Z';

  it('is the available money after more than 90 days without a reservation, since the last one or the allocation', () => {
    const base = standing(1_000_000, 0, 800_000, { createdAt, lastReservedAt: '2026-02-01T00:00:00.000Z' });
    const at90 = new Date(Date.parse('2026-02-01T00:00:00.000Z') + 90 * DAY_MS);
    expect(countyProgress(YEAR_2026, chinaDate(at90), at90, base).idle).toBeNull();
    const after = new Date(at90.getTime() + 1);
    expect(countyProgress(YEAR_2026, chinaDate(after), after, base).idle).toEqual({ amount: 800_000, since: '2026-02-01T00:00:00.000Z' });
    const never = standing(1_000_000, 0, 1_000_000, { createdAt });
    expect(countyProgress(YEAR_2026, '2026-06-01', new Date('2026-06-01T00:00:00Z'), never).idle).toEqual({
      amount: 1_000_000,
      since: createdAt,
    });
  });

  it('needs money available: a fully reserved or paid allocation is never idle', () => {
    const c = countyProgress(YEAR_2026, '2026-12-31', new Date('2026-12-31T00:00:00Z'), standing(1_000, 400, 0, { createdAt }));
    expect(c.idle).toBeNull();
  });

  it('idle ⇔ available > 0 and more than 90 days since the last reservation (or the allocation)', () => {
    fc.assert(
      fc.property(
        balances,
        fc.integer({ min: 0, max: 400 * DAY_MS }),
        fc.option(fc.integer({ min: 0, max: 300 * DAY_MS }), { nil: undefined }),
        ([allocated, paid, available], sinceCreated, reservedAfter) => {
          const created = Date.parse(createdAt);
          const lastReservedAt = reservedAfter === undefined ? undefined : new Date(created + reservedAfter).toISOString();
          const at = new Date(created + sinceCreated);
          const c = countyProgress(YEAR_2026, chinaDate(at), at, standing(allocated, paid, available, { createdAt, lastReservedAt }));
          const since = lastReservedAt ?? createdAt;
          const idle = available > 0 && at.getTime() - Date.parse(since) > 90 * DAY_MS;
          expect(c.idle).toEqual(idle ? { amount: available, since } : null);
          expect(alertsOf(c).some((x) => x.code === 'idle')).toBe(idle);
        },
      ),
    );
  });

  it('counts idle time to the end of asOf, or to now while asOf is today', () => {
    const now = new Date('2026-06-15T03:00:00Z');
    expect(standingInstant('2026-06-15', now)).toEqual(now);
    expect(standingInstant('2026-06-01', now)).toEqual(new Date('2026-06-01T16:00:00Z'));
  });
});

describe('fund.alert once per county, code and month', () => {
  const alert = (countyCode: string, code: 'lagging' | 'idle'): FundAlert => ({ countyCode, code, detail: '' });

  it('raises each county and code once in a month, and again in the next', () => {
    const raised = new Set<string>();
    const first = alertsToRaise('fund_1', [alert('500241', 'lagging'), alert('500241', 'idle')], '2026-06', raised);
    expect(first).toHaveLength(2);
    for (const a of first) raised.add(alertKey('fund_1', a, '2026-06'));
    expect(alertsToRaise('fund_1', [alert('500241', 'lagging'), alert('500242', 'lagging')], '2026-06', raised)).toEqual([
      alert('500242', 'lagging'),
    ]);
    expect(alertsToRaise('fund_1', [alert('500241', 'lagging')], '2026-07', raised)).toHaveLength(1);
    expect(alertsToRaise('fund_2', [alert('500241', 'lagging')], '2026-06', raised)).toHaveLength(1);
  });

  it('over any run of progress readings, never raises the same county, code and month twice', () => {
    const county = fc.constantFrom('500241', '500242', '522636');
    const code = fc.constantFrom('lagging' as const, 'idle' as const);
    const reading = fc.tuple(
      fc.constantFrom('2026-05', '2026-06', '2026-07'),
      fc.array(
        fc.tuple(county, code).map(([c, k]) => alert(c, k)),
        { maxLength: 8 },
      ),
    );
    fc.assert(
      fc.property(fc.array(reading, { maxLength: 20 }), (readings) => {
        const raised = new Set<string>();
        const events: string[] = [];
        for (const [month, alerts] of readings) {
          for (const a of alertsToRaise('fund_1', alerts, month, raised)) {
            const key = alertKey('fund_1', a, month);
            events.push(key);
            raised.add(key);
          }
        }
        expect(new Set(events).size).toBe(events.length);
        // and every alert seen was raised in its month
        const seen = new Set(readings.flatMap(([month, alerts]) => alerts.map((a) => alertKey('fund_1', a, month))));
        expect(new Set(events)).toEqual(seen);
      }),
    );
  });

  it('counts months in China time', () => {
    expect(chinaMonth(new Date('2026-06-30T16:00:00Z'))).toBe('2026-07');
    expect(chinaMonth(new Date('2026-06-30T15:59:59Z'))).toBe('2026-06');
  });
});

describe('fundProgress', () => {
  it('lists every county with its alerts', () => {
    const now = new Date('2026-09-30T04:00:00Z');
    const p = fundProgress(YEAR_2026, '2026-09-30', now, [
      standing(1_000_000, 700_000, 0, { countyCode: '500241', lastReservedAt: '2026-09-01T00:00:00Z' }),
      standing(1_000_000, 100_000, 900_000, { countyCode: '500242' }),
    ]);
    expect(p.timeElapsed).toBe(Math.floor((273 * 1e6) / 365) / 1e6);
    expect(p.counties.map((c) => c.countyCode)).toEqual(['500241', '500242']);
    expect(p.alerts.map((a) => `${a.countyCode}:${a.code}`)).toEqual(['500242:lagging', '500242:idle']);
  });
});
