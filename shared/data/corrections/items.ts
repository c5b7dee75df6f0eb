/**
 * Corrections (API.md 1.2): a payout_failed disbursement is corrected by a new request with the corrected
 * beneficiary, created under every rule of a new request (screening, approvals, notice), in ONE transaction with
 * the links both ways: `correctedBy` is set on the failed disbursement and on its failed payout, each on condition
 * that it is still failed and not corrected. So of two corrections at once one commits and the other is
 * `invalid_state`, and a late "succeeded" for the failed payout is refused by the settlement's own rule (a failed
 * payout never settles). Nothing is reserved here: the correction reserves afresh at its final approval; the failed
 * settlement already released the failed payout's reservation. The verb is `correctDisbursement` in
 * ../disbursements/create.ts (a correction is a creation); this file reads the failed disbursement and builds the
 * link steps the creation's transaction carries.
 */
import { correctionOf, decideDisbursementCorrection } from '../../domain/corrections.ts';
import type { Disbursement } from '../../domain/disbursements.ts';
import { invalidState, notFound } from '../../domain/errors.ts';
import type { Beneficiary } from '../../domain/payouts.ts';
import { payerScope, type Actor, type MoneyReader } from '../../domain/roles.ts';
import { config } from '../../config.ts';
import { auditStep } from '../platform/audit.ts';
import { keys } from '../platform/keys.ts';
import { requireItem } from '../platform/query.ts';
import type { TxStep } from '../platform/transactions.ts';
import type { NewDisbursement } from '../disbursements/items.ts';

/** A correction's link to the failed disbursement it replaces: written in the creation's own transaction. */
export interface CorrectionLink {
  correctionOf: string;
  steps(disbursementId: string): TxStep[];
}

/** Still failed and not corrected: the commit-time form of `decideDisbursementCorrection`. */
// A disbursement stores `correctedBy: null` from its creation; a payout has no such attribute until corrected.
const STILL_CORRECTABLE = '#status = :failed AND (attribute_not_exists(correctedBy) OR attribute_type(correctedBy, :null))';

function linkStep(key: { pk: string; sk: string }, failedStatus: string, correction: string, what: string, at: string): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: key,
        UpdateExpression: 'SET correctedBy = :correction, updatedAt = :at',
        ConditionExpression: STILL_CORRECTABLE,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failed': failedStatus, ':correction': correction, ':at': at, ':null': 'NULL' },
      },
    },
    onConditionFailed: (current) =>
      current?.correctedBy
        ? invalidState(`${what} was already corrected by ${current.correctedBy as string}`)
        : invalidState(`${what} is ${(current?.status as string | undefined) ?? 'unknown'}; only a failed one can be corrected`),
  };
}

/** The new request that corrects a failed disbursement, and its link steps (both ways, with the audit entry). */
export async function prepareCorrection(
  disbursementId: string,
  body: { beneficiary: Beneficiary; reason: string },
  actor: Actor & MoneyReader,
  now: Date,
): Promise<{ input: NewDisbursement; link: CorrectionLink }> {
  const failed = await requireItem(keys.disbursement(disbursementId), `Disbursement ${disbursementId}`);
  const scope = payerScope(actor);
  if (scope !== undefined && failed.payer !== scope) throw notFound(`Disbursement ${disbursementId}`);
  const facts = {
    disbursementId,
    status: failed.status as string,
    correctedBy: (failed.correctedBy as string | null | undefined) ?? null,
  };
  decideDisbursementCorrection(facts);
  const payoutId = failed.payoutId as string;
  const at = now.toISOString();
  const request = correctionOf(
    {
      disbursementId,
      fundId: failed.fundId as string,
      countyCode: failed.countyCode as string,
      amount: failed.amount as number,
      purpose: failed.purpose as Disbursement['purpose'],
      memo: (failed.memo as string | null) ?? null,
      campaignId: (failed.campaignId as string | null | undefined) ?? null,
    },
    body.beneficiary,
  );
  const { correctionOf: of, memo, campaignId, ...rest } = request;
  return {
    input: { ...rest, ...(memo !== null ? { memo } : {}), ...(campaignId !== null ? { campaignId } : {}) },
    link: {
      correctionOf: of,
      steps: (correction) => [
        linkStep(keys.disbursement(disbursementId), 'payout_failed', correction, `Disbursement ${disbursementId}`, at),
        linkStep(keys.payout(payoutId), 'failed', correction, `Payout ${payoutId}`, at),
        auditStep(keys.disbursement(disbursementId).pk, {
          actor: actor.sub,
          action: 'disbursement.corrected',
          at: now,
          correlationId: actor.correlationId,
          fromStatus: 'payout_failed',
          toStatus: 'payout_failed',
          reason: body.reason,
          details: { correctedBy: correction, payoutId, amount: failed.amount as number },
        }),
      ],
    },
  };
}
