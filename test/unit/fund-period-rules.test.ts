/**
 * Calendar dates as the fund period reads them: what a real date is, China days' first and last instants, and the
 * days of a period gone by.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DAY_MS } from '#shared/domain/durations';
import {
  chinaDate,
  chinaDayEnd,
  chinaDayStart,
  dateOfDay,
  dayNumber,
  elapsedDays,
  periodDays,
  periodProblem,
} from '#shared/domain/fund-period';

describe('a calendar date', () => {
  it('is yyyy-mm-dd naming a day that exists, counted in days since 1970-01-01', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('1970-01-02')).toBe(1);
    expect(dayNumber('1969-12-31')).toBe(-1);
    expect(dayNumber('2024-02-29')).toBe(19_782);
    for (const bad of ['2026-02-29', '2026-02-30', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '2026-01-32', '0050-01-01']) {
      expect(dayNumber(bad), bad).toBeUndefined();
    }
    for (const bad of ['2026-1-01', '2026-01-1', '26-01-01', '2026/01/01', ' 2026-01-01', '2026-01-01 ', '2026-01-01T00:00:00Z', '']) {
      expect(dayNumber(bad), bad).toBeUndefined();
    }
  });

  it('round-trips through its day number', () => {
    fc.assert(
      fc.property(fc.integer({ min: dayNumber('1900-01-01')!, max: dayNumber('2199-12-31')! }), (day) => {
        expect(dayNumber(dateOfDay(day))).toBe(day);
      }),
    );
  });

  it('refuses a date that does not exist where an instant is asked of it', () => {
    expect(() => chinaDayStart('2026-02-30')).toThrow(new RangeError('not a date: 2026-02-30'));
    expect(() => chinaDayEnd('x')).toThrow(RangeError);
    expect(() => elapsedDays({ startsOn: '2026-01-01', endsOn: '2026-12-31' }, '2026-13-01')).toThrow(
      new RangeError('not a date: 2026-13-01'),
    );
  });
});

describe('a China day', () => {
  it('runs from 00:00 to 24:00 UTC+8', () => {
    expect(chinaDayStart('2026-03-01')).toEqual(new Date('2026-02-28T16:00:00Z'));
    expect(chinaDayEnd('2026-03-01')).toEqual(new Date('2026-03-01T16:00:00Z'));
    fc.assert(
      fc.property(fc.date({ min: new Date('1990-01-01'), max: new Date('2090-01-01'), noInvalidDate: true }), (at) => {
        const day = chinaDate(at);
        expect(chinaDayStart(day).getTime()).toBeLessThanOrEqual(at.getTime());
        expect(at.getTime()).toBeLessThan(chinaDayEnd(day).getTime());
        expect(chinaDayEnd(day).getTime() - chinaDayStart(day).getTime()).toBe(DAY_MS);
      }),
    );
  });
});

describe('a period', () => {
  const p = { startsOn: '2026-03-10', endsOn: '2026-03-19' };

  it('counts both of its ends as days', () => {
    expect(periodDays(p)).toBe(10);
    expect(periodDays({ startsOn: '2024-01-01', endsOn: '2024-12-31' })).toBe(366);
  });

  it('has 0 days gone by before it starts, its first day gone by at its end, and all once over', () => {
    expect(elapsedDays(p, '2026-03-08')).toBe(0);
    expect(elapsedDays(p, '2026-03-09')).toBe(0);
    expect(elapsedDays(p, '2026-03-10')).toBe(1);
    expect(elapsedDays(p, '2026-03-15')).toBe(6);
    expect(elapsedDays(p, '2026-03-18')).toBe(9);
    expect(elapsedDays(p, '2026-03-19')).toBe(10);
    expect(elapsedDays(p, '2027-01-01')).toBe(10);
  });

  it('may end the day after it starts, and spans less than five years to the same date (29 February too)', () => {
    expect(periodProblem({ startsOn: '2026-01-01', endsOn: '2026-01-02' })).toBeUndefined();
    expect(periodProblem({ startsOn: '2026-01-02', endsOn: '2026-01-01' })).toBe('endsOn must be after startsOn');
    expect(periodProblem({ startsOn: '2026-03-10', endsOn: '2031-03-09' })).toBeUndefined();
    expect(periodProblem({ startsOn: '2026-03-10', endsOn: '2031-03-10' })).toBe('a period spans at most 5 years');
    // five years after 29 February 2028 is 1 March 2033
    expect(periodProblem({ startsOn: '2028-02-29', endsOn: '2033-02-28' })).toBeUndefined();
    expect(periodProblem({ startsOn: '2028-02-29', endsOn: '2033-03-01' })).toBe('a period spans at most 5 years');
    expect(periodProblem({ startsOn: 'soon', endsOn: 'later' })).toBe('startsOn must be a calendar date (yyyy-mm-dd)');
    expect(periodProblem({ startsOn: '2026-01-01', endsOn: 'later' })).toBe('endsOn must be a calendar date (yyyy-mm-dd)');
  });
});
