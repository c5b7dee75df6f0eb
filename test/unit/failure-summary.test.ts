/** GET /v1/payouts/failures as a pure sum: totals by failure code and by age since the failure. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AGE_BUCKETS, FAILURE_CODES, ageBucket, summarizeFailures, type FailedPayout } from '#shared/domain/failures';

const NOW = new Date('2026-12-02T12:00:00.000Z');
const DAY = 86_400_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

describe('age buckets', () => {
  it('whole days since the failure: 0-7, 8-30, 31-90, over 90', () => {
    expect(ageBucket(ago(0), NOW)).toBe('0-7d');
    expect(ageBucket(ago(8 * DAY - 1), NOW)).toBe('0-7d');
    expect(ageBucket(ago(8 * DAY), NOW)).toBe('8-30d');
    expect(ageBucket(ago(31 * DAY - 1), NOW)).toBe('8-30d');
    expect(ageBucket(ago(31 * DAY), NOW)).toBe('31-90d');
    expect(ageBucket(ago(91 * DAY - 1), NOW)).toBe('31-90d');
    expect(ageBucket(ago(91 * DAY), NOW)).toBe('>90d');
  });
});

describe('summarizeFailures', () => {
  const failedArb: fc.Arbitrary<FailedPayout> = fc.record({
    amount: fc.integer({ min: 1, max: 10 ** 13 }),
    failureCode: fc.constantFrom(...FAILURE_CODES, null),
    failedAt: fc.integer({ min: 0, max: 400 * DAY }).map(ago),
  });

  it('the total equals the sum by code and the sum by age; a missing code counts as unspecified', () => {
    fc.assert(
      fc.property(fc.array(failedArb, { maxLength: 40 }), (failed) => {
        const s = summarizeFailures(failed, NOW);
        const sum = (xs: { count: number; amount: number }[]) =>
          xs.reduce((a, x) => ({ count: a.count + x.count, amount: a.amount + x.amount }), { count: 0, amount: 0 });
        expect(s.total).toEqual({ count: failed.length, amount: failed.reduce((a, p) => a + p.amount, 0) });
        expect(sum(s.byCode)).toEqual(s.total);
        expect(sum(s.byAge)).toEqual(s.total);
        expect(s.byAge.map((b) => b.age)).toEqual([...AGE_BUCKETS]);
        expect(s.byCode.map((b) => b.failureCode)).toEqual(
          FAILURE_CODES.filter((c) => failed.some((p) => (p.failureCode ?? 'unspecified') === c)),
        );
        for (const row of s.byCode) {
          const mine = failed.filter((p) => (p.failureCode ?? 'unspecified') === row.failureCode);
          expect(row.count).toBe(mine.length);
          expect(row.amount).toBe(mine.reduce((a, p) => a + p.amount, 0));
        }
      }),
    );
  });

  it('nothing failed: zero totals, no codes, every age bucket at zero', () => {
    expect(summarizeFailures([], NOW)).toEqual({
      total: { count: 0, amount: 0 },
      byCode: [],
      byAge: AGE_BUCKETS.map((age) => ({ age, count: 0, amount: 0 })),
    });
  });
});
