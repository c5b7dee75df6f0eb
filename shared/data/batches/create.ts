import { batchPayoutId, requiredApprovals, type Batch, type BatchItem } from '../../domain/batches.ts';
import { decideBatchCorrection } from '../../domain/corrections.ts';
import { DomainError, notFound } from '../../domain/errors.ts';
import type { Beneficiary, PayoutStatus } from '../../domain/payouts.ts';
import type { MoneyReader } from '../../domain/roles.ts';
import { batchCorrectedAudit, notAbandonedStep, pendingLinksStep } from '../corrections/items.ts';
import { claimPayouts, finishLinks, readPayouts, unclaimPayouts } from '../corrections/payout-links.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { claimSteps, createdEarlier, type IdempotencyClaim } from '../platform/idempotency-claims.ts';
import { findCounty } from '../counties/items.ts';
import { findAllocation, getFundSettings, type Actor } from '../funds/items.ts';
import { keys } from '../platform/keys.ts';
import { type TxStep } from '../platform/transactions.ts';
import { planBatchVerifications, queueVerificationJobs } from '../verifications/plan.ts';
import { reportFigures, reportStatsSteps } from '../reports/stats.ts';
import { putAll } from '../platform/bulk.ts';
import { accountHashes, writeBatchIndex } from '../screening/items.ts';
import { accountNameKeys, putFlagDues, readFacts, readRules, type FlagDue } from '../warning-rules/items.ts';
import { NO_FACTS, evaluateBatchRows, summarizeRowFlags, type BatchRowFlag } from '../../domain/warning-rules.ts';
import {
  MAX_STORED_ROW_BYTES,
  StoredBatch,
  NewBatch,
  rowsKey,
  publicBatch,
  noCounts,
  getBatch,
  findBatch,
  readBatchFor,
  readRows,
  packRows,
  stationIdsOf,
  assertStationsActive,
  batchAudit,
  flagKey,
  ALL_BATCHES,
} from './items.ts';
import { allocationExistsStep, transactWithAllocation } from '../ledger/allocation-check.ts';

/** Items of the creation transaction besides the row chunks: idempotency claim, county, allocation, head, audit, the report's flag count. */
const CREATION_STEPS = 6;

// ---- creation --------------------------------------------------------------------------------

/** The head as stored: the row sets exist only once they hold a row (DynamoDB has no empty set). */
function storedHead(b: StoredBatch): Record<string, unknown> {
  const { withdrawnRows: _w, heldRows: _h, lateRows: _l, ...head } = b;
  return head;
}

/**
 * Stores a batch pending approval: head, compressed rows and audit entry in ONE transaction, with the
 * county and the allocation re-checked there. Checks read first so the answer names the first problem
 * (unknown fund or county, no allocation, then a station row).
 */
export async function createBatch(
  input: NewBatch,
  actor: Actor,
  now: Date,
  claim?: IdempotencyClaim,
  /** A correction's batch: its id (claimed with), the batch it corrects and the steps its creation carries. */
  correction?: { batchId: string; correctionOf: string; steps: TxStep[] },
): Promise<Batch> {
  const earlier = await createdEarlier(claim, now, getBatch);
  if (earlier) return earlier;
  const fund = await getFundSettings(input.fundId);
  if (!(await findCounty(input.countyCode))) throw notFound(`County ${input.countyCode}`);
  if (!(await findAllocation(input.fundId, input.countyCode))) {
    throw new DomainError('insufficient_allocation', `Fund ${input.fundId} has no allocation for county ${input.countyCode}`);
  }
  await assertStationsActive(stationIdsOf(input.items), input.countyCode);

  const rows: BatchItem[] = input.items.map((i) => ({ beneficiary: i.beneficiary, amount: i.amount, memo: i.memo ?? null }));
  const totalAmount = rows.reduce((sum, r) => sum + r.amount, 0);
  const packed = packRows(rows);
  const storedBytes = packed.reduce((sum, c) => sum + c.data.byteLength, 0);
  const batchId = correction?.batchId ?? newId('batch', now.getTime());
  // Nothing is read or requested here: the request job does it once the batch committed (../verifications/request.ts).
  const verifying = await planBatchVerifications(
    fund,
    batchId,
    rows.map((r) => r.beneficiary.account),
    now,
  );
  if (
    storedBytes > MAX_STORED_ROW_BYTES ||
    packed.length + CREATION_STEPS + verifying.steps.length + (correction?.steps.length ?? 0) > 100
  ) {
    throw new DomainError('payload_too_large', 'The batch rows are too large to store at once; split the batch');
  }

  const at = now.toISOString();
  const rowFlags = await screenRows(input.fundId, batchId, rows, now);
  const b: StoredBatch = {
    batchId,
    fundId: input.fundId,
    countyCode: input.countyCode,
    purpose: input.purpose,
    itemCount: rows.length,
    totalAmount,
    status: 'pending_approval',
    requiredApprovals: requiredApprovals(totalAmount, fund.dualApprovalThreshold),
    approvals: [],
    requestedBy: actor.sub,
    createdAt: at,
    updatedAt: at,
    version: 1,
    rowChunks: packed.length,
    approvedAt: null,
    expansion: null,
    payer: fund.financeSystem,
    notice: null,
    withdrawnRows: [],
    withdrawnAmount: 0,
    heldRows: [],
    lateRows: [],
    flags: summarizeRowFlags(rowFlags),
    verifications: verifying.counts,
    correctionOf: correction?.correctionOf ?? null,
  };
  const table = config().TABLE_NAME;
  await transactWithAllocation(input.fundId, input.countyCode, [
    ...claimSteps(claim, batchId, now),
    // The allocation's check is the county's too (read above for the 404 before any work on the rows).
    allocationExistsStep(input.fundId, input.countyCode),
    {
      item: {
        Put: {
          TableName: table,
          Item: { ...keys.batch(batchId), type: 'batch', ...storedHead(b), gsi1pk: ALL_BATCHES, gsi1sk: batchId, ...verifying.headFields },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    },
    ...packed.map((chunk, n) => ({
      item: {
        Put: {
          TableName: table,
          Item: { ...rowsKey(batchId, n), type: 'batch-rows', first: chunk.first, count: chunk.count, rows: chunk.data },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    })),
    ...verifying.steps,
    ...(correction?.steps ?? []),
    batchAudit(b, 'created', actor, now, {
      from: null,
      to: 'pending_approval',
      details: { requiredApprovals: b.requiredApprovals, flags: b.flags.count, blocking: b.flags.blocking, verifications: b.verifications },
    }),
    // The half-year report's flags raised.
    ...reportStatsSteps(input.fundId, now, reportFigures.flagsRaised(rowFlags.map((f) => f.code)), batchId),
  ]);
  if (verifying.steps.length) await queueVerificationJobs([batchId]);
  return publicBatch(b, noCounts());
}

/**
 * Runs the fund's warning rules on the rows (duplicate screening among them; reads keyed per distinct account,
 * ../warning-rules/items.ts) and writes, before the creation transaction, the batch's entries in the beneficiary
 * index, one `FLAG#<row>#<code>` item per row flag, and one due-time entry per flag code (`flag.overdue`). Should
 * that transaction fail, they name a batch that does not exist: the index ignores them, nothing reads the flags
 * of an unknown batch, and the overdue sweep drops their entries.
 */
async function screenRows(fundId: string, batchId: string, rows: readonly BatchItem[], now: Date): Promise<BatchRowFlag[]> {
  const hashes = await accountHashes(rows.map((r) => r.beneficiary.account.accountNumber));
  const nameKeys = await accountNameKeys(rows.map((r) => r.beneficiary.account.accountName));
  const rules = await readRules(fundId, { consistent: false });
  const reads = await readFacts(fundId, hashes, rules, now, batchId);
  const flags = evaluateBatchRows(
    batchId,
    rules,
    rows.map((r, i) => ({ amount: r.amount, nameKey: nameKeys[i]!, accountKey: hashes[i]! })),
    (hash) => reads.facts.get(hash) ?? NO_FACTS,
    now,
  );
  await writeBatchIndex(fundId, hashes, nameKeys, now.toISOString(), batchId);
  await putAll(flags.map((f) => ({ ...flagKey(batchId, f.row, f.code), type: 'batch-flag', ...f })));
  const dues = new Map<string, FlagDue>();
  for (const f of flags) {
    const due = dues.get(f.code);
    dues.set(f.code, { ref: batchId, code: f.code, severity: f.severity, dueAt: f.dueAt, fundId, rows: (due?.rows ?? 0) + 1 });
  }
  await putFlagDues([...dues.values()]);
  return flags;
}

// ---- corrections -------------------------------------------------------------------------------

/**
 * `POST /v1/disbursement-batches/{id}/corrections` (API.md 1.2): failed payouts of a batch are corrected by a new
 * batch (`correctionOf`), one row per payout with the failed row's amount and memo and the corrected beneficiary,
 * created under every rule of a new batch. Claim, create, link: ../corrections/items.ts says why that order
 * corrects each failed payout at most once, across processes, and how a crash in between is resumed; the claims
 * and links are ../corrections/payout-links.ts.
 */
export async function correctBatch(
  batchId: string,
  body: { items: { payoutId: string; beneficiary: Beneficiary }[]; reason: string },
  actor: Actor & MoneyReader,
  now: Date,
  claim?: IdempotencyClaim,
): Promise<Batch> {
  const payoutIds = body.items.map((i) => i.payoutId);
  // A retry of a correction whose batch was created resumes its links.
  const earlier = await createdEarlier(claim, now, async (id) => id);
  if (earlier) {
    await finishLinks(earlier, payoutIds, now);
    return getBatch(earlier);
  }
  const failed = await readBatchFor(batchId, actor);
  const payouts = await readPayouts(payoutIds);
  const rowOf = new Map<string, number>();
  if (failed.approvedAt !== null) {
    const approvedAt = new Date(failed.approvedAt);
    for (let i = 0; i < failed.itemCount; i++) rowOf.set(batchPayoutId(batchId, approvedAt, i), i);
  }
  const stored = rowOf.size > 0 ? await readRows(failed) : [];
  const rows = decideBatchCorrection(batchId, body.items, (payoutId) => {
    const p = payouts.get(payoutId);
    if (!p) return undefined;
    const row = rowOf.get(payoutId);
    return {
      payoutId,
      batchId: (p.batchId as string | null | undefined) ?? null,
      status: p.status as PayoutStatus,
      correctedBy: (p.correctedBy as string | null | undefined) ?? null,
      amount: p.amount as number,
      memo: row === undefined ? null : (stored[row]?.memo ?? null),
    };
  });

  const correction = newId('batch', now.getTime());
  const at = now.toISOString();
  await claimPayouts(correction, [...payoutIds].sort(), now);
  let batch: Batch;
  try {
    batch = await createBatch(
      {
        fundId: failed.fundId,
        countyCode: failed.countyCode,
        purpose: failed.purpose,
        items: rows.map((r) => ({ beneficiary: r.beneficiary, amount: r.amount, ...(r.memo !== null ? { memo: r.memo } : {}) })),
      },
      actor,
      now,
      claim,
      {
        batchId: correction,
        correctionOf: batchId,
        steps: [
          notAbandonedStep(correction),
          pendingLinksStep(correction, payoutIds, at),
          batchCorrectedAudit(batchId, correction, payoutIds, body.reason, actor, now, failed.status),
        ],
      },
    );
  } catch (error) {
    // A creation that committed although its reply was lost keeps its claims: they become its links.
    if (await findBatch(correction)) {
      await finishLinks(correction, payoutIds, now);
      return getBatch(correction);
    }
    await unclaimPayouts(correction, payoutIds);
    throw error;
  }
  await finishLinks(correction, payoutIds, new Date(at));
  return batch;
}
