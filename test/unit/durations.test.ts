/** ISO 8601 durations (notice and claim periods): exact spans of time, calendar units refused. */
import { describe, expect, it } from 'vitest';
import { durationMs } from '#shared/domain/durations';

describe('ISO 8601 durations', () => {
  it('reads days, weeks, hours, minutes and seconds exactly', () => {
    expect(durationMs('P0D')).toBe(0);
    expect(durationMs('PT0S')).toBe(0);
    expect(durationMs('P7D')).toBe(604_800_000);
    expect(durationMs('P30D')).toBe(2_592_000_000);
    expect(durationMs('P1W')).toBe(604_800_000);
    expect(durationMs('PT1H30M')).toBe(5_400_000);
    expect(durationMs('P1DT2S')).toBe(86_402_000);
  });

  it('refuses calendar units and malformed text', () => {
    for (const text of ['P1M', 'P1Y', 'P', 'PT', '7D', 'P-1D', 'P1.5D', 'p7d', 'P7D ', '']) expect(durationMs(text), text).toBeUndefined();
  });
});

describe('durations, each unit on its own', () => {
  it('counts weeks and days together, and hours, minutes and seconds each', () => {
    expect(durationMs('P1W2D')).toBe(9 * 86_400_000);
    expect(durationMs('PT1H')).toBe(3_600_000);
    expect(durationMs('PT2M')).toBe(120_000);
    expect(durationMs('PT3S')).toBe(3_000);
    expect(durationMs('P2DT1H1M1S')).toBe(2 * 86_400_000 + 3_661_000);
  });

  it('refuses text around a duration and a time part without the T', () => {
    for (const text of ['xP7D', 'P7Dx', 'P1H', 'PT1D', 'P7DT']) expect(durationMs(text), text).toBeUndefined();
  });
});
