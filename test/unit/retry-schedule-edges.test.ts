/** Edges of the webhook retry schedule as an operator writes it in WEBHOOK_RETRY_SCHEDULE. */
import { describe, expect, it } from 'vitest';
import { parseRetrySchedule, retryDelaySeconds } from '#shared/webhooks/retry-schedule';

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
