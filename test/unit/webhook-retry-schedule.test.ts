/**
 * The webhook retry schedule: WEBHOOK_RETRY_SCHEDULE as the config reads it and as an operator writes it
 * (its edges too), the wait after each failed attempt, and Retry-After honoured within a cap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { config, resetConfig } from '#shared/config';
import {
  maxAttempts,
  parseRetryAfter,
  parseRetrySchedule,
  RETRY_AFTER_CAP_SECONDS,
  retryDelaySeconds,
} from '#shared/webhooks/retry-schedule';

const SVIX = [5, 300, 1800, 7200, 18000, 36000, 36000];

describe('retry schedule', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    resetConfig();
  });

  function configWith(schedule?: string) {
    process.env.TABLE_NAME = 't';
    process.env.DELIVERY_QUEUE_URL = 'q';
    process.env.EXPANSION_QUEUE_URL = 'q';
    process.env.APP_SECRETS_FILE = '/dev/null';
    if (schedule === undefined) delete process.env.WEBHOOK_RETRY_SCHEDULE;
    else process.env.WEBHOOK_RETRY_SCHEDULE = schedule;
    resetConfig();
    return config();
  }

  it("defaults to Svix's schedule and is overridden by WEBHOOK_RETRY_SCHEDULE", () => {
    expect(configWith().WEBHOOK_RETRY_SCHEDULE).toEqual(SVIX);
    expect(configWith('1, 1,2').WEBHOOK_RETRY_SCHEDULE).toEqual([1, 1, 2]);
    expect(() => configWith('1,,2')).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
    expect(() => configWith('5s,10s')).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
  });

  it('parses a schedule the same way the config does', () => {
    expect(parseRetrySchedule('5,300, 1800')).toEqual([5, 300, 1800]);
    expect(() => parseRetrySchedule('-1,2')).toThrow();
  });

  it('waits per the schedule and gives up after the last wait', () => {
    expect(SVIX.map((_, i) => retryDelaySeconds(SVIX, i + 1))).toEqual(SVIX);
    expect(retryDelaySeconds(SVIX, SVIX.length + 1)).toBeUndefined();
    expect(maxAttempts(SVIX)).toBe(8);
  });

  it('honours a longer Retry-After, ignores a shorter one and caps an absurd one', () => {
    expect(retryDelaySeconds(SVIX, 1, 120)).toBe(120);
    expect(retryDelaySeconds(SVIX, 2, 10)).toBe(300);
    expect(retryDelaySeconds(SVIX, 1, 10 ** 9)).toBe(RETRY_AFTER_CAP_SECONDS);
    // a Retry-After never revives an exhausted endpoint
    expect(retryDelaySeconds(SVIX, 8, 60)).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2026-03-01T08:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sun, 01 Mar 2026 08:02:00 GMT', now)).toBe(120);
    expect(parseRetryAfter('Sun, 01 Mar 2026 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });

  it('never waits less than the schedule nor more than the cap (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 100_000 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 12 }),
        fc.option(fc.nat({ max: 10 ** 7 }), { nil: undefined }),
        (schedule, failed, retryAfter) => {
          const wait = retryDelaySeconds(schedule, failed, retryAfter);
          if (failed > schedule.length) return wait === undefined;
          const scheduled = schedule[failed - 1]!;
          return wait !== undefined && wait >= scheduled && wait <= Math.max(scheduled, RETRY_AFTER_CAP_SECONDS);
        },
      ),
    );
  });
});

describe('a written retry schedule', () => {
  it('takes waits of several digits and spaces around the commas and at the ends', () => {
    expect(parseRetrySchedule('10,300')).toEqual([10, 300]);
    expect(parseRetrySchedule('5 , 300')).toEqual([5, 300]);
    expect(parseRetrySchedule(' 5,300 ')).toEqual([5, 300]);
    expect(parseRetrySchedule('36000')).toEqual([36000]);
  });

  it('refuses anything after the last wait, and says what it expects', () => {
    for (const text of ['5,300 s', '5,300;', '5,300,', '5;300', '', ' ']) {
      expect(() => parseRetrySchedule(text), JSON.stringify(text)).toThrow('a retry schedule is comma-separated whole seconds');
    }
  });
});

describe('the wait', () => {
  it('is nothing before any attempt has failed', () => {
    expect(retryDelaySeconds([5, 300], 0)).toBe(0);
    expect(retryDelaySeconds([5, 300], 0, 120)).toBe(0);
  });
});
