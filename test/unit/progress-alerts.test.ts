/**
 * What the progress alerts say, and where their edges are: `lagging` from exactly 15 points behind, `idle` money in
 * yuan with thousands separators, and the instant idle time is counted to.
 */
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '#shared/domain/durations';
import {
  alertKey,
  alertsOf,
  alertsToRaise,
  countyProgress,
  fundProgress,
  standingInstant,
  type CountyProgress,
} from '#shared/domain/progress';

const YEAR_2026 = { startsOn: '2026-01-01', endsOn: '2026-12-31' };

function county(over: Partial<CountyProgress>): CountyProgress {
  return { countyCode: '520101', allocated: 1_000_000, paid: 0, progress: 0, lagPoints: 0, idle: null, ...over };
}

describe('the lagging alert', () => {
  it('is raised from exactly 15 points behind, and says how far behind the county is', () => {
    expect(alertsOf(county({ progress: 0.1234, lagPoints: 14.99 }))).toEqual([]);
    expect(alertsOf(county({ progress: 0.1234, lagPoints: 15 }))).toEqual([
      { countyCode: '520101', code: 'lagging', detail: 'progress 12.34 % is 15.00 points behind the time elapsed' },
    ]);
    expect(alertsOf(county({ progress: 0, lagPoints: 100 }))[0]!.detail).toBe('progress 0.00 % is 100.00 points behind the time elapsed');
  });
});

describe('the idle alert', () => {
  it('gives the idle money in yuan with thousands separators and two decimals, and the time since', () => {
    const since = '2026-01-05T02:00:00.000Z';
    const idle = (amount: number) => alertsOf(county({ idle: { amount, since } }));
    expect(idle(123_456_789)).toEqual([
      { countyCode: '520101', code: 'idle', detail: `1,234,567.89 yuan available with no reservation since ${since}` },
    ]);
    expect(idle(5)[0]!.detail).toBe(`0.05 yuan available with no reservation since ${since}`);
    expect(idle(100_000)[0]!.detail).toBe(`1,000.00 yuan available with no reservation since ${since}`);
    expect(idle(1_230)[0]!.detail).toBe(`12.30 yuan available with no reservation since ${since}`);
  });

  it('comes after the lagging alert of the same county', () => {
    const both = alertsOf(county({ lagPoints: 20, idle: { amount: 1, since: '2026-01-01T00:00:00.000Z' } }));
    expect(both.map((a) => a.code)).toEqual(['lagging', 'idle']);
  });

  it('counts idle time to the end of asOf once that day is over, not to now', () => {
    const created = '2026-01-01T00:00:00.000Z';
    const standing = { countyCode: '520101', allocated: 1000, paid: 0, available: 1000, createdAt: created };
    // read on 1 June: the end of 2026-03-31 (China time) is 89 days 16 hours after the allocation, not idle yet;
    // the end of 2026-04-01 is 90 days 16 hours after, idle.
    const now = new Date('2026-06-01T00:00:00Z');
    expect(fundProgress(YEAR_2026, '2026-03-31', now, [standing]).counties[0]!.idle).toBeNull();
    expect(fundProgress(YEAR_2026, '2026-04-01', now, [standing]).counties[0]!.idle).toEqual({ amount: 1000, since: created });
    // while asOf is today, time is counted to now
    const early = new Date(Date.parse(created) + 90 * DAY_MS);
    expect(fundProgress(YEAR_2026, '2026-12-31', early, [standing]).counties[0]!.idle).toBeNull();
    expect(fundProgress(YEAR_2026, '2026-12-31', new Date(early.getTime() + 1), [standing]).counties[0]!.idle).not.toBeNull();
  });

  it('standing instant: the earlier of the end of asOf and now', () => {
    const end = new Date('2026-03-31T16:00:00Z');
    expect(standingInstant('2026-03-31', new Date(end.getTime() + 1))).toEqual(end);
    expect(standingInstant('2026-03-31', end)).toEqual(end);
    expect(standingInstant('2026-03-31', new Date(end.getTime() - 1))).toEqual(new Date(end.getTime() - 1));
  });
});

describe('lag below the time elapsed', () => {
  it('is negative when a county is ahead of time, rounded down to the hundredth', () => {
    // 181 of 365 days gone by at the end of June: 49.589… %; paid 60 %: 10.41… points ahead
    const c = countyProgress(YEAR_2026, '2026-06-30', new Date('2026-06-30T00:00:00Z'), {
      countyCode: '520101',
      allocated: 100,
      paid: 60,
      available: 0,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(c.lagPoints).toBe(-10.42);
    expect(c.progress).toBe(0.6);
  });

  it('is exact when ahead by a whole number of hundredths: nothing to round', () => {
    // day 50 of a 100-day period, 60 % paid: exactly 10 points ahead
    const period = { startsOn: '2026-01-01', endsOn: '2026-04-10' };
    const c = countyProgress(period, '2026-02-19', new Date('2026-02-19T00:00:00Z'), {
      countyCode: '520101',
      allocated: 100,
      paid: 60,
      available: 0,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(c.lagPoints).toBe(-10);
  });
});

describe('raising fund.alert', () => {
  it('keys an alert by fund, county, code and month', () => {
    expect(alertKey('fund_1', { countyCode: '520101', code: 'idle' }, '2026-06')).toBe('fund_1#520101#idle#2026-06');
  });

  it('raises an alert listed twice in one reading once, and leaves the set it was given alone', () => {
    const a = { countyCode: '520101', code: 'lagging' as const, detail: 'x' };
    const raised = new Set<string>();
    expect(alertsToRaise('fund_1', [a, { ...a }], '2026-06', raised)).toEqual([a]);
    expect(raised.size).toBe(0);
  });
});
