/**
 * How a reconciliation is kept (items only; ./reconcile.ts orchestrates). A 10,000-line result is
 * about 0.5 to 1.3 MB as JSON, past DynamoDB's 400 KB item: the head `RCN#<id> / RCN` holds who made it,
 * the statement date and the counts; the four lists are one gzip-compressed JSON document cut into
 * parts `RCN#<id> / PART#0000 …` of at most PART_BYTES (one part for most statements: the lists compress
 * about 5 to 8 times). Parts go first (BatchWriteItem, unprocessed items retried), the head last, in one
 * transaction with the audit entry and the idempotency claim: a reader finds the head only once every
 * part is there, so a crash in between leaves unreachable parts and never half a result.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ReconciliationOutcome } from '../../domain/reconciliation.ts';
import { config } from '../../config.ts';
import { putAll } from '../platform/bulk.ts';
import { keys } from '../platform/keys.ts';
import { getItem, queryAll } from '../platform/query.ts';
import { transact, TransactionConflict, type TxStep } from '../platform/transactions.ts';

/** Below DynamoDB's 400 KB item limit with room for the keys and attribute names. */
export const PART_BYTES = 300 * 1024;

export interface ReconciliationHead {
  reconciliationId: string;
  /** The finance system that sent the statement: only its own payouts were matched, only it may read it. */
  payer: string;
  statementDate: string;
  createdAt: string;
  lines: number;
  counts: { matched: number; unmatchedLines: number; unmatchedPayouts: number; amountMismatches: number };
  parts: number;
}

export function countsOf(outcome: ReconciliationOutcome): ReconciliationHead['counts'] {
  return {
    matched: outcome.matched.length,
    unmatchedLines: outcome.unmatchedLines.length,
    unmatchedPayouts: outcome.unmatchedPayouts.length,
    amountMismatches: outcome.amountMismatches.length,
  };
}

/** The lists as gzip-compressed JSON, cut into parts. */
export function packOutcome(outcome: ReconciliationOutcome): Buffer[] {
  const packed = gzipSync(JSON.stringify(outcome));
  const parts: Buffer[] = [];
  for (let at = 0; at < packed.length; at += PART_BYTES) parts.push(packed.subarray(at, at + PART_BYTES));
  return parts;
}

export function unpackOutcome(parts: readonly Uint8Array[]): ReconciliationOutcome {
  return JSON.parse(gunzipSync(Buffer.concat(parts)).toString('utf8')) as ReconciliationOutcome;
}

/** Parts first, then the head with `alongside` (audit entry, idempotency claim) in one transaction. */
export async function putReconciliation(
  head: Omit<ReconciliationHead, 'parts'>,
  outcome: ReconciliationOutcome,
  alongside: TxStep[],
): Promise<void> {
  const parts = packOutcome(outcome);
  await putAll(parts.map((data, n) => ({ ...keys.reconciliationPart(head.reconciliationId, n), type: 'reconciliation-part', data })));
  await transact([
    {
      item: {
        Put: {
          TableName: config().TABLE_NAME,
          Item: { ...keys.reconciliation(head.reconciliationId), type: 'reconciliation', ...head, parts: parts.length },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      onConditionFailed: () => new TransactionConflict(),
    },
    ...alongside,
  ]);
}

/** The head and the lists, or undefined when there is no such reconciliation. */
export async function readReconciliation(
  reconciliationId: string,
): Promise<{ head: ReconciliationHead; outcome: ReconciliationOutcome } | undefined> {
  const item = await getItem(keys.reconciliation(reconciliationId));
  if (!item) return undefined;
  const head = item as unknown as ReconciliationHead;
  const parts = await queryAll<{ sk: string; data: Uint8Array }>({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :part)',
    ExpressionAttributeValues: { ':pk': keys.reconciliation(reconciliationId).pk, ':part': 'PART#' },
    ConsistentRead: true,
  });
  if (parts.length !== head.parts) throw new Error(`reconciliation ${reconciliationId}: ${parts.length} of ${head.parts} parts found`);
  // Query returns them in sort-key order: PART#0000, PART#0001, …
  return { head, outcome: unpackOutcome(parts.map((p) => p.data)) };
}
