import { requiredApprovals, type Batch, type BatchItem } from '../../domain/batches.ts';
import { DomainError, notFound } from '../../domain/errors.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { claimSteps, createdEarlier, type IdempotencyClaim } from '../platform/idempotency-claims.ts';
import { countyExistsStep, findCounty } from '../counties/items.ts';
import { findAllocation, getFundSettings, type Actor } from '../funds/items.ts';
import { keys } from '../platform/keys.ts';
import { transact } from '../platform/transactions.ts';
import { reportFigures, reportStatsSteps } from '../reports/stats.ts';
import { putAll } from '../platform/bulk.ts';
import { accountHashes, screenAccounts, writeBatchIndex } from '../screening/items.ts';
import { batchRowFlags, type RowFlag } from '../../domain/screening.ts';
import {
  MAX_STORED_ROW_BYTES,
  StoredBatch,
  NewBatch,
  rowsKey,
  publicBatch,
  noCounts,
  getBatch,
  packRows,
  stationIdsOf,
  assertStationsActive,
  batchAudit,
  flagKey,
  ALL_BATCHES,
} from './items.ts';
import { allocationExistsStep } from '../ledger/items.ts';

/** Items of the creation transaction besides the row chunks: county, allocation, head, audit, the report's flag count. */
const CREATION_STEPS = 5;

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
export async function createBatch(input: NewBatch, actor: Actor, now: Date, claim?: IdempotencyClaim): Promise<Batch> {
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
  if (storedBytes > MAX_STORED_ROW_BYTES || packed.length + CREATION_STEPS > 100) {
    throw new DomainError('payload_too_large', 'The batch rows are too large to store at once; split the batch');
  }

  const batchId = newId('batch', now.getTime());
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
    flags: { count: rowFlags.length, cleared: false },
  };
  const table = config().TABLE_NAME;
  await transact([
    ...claimSteps(claim, batchId, now),
    countyExistsStep(input.countyCode),
    allocationExistsStep(input.fundId, input.countyCode),
    {
      item: {
        Put: {
          TableName: table,
          Item: { ...keys.batch(batchId), type: 'batch', ...storedHead(b), gsi1pk: ALL_BATCHES, gsi1sk: batchId },
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
    batchAudit(b, 'created', actor, now, {
      from: null,
      to: 'pending_approval',
      details: { requiredApprovals: b.requiredApprovals, flags: b.flags.count },
    }),
    // The half-year report's flags raised.
    ...reportStatsSteps(input.fundId, now, reportFigures.flagsRaised(rowFlags.map((f) => f.code)), batchId),
  ]);
  return publicBatch(b, noCounts());
}

/**
 * Screens the rows (../screening/items.ts) and writes, before the creation transaction, the batch's entries in
 * the beneficiary index and one `FLAG#<row>` item per flagged row. Should that transaction fail, they name
 * a batch that does not exist: the index ignores them and nothing reads the flags of an unknown batch.
 */
async function screenRows(fundId: string, batchId: string, rows: readonly BatchItem[], now: Date): Promise<RowFlag[]> {
  const hashes = await accountHashes(rows.map((r) => r.beneficiary.account.accountNumber));
  const screening = await screenAccounts(fundId, hashes, now, batchId);
  const flags = batchRowFlags(batchId, hashes, screening.matches);
  await writeBatchIndex(fundId, hashes, now.toISOString(), batchId);
  await putAll(flags.map((f) => ({ ...flagKey(batchId, f.row), type: 'batch-flag', ...f })));
  return flags;
}
