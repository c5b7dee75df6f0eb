/**
 * Corrections of failed payouts (API.md 1.2), as pure rules. A failed payout is never paid again: the money
 * reaches the person through a new, linked request (`correctionOf` / `correctedBy`) that goes through every
 * rule of a new request (screening, warning rules, verification, approvals, notice) and reserves afresh;
 * the failed payout's reservation was released by its failed settlement.
 *
 * Why it can never pay twice, and what the data side must keep:
 * - a payout settles at most once (`decideSettlement`: after `failed`, a late `succeeded` is `invalid_state`),
 *   and only a `failed` payout may be corrected, so a corrected payout can no longer succeed;
 * - a failed item is corrected at most once: the correction's transaction sets `correctedBy` on the failed
 *   disbursement (or on each failed payout of a batch) on condition that it is still absent and the status is
 *   still failed, so of two corrections at once one commits and the other is `invalid_state`;
 * - the correction is a new item whose own payout follows the same rules, so the chain of an obligation is a
 *   line (failed → correction → …) with at most one settled payout on it.
 */
import { invalidState } from './errors.ts';
import type { Disbursement } from './disbursements.ts';
import type { Beneficiary, PayoutStatus } from './payouts.ts';

/** The facts a disbursement correction copies from the failed one. */
export type CorrectedFacts = Pick<Disbursement, 'fundId' | 'countyCode' | 'amount' | 'purpose' | 'memo' | 'campaignId'>;

/** Whether a failed disbursement may be corrected now; the commit re-checks it as a condition. */
export function decideDisbursementCorrection(d: { disbursementId: string; status: string; correctedBy: string | null }): void {
  if (d.status !== 'payout_failed') {
    throw invalidState(`The disbursement is ${d.status}; only a payout_failed disbursement can be corrected`);
  }
  if (d.correctedBy !== null) throw invalidState(`The disbursement was already corrected by ${d.correctedBy}`);
}

/** The new request a correction makes: the failed one's fund, county, amount, purpose, memo and campaign, the corrected beneficiary. */
export function correctionOf(
  failed: CorrectedFacts & { disbursementId: string },
  beneficiary: Beneficiary,
): CorrectedFacts & {
  beneficiary: Beneficiary;
  correctionOf: string;
} {
  return {
    fundId: failed.fundId,
    countyCode: failed.countyCode,
    amount: failed.amount,
    purpose: failed.purpose,
    memo: failed.memo,
    campaignId: failed.campaignId,
    beneficiary,
    correctionOf: failed.disbursementId,
  };
}

/** A payout of a batch as a batch correction checks it. */
export interface CorrectablePayout {
  payoutId: string;
  batchId: string | null;
  status: PayoutStatus;
  correctedBy: string | null;
  amount: number;
  /** The memo of the batch row the payout paid. */
  memo: string | null;
}

export interface CorrectionRow {
  payoutId: string;
  beneficiary: Beneficiary;
  amount: number;
  memo: string | null;
}

/**
 * The rows of a batch correction: each named payout must be a `failed` payout of that batch, not corrected
 * before and named once; else `invalid_state` naming the first that is not. Rows keep the request's order.
 */
export function decideBatchCorrection(
  batchId: string,
  items: readonly { payoutId: string; beneficiary: Beneficiary }[],
  payoutOf: (payoutId: string) => CorrectablePayout | undefined,
): CorrectionRow[] {
  const named = new Set<string>();
  return items.map(({ payoutId, beneficiary }, i) => {
    const p = payoutOf(payoutId);
    if (p === undefined || p.batchId !== batchId) throw invalidState(`items.${i}: payout ${payoutId} is not a payout of batch ${batchId}`);
    if (p.status !== 'failed') throw invalidState(`items.${i}: payout ${payoutId} is ${p.status}; only a failed payout can be corrected`);
    if (p.correctedBy !== null) throw invalidState(`items.${i}: payout ${payoutId} was already corrected by ${p.correctedBy}`);
    if (named.has(payoutId)) throw invalidState(`items.${i}: payout ${payoutId} is named twice`);
    named.add(payoutId);
    return { payoutId, beneficiary, amount: p.amount, memo: p.memo };
  });
}
