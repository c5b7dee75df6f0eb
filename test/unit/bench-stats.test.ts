import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median, percentile, perSecond, ratio, runConcurrently } from '../../bench/stats.ts';

describe('bench statistics', () => {
  it('takes the nearest-rank percentile, whatever the order of the samples', () => {
    const samples = [40, 10, 30, 20, 50, 60, 70, 80, 90, 100];
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(100);
    expect(percentile(samples, 0)).toBe(10);
    expect(percentile([], 50)).toBeUndefined();
    expect(() => percentile(samples, 101)).toThrow(RangeError);
  });

  it('p50 ≤ p99 ≤ max and every percentile is one of the samples', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1 }), (samples) => {
        const p50 = percentile(samples, 50)!;
        const p99 = percentile(samples, 99)!;
        expect(p50).toBeLessThanOrEqual(p99);
        expect(p99).toBeLessThanOrEqual(Math.max(...samples));
        expect(samples).toContain(p50);
        expect(samples).toContain(p99);
      }),
    );
  });

  it('the median of an even count is the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeUndefined();
  });

  it('a ratio needs both figures and a positive baseline', () => {
    expect(ratio(30, 60)).toBe(0.5);
    expect(ratio(undefined, 60)).toBeUndefined();
    expect(ratio(30, 0)).toBeUndefined();
    expect(perSecond(500, 2_000)).toBe(250);
    expect(perSecond(500, 0)).toBe(0);
  });

  it('runs every input once with at most the given concurrency in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    const { durationsMs } = await runConcurrently(
      Array.from({ length: 25 }, (_, n) => n),
      4,
      async (n) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        seen.push(n);
        inFlight--;
      },
    );
    expect(most).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, n) => n));
    expect(durationsMs).toHaveLength(25);
  });
});
