/**
 * Payouts the list, export and backfill tests write straight into the table: farmer n's payout of
 * 10 yuan + n fen in county 500241, as an approval makes it (nothing sent or settled), with the facts a test varies given.
 */
import { queuedPayout, type Payout } from '#shared/domain/payouts';

export const FIXTURE_ACCOUNT = '6228480012345678901';

export function fixturePayout(
  n: number,
  facts: Pick<Payout, 'payoutId' | 'batchId' | 'fundId' | 'status' | 'createdAt'> & Partial<Payout>,
): Payout {
  const name = `Farmer ${n}`;
  const beneficiary = { kind: 'farmer' as const, name, account: { bankName: 'ABC', accountName: name, accountNumber: FIXTURE_ACCOUNT } };
  const { payoutId, batchId, fundId, createdAt } = facts;
  return {
    ...queuedPayout({ payoutId, disbursementId: null, batchId, fundId, countyCode: '500241', amount: 1_000 + n, beneficiary }, createdAt),
    ...facts,
  };
}
