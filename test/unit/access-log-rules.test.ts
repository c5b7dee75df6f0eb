/**
 * Time rules of what is kept per request: the access log (API.md "Where the money stands": an entry kept at least two
 * years, a path kept whole up to 1,024 characters, cut and marked beyond) and the hourly window that counts public
 * objections per source address.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ACCESS_LOG_KEEP_DAYS, ACCESS_PATH_MAX, accessExpiresAt, accessPath } from '#shared/domain/access-log';
import { objectionWindow } from '#shared/domain/objection-sources';

const DAY_SECONDS = 24 * 60 * 60;

describe('how long an observer request is kept', () => {
  it('is never removed before two years (731 days) have passed, and kept a month more', () => {
    expect(ACCESS_LOG_KEEP_DAYS).toBe(761);
    const at = new Date('2026-12-07T04:30:00.750Z');
    // Epoch seconds, rounded down from the request's instant, plus 761 whole days.
    expect(accessExpiresAt(at)).toBe(Math.floor(Date.parse('2026-12-07T04:30:00Z') / 1000) + 761 * DAY_SECONDS);
    expect(accessExpiresAt(at)).toBe(Date.parse('2029-01-06T04:30:00Z') / 1000);
  });

  it('keeps every entry at least 731 days, whatever the instant', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), (at) => {
        const expires = accessExpiresAt(at);
        expect(Number.isInteger(expires)).toBe(true);
        expect(expires * 1000).toBeGreaterThanOrEqual(at.getTime() - 1000 + 731 * DAY_SECONDS * 1000);
        expect(expires * 1000).toBeLessThanOrEqual(at.getTime() + 761 * DAY_SECONDS * 1000);
      }),
    );
  });
});

describe('the path kept', () => {
  it('keeps a path of up to 1,024 characters as called', () => {
    expect(ACCESS_PATH_MAX).toBe(1024);
    expect(accessPath('/v1/funds/fund_1/progress')).toBe('/v1/funds/fund_1/progress');
    const exact = `/${'a'.repeat(1023)}`;
    expect(accessPath(exact)).toBe(exact);
  });

  it('cuts a longer path to 1,024 characters, the last one marking the cut', () => {
    const long = `/${'b'.repeat(1024)}`;
    const kept = accessPath(long);
    expect(kept).toHaveLength(1024);
    expect(kept.endsWith('…')).toBe(true);
    expect(kept.slice(0, 1023)).toBe(long.slice(0, 1023));
  });
});

describe('the window public objections are counted in, per source address', () => {
  it('is the clock hour the objection came in, the same in every process', () => {
    expect(objectionWindow(new Date('2026-12-06T23:59:59.999Z'))).toEqual({
      start: '2026-12-06T23:00:00.000Z',
      expiresAt: Date.parse('2026-12-07T01:00:00.000Z') / 1000,
    });
    expect(objectionWindow(new Date('2026-12-07T00:00:00.000Z')).start).toBe('2026-12-07T00:00:00.000Z');
  });

  it('lets the counter go only an hour after its window closed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), (ms) => {
        const w = objectionWindow(new Date(ms));
        const start = Date.parse(w.start);
        expect(start).toBeLessThanOrEqual(ms);
        expect(ms - start).toBeLessThan(60 * 60 * 1000);
        expect(start % (60 * 60 * 1000)).toBe(0);
        expect(w.expiresAt).toBe((start + 2 * 60 * 60 * 1000) / 1000);
      }),
    );
  });
});
