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
import { actorAuditStep } from '../platform/audit.ts';
import { keys } from '../platform/keys.ts';
import { getItem, requireItem } from '../platform/query.ts';
import { documents } from '../platform/clients.ts';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionConflict, type TxStep } from '../platform/transactions.ts';
import type { NewDisbursement } from '../disbursements/items.ts';
import { failureCorrectedSteps, type CountedFailure } from '../failures/items.ts';

/** A correction's link to the failed disbursement it replaces: written in the creation's own transaction. */
export interface CorrectionLink {
  correctionOf: string;
  steps(disbursementId: string): TxStep[];
}

/** Still failed and not corrected: the commit-time form of `decideDisbursementCorrection`. */
// A disbursement stores `correctedBy: null` from its creation; a payout has no such attribute until corrected.
const STILL_CORRECTABLE = '#status = :failed AND (attribute_not_exists(correctedBy) OR attribute_type(correctedBy, :null))';

function linkStep(
  key: { pk: string; sk: string },
  failedStatus: string,
  correction: string,
  what: string,
  at: string,
  /** For the payout: whether its failure was counted when read, so the counters it leaves are the ones it is in. */
  counted?: boolean,
): TxStep {
  const countedAsRead = counted === undefined ? '' : counted ? ' AND failureCounted = :true' : ' AND attribute_not_exists(failureCounted)';
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: key,
        UpdateExpression: 'SET correctedBy = :correction, updatedAt = :at',
        ConditionExpression: STILL_CORRECTABLE + countedAsRead,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':failed': failedStatus,
          ':correction': correction,
          ':at': at,
          ':null': 'NULL',
          ...(counted === true ? { ':true': true } : {}),
        },
      },
    },
    onConditionFailed: (current) => {
      if (current?.correctedBy) return invalidState(`${what} was already corrected by ${current.correctedBy as string}`);
      // Still correctable: the failure counters' backfill counted it meanwhile; read again and decide again.
      if (counted !== undefined && current?.status === failedStatus) return new TransactionConflict();
      return invalidState(`${what} is ${(current?.status as string | undefined) ?? 'unknown'}; only a failed one can be corrected`);
    },
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
  const payout = await requireItem(keys.payout(payoutId), `Payout ${payoutId}`);
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
        linkStep(keys.payout(payoutId), 'failed', correction, `Payout ${payoutId}`, at, payout.failureCounted === true),
        // It leaves the failures summary in the same transaction as it gains its link.
        ...failureCorrectedSteps([countedFailure(payout)]),
        actorAuditStep(keys.disbursement(disbursementId).pk, actor, 'disbursement.corrected', now, {
          fromStatus: 'payout_failed',
          toStatus: 'payout_failed',
          reason: body.reason,
          details: { correctedBy: correction, payoutId, amount: failed.amount as number },
        }),
      ],
    },
  };
}

/** A failed payout item as the failures counters know it (../failures/items.ts). */
export function countedFailure(item: Record<string, unknown>): CountedFailure & { counted: boolean } {
  return {
    payoutId: item.payoutId as string,
    fundId: item.fundId as string,
    countyCode: item.countyCode as string,
    amount: item.amount as number,
    failureCode: (item.failureCode as CountedFailure['failureCode'] | undefined) ?? null,
    // As the failure counters' backfill dated it (../failures/backfill.ts).
    settledAt: (item.settledAt as string | null | undefined) ?? (item.updatedAt as string | undefined) ?? '',
    counted: item.failureCounted === true,
  };
}

// ---- batch corrections -------------------------------------------------------------------------------
//
// A batch correction names up to 5,000 failed payouts, and one transaction takes at most 100 items: the payouts
// cannot all be linked in the creation's transaction. So the link is a claim, then the creation, then the link:
// 1. claim: in transactions of up to 100 payouts, each payout gets `correctionClaim = <new batch id>` on condition
//    that it is failed, not corrected and not claimed by another correction (all-or-nothing per transaction;
//    the claims taken before a refused one are given back, and the request is 409 naming the payout);
// 2. create: the new batch, in its own transaction, on condition that its id was not abandoned (below);
// 3. link: in transactions of up to 100 items, `correctedBy = <new batch id>` replaces each claim, and the payout
//    leaves the failures counters.
// A crash after 1 leaves claims of a batch that may never be created. Another correction that meets such a claim,
// once it is older than CLAIM_STALE_MS, abandons that batch id: ONE transaction puts the id's `ABANDONED` marker on
// condition that the batch does not exist, so the late creation (which checks that the marker does not exist) can
// no longer commit; then the stale claim may be taken. If the batch does exist, its claim is turned into its link
// (step 3 for that payout) and the payout is already corrected. A crash after 2 is resumed by a retry with the same
// Idempotency-Key, or by the next correction naming the payout. So a payout is claimed by at most one batch that
// can exist, and linked at most once: a failed payout is corrected, and paid through its correction, at most once.

/** A claim older than this, whose batch does not exist, is a crashed attempt's (a request runs for seconds). */
export const CLAIM_STALE_MS = 5 * 60_000;

const NOT_CORRECTED = '(attribute_not_exists(correctedBy) OR attribute_type(correctedBy, :null))';

/** A payout's claim held by another correction: the caller decides whether it is stale. */
export class ClaimHeld extends Error {
  constructor(
    readonly payoutId: string,
    readonly claimedBy: string,
    readonly claimedAt: string,
  ) {
    super(`payout ${payoutId} is being corrected by ${claimedBy}`);
    this.name = 'ClaimHeld';
  }
}

/** The claim of one failed payout for the correcting batch `batchId`. */
export function payoutClaimStep(payoutId: string, batchId: string, at: string): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.payout(payoutId),
        UpdateExpression: 'SET correctionClaim = :mine, correctionClaimedAt = :at',
        ConditionExpression: `#status = :failed AND ${NOT_CORRECTED} AND (attribute_not_exists(correctionClaim) OR correctionClaim = :mine)`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failed': 'failed', ':null': 'NULL', ':mine': batchId, ':at': at },
      },
    },
    onConditionFailed: (current) => {
      if (current?.correctedBy) return invalidState(`Payout ${payoutId} was already corrected by ${current.correctedBy as string}`);
      if (current?.status === 'failed' && typeof current.correctionClaim === 'string') {
        return new ClaimHeld(payoutId, current.correctionClaim, (current.correctionClaimedAt as string | undefined) ?? '');
      }
      return invalidState(
        `Payout ${payoutId} is ${(current?.status as string | undefined) ?? 'unknown'}; only a failed payout can be corrected`,
      );
    },
  };
}

/** Gives a claim back (only our own). */
export function payoutUnclaimStep(payoutId: string, batchId: string): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.payout(payoutId),
        UpdateExpression: 'REMOVE correctionClaim, correctionClaimedAt',
        ConditionExpression: 'correctionClaim = :claim',
        ExpressionAttributeValues: { ':claim': batchId },
      },
    },
    onConditionFailed: () => invalidState(`Payout ${payoutId} is not claimed by ${batchId}`),
  };
}

/** Turns the claim of `batchId` into the link `correctedBy = batchId` (with the counters: failureCorrectedSteps). */
export function payoutLinkStep(payoutId: string, batchId: string, at: string): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.payout(payoutId),
        UpdateExpression: 'SET correctedBy = :batch, updatedAt = :at REMOVE correctionClaim, correctionClaimedAt',
        ConditionExpression: `correctionClaim = :batch AND ${NOT_CORRECTED}`,
        ExpressionAttributeValues: { ':batch': batchId, ':at': at, ':null': 'NULL' },
      },
    },
    onConditionFailed: (current) =>
      current?.correctedBy === batchId ? new AlreadyLinked() : invalidState(`Payout ${payoutId} is not claimed by ${batchId}`),
  };
}

/** The payout was linked to this batch already (a resumed link). */
export class AlreadyLinked extends Error {
  constructor() {
    super('already linked');
    this.name = 'AlreadyLinked';
  }
}

const abandonedKey = (batchId: string) => ({ pk: keys.batch(batchId).pk, sk: 'ABANDONED' });

/** The creation's condition: its id was not abandoned by another correction (the claims are then not its own any more). */
export function notAbandonedStep(batchId: string): TxStep {
  return {
    item: {
      ConditionCheck: {
        TableName: config().TABLE_NAME,
        Key: abandonedKey(batchId),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    onConditionFailed: () => invalidState(`The correction ${batchId} took too long and was abandoned; send it again`),
  };
}

/** Abandons a batch id that was never created: the marker, on condition that the batch does not exist. */
export function abandonSteps(batchId: string, at: string): TxStep[] {
  return [
    {
      item: {
        Put: {
          TableName: config().TABLE_NAME,
          Item: { ...abandonedKey(batchId), type: 'batch-abandoned', batchId, at },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      onConditionFailed: () => new AlreadyAbandoned(),
    },
    {
      item: {
        ConditionCheck: {
          TableName: config().TABLE_NAME,
          Key: keys.batch(batchId),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      onConditionFailed: () => new BatchExists(),
    },
  ];
}

export class AlreadyAbandoned extends Error {
  constructor() {
    super('already abandoned');
    this.name = 'AlreadyAbandoned';
  }
}

export class BatchExists extends Error {
  constructor() {
    super('batch exists');
    this.name = 'BatchExists';
  }
}

/** The audit entry on the corrected batch. */
export function batchCorrectedAudit(
  failedBatchId: string,
  correction: string,
  payoutIds: readonly string[],
  reason: string,
  actor: Actor,
  now: Date,
  status: string,
): TxStep {
  return actorAuditStep(keys.batch(failedBatchId).pk, actor, 'batch.corrected', now, {
    fromStatus: status,
    toStatus: status,
    reason,
    details: { correctedBy: correction, payouts: payoutIds.length },
  });
}

// ---- the link's outbox marker -----------------------------------------------------------------------
//
// A crash after step 2 (the batch exists) and before step 3 (its claims became links) would leave the payouts
// claimed until a retry with the same Idempotency-Key or another correction naming them. So the creation's
// transaction also writes `LINKS` on the new batch: the payouts it claimed, in the outbox index (gsi4) due at the
// creation time. The request removes it once every claim is linked; the outbox sweeper finishes the links of a
// marker that is still there after a sweep interval (./resume-links.ts, `correctionLinkSource`). Linking is
// conditional per payout (`payoutLinkStep`), so the request and the sweeper may both do it: each payout is linked
// once and leaves the failures counters once.

/** The outbox index partition of the pending links of batch corrections. */
export const CORRECTION_LINK_INDEX = 'BAT#LINKS';

const linksKey = (batchId: string) => ({ pk: keys.batch(batchId).pk, sk: 'LINKS' });

/** The pending links of the correction `batchId`, written in its creation's transaction. */
export function pendingLinksStep(batchId: string, payoutIds: readonly string[], at: string): TxStep {
  return {
    item: {
      Put: {
        TableName: config().TABLE_NAME,
        Item: {
          ...linksKey(batchId),
          type: 'batch-correction-links',
          batchId,
          payoutIds: [...payoutIds],
          at,
          gsi4pk: CORRECTION_LINK_INDEX,
          gsi4sk: `${at}#${batchId}`,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  };
}

/** The payouts a correction still has to link; undefined once linked (or for a batch that corrects nothing). */
export async function readPendingLinks(batchId: string): Promise<string[] | undefined> {
  const item = await getItem(linksKey(batchId));
  return item ? (item.payoutIds as string[]) : undefined;
}

/** Every claim of the correction is its link now: the marker goes. */
export async function deletePendingLinks(batchId: string): Promise<void> {
  await documents.send(new DeleteCommand({ TableName: config().TABLE_NAME, Key: linksKey(batchId) }));
}
