/**
 * Payouts the list, export and backfill tests write straight into the table: farmer n's payout of
 * 10 yuan + n fen in county 500241, nothing sent or settled, with the facts a test varies given.
 */
import type { Payout } from '#shared/domain/payouts';

export const FIXTURE_ACCOUNT = '6228480012345678901';

export function fixturePayout(
  n: number,
  facts: Pick<Payout, 'payoutId' | 'batchId' | 'fundId' | 'status' | 'createdAt'> & Partial<Payout>,
): Payout {
  const name = `Farmer ${n}`;
  return {
    disbursementId: null,
    countyCode: '500241',
    amount: 1_000 + n,
    currency: 'CNY',
    beneficiary: { kind: 'farmer', name, account: { bankName: 'ABC', accountName: name, accountNumber: FIXTURE_ACCOUNT } },
    attempts: 0,
    sentAt: null,
    settledAt: null,
    bankReference: null,
    failureCode: null,
    failureReason: null,
    correctedBy: null,
    ...facts,
  };
}
