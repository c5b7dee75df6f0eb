/**
 * Failed payouts not yet corrected, summed for `GET /v1/payouts/failures` (API.md 1.2): the total, by
 * `failureCode` and by age since the failure. Pure: the data side supplies the failed, uncorrected payouts.
 */

import { FAILURE_CODES, type FailureCode } from './failure-codes.ts';

export { FAILURE_CODES, type FailureCode };

export const AGE_BUCKETS = ['0-7d', '8-30d', '31-90d', '>90d'] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

const DAY_MS = 86_400_000;

/** Whole days since the failure: 0..7 days is `0-7d`, 8..30 `8-30d`, 31..90 `31-90d`, then `>90d`. */
export function ageBucket(failedAt: string, now: Date): AgeBucket {
  const days = Math.floor((now.getTime() - Date.parse(failedAt)) / DAY_MS);
  if (days <= 7) return '0-7d';
  if (days <= 30) return '8-30d';
  if (days <= 90) return '31-90d';
  return '>90d';
}

export interface FailedPayout {
  amount: number;
  /** null on payouts failed before 1.2: counted as `unspecified`. */
  failureCode: FailureCode | null;
  /** When the payout failed (its `settledAt`). */
  failedAt: string;
}

interface Sum {
  count: number;
  amount: number;
}

export interface FailureSummary {
  total: Sum;
  byCode: (Sum & { failureCode: FailureCode })[];
  byAge: (Sum & { age: AgeBucket })[];
}

/** `byCode` lists the codes that occur, in the contract's order; `byAge` lists every bucket, youngest first. */
export function summarizeFailures(failed: Iterable<FailedPayout>, now: Date): FailureSummary {
  const total: Sum = { count: 0, amount: 0 };
  const byCode = new Map<FailureCode, Sum>();
  const byAge = new Map<AgeBucket, Sum>(AGE_BUCKETS.map((age) => [age, { count: 0, amount: 0 }]));
  for (const p of failed) {
    const code = p.failureCode ?? 'unspecified';
    const codeSum = byCode.get(code) ?? { count: 0, amount: 0 };
    byCode.set(code, codeSum);
    for (const sum of [total, codeSum, byAge.get(ageBucket(p.failedAt, now))!]) {
      sum.count += 1;
      sum.amount += p.amount;
    }
  }
  return {
    total,
    byCode: FAILURE_CODES.flatMap((failureCode) => {
      const sum = byCode.get(failureCode);
      return sum ? [{ failureCode, ...sum }] : [];
    }),
    byAge: AGE_BUCKETS.map((age) => ({ age, ...byAge.get(age)! })),
  };
}
