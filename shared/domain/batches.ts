/**
 * Disbursement batches: one maker-checker decision for up to 5,000 payouts. Pure rules only: the
 * statuses, the approval policy (the single disbursement's, applied to the batch's total), how items
 * become payouts (deterministic ids, fixed chunks) and how the per-status counts add up.
 */
import { createHash } from 'node:crypto';
import { encodeTime } from 'ulid';
import {
  decideApproval,
  decideCancellation,
  decideRejection,
  type Approval,
  type ApprovalDecision,
  type DisbursementStatus,
  type Purpose,
} from './disbursements.ts';
import { shardOf } from '../ids.ts';
import { invalidState } from './errors.ts';
import { queuedPayout, type Beneficiary, type Payout, type PayoutStatus } from './payouts.ts';
import type { Role } from './roles.ts';
import type { VerificationCounts } from './account-verification.ts';

export { requiredApprovals } from './disbursements.ts';

export const BATCH_STATUSES = ['pending_approval', 'in_notice', 'approved', 'processing', 'completed', 'rejected', 'cancelled'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const MAX_BATCH_ITEMS = 5000;

/**
 * Payouts created per expansion transaction: each takes two items (the payout and its
 * `payout.requested` outbox event), plus the chunk's progress marker and its counter shard: 2 × 49 + 2 = 100,
 * DynamoDB's limit for one TransactWriteItems.
 */
export const EXPANSION_CHUNK_SIZE = 49;

export interface BatchItem {
  beneficiary: Beneficiary;
  amount: number;
  memo: string | null;
}

export interface BatchCounts {
  queued: number;
  sent: number;
  settled: number;
  failed: number;
  deliveryFailed: number;
}

export interface Batch {
  batchId: string;
  fundId: string;
  countyCode: string;
  purpose: Purpose;
  itemCount: number;
  totalAmount: number;
  status: BatchStatus;
  requiredApprovals: number;
  approvals: Approval[];
  requestedBy: string;
  counts: BatchCounts;
  /** The public notice of the batch's farmer and cooperative rows (公示), if its fund has a notice period. */
  notice: { noticeId: string; startsAt: string; endsAt: string } | null;
  /** Row flags of the warning rules, and whether a fund-admin cleared them (all at once). */
  flags: { count: number; cleared: boolean };
  /** Its rows counted by their account verification's status (null when its fund does not verify). */
  verifications: VerificationCounts | null;
  /** The batch whose failed payouts this batch corrects (API.md 1.2), else null. */
  correctionOf: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Σ amounts, or undefined once it passes `max` (amounts are safe integers, so the sum stays exact up to there). */
export function totalWithin(amounts: Iterable<number>, max: number): number | undefined {
  let total = 0;
  for (const amount of amounts) {
    total += amount;
    if (total > max) return undefined;
  }
  return total;
}

// The maker-checker policy is the single disbursement's; a batch only maps its own statuses onto it.
type Deciding = Pick<Batch, 'status' | 'requestedBy' | 'approvals' | 'requiredApprovals'> & {
  flags?: BatchFlags;
  verifications?: Batch['verifications'];
  /** `requesting` while some of its rows' verifications have not even been requested: they count as pending. */
  verifying?: 'requesting' | 'requested';
};
const asDisbursement = <T extends { status: BatchStatus }>(b: T) => ({ ...b, status: b.status as DisbursementStatus });

/**
 * What a batch keeps of its row flags: how many, how many are `high` (`blocking`; a batch stored before 1.2 had
 * duplicate flags only, all high), how many of each code (`byCode`; absent on heads stored before it was kept:
 * warning-rules.ts rowFlagCountsByCode), and whether a fund-admin cleared them.
 */
export type BatchFlags = Batch['flags'] & { blocking?: number; byCode?: Partial<Record<string, number>> };

/** The batch's flags as the single disbursement's list: one uncleared high flag while any high row flag is uncleared. */
export const pendingFlags = (flags: BatchFlags | undefined): { severity: 'high'; clearedAt: string | null }[] =>
  flags && (flags.blocking ?? flags.count) > 0 && !flags.cleared ? [{ severity: 'high', clearedAt: null }] : [];

/** The rows' verifications as the approval sees them: a batch whose requests are not all made yet waits. */
function verificationsOf(b: Deciding): Pick<VerificationCounts, 'pending'> | null {
  if (b.verifying === 'requesting') return { pending: Math.max(1, b.verifications?.pending ?? 0) };
  return b.verifications ?? null;
}

export function decideBatchApproval(b: Deciding, approver: string, now: Date, comment?: string): ApprovalDecision {
  return decideApproval({ ...asDisbursement(b), flags: pendingFlags(b.flags), verification: verificationsOf(b) }, approver, now, comment);
}

export function decideBatchRejection(b: Pick<Batch, 'status' | 'requestedBy'>, approver: string): void {
  decideRejection(asDisbursement(b), approver);
}

export function decideBatchCancellation(b: Pick<Batch, 'status' | 'requestedBy'>, caller: { sub: string; roles: readonly Role[] }): void {
  decideCancellation(asDisbursement(b), caller);
}

/** The expander only works on a batch the final approval released. */
export function assertExpandable(status: BatchStatus): void {
  if (status !== 'approved' && status !== 'processing') throw invalidState(`The batch is ${status}; only approved batches are expanded`);
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function base32(bytes: Uint8Array, length: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

function indexBase32(index: number): string {
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = CROCKFORD[index % 32] + out;
    index = Math.floor(index / 32);
  }
  return out;
}

/**
 * The payout id of item `index`: a valid ULID whose time is the approval's and whose random part is
 * a hash of the batch id followed by the index. A re-run of the expander (crash, duplicate job)
 * derives the same ids, so `attribute_not_exists` on the payout refuses a second copy.
 */
export function batchPayoutId(batchId: string, approvedAt: Date, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= 32 ** 6) throw new RangeError(`item index ${index}`);
  const digest = createHash('sha256').update(batchId).digest();
  return `pay_${encodeTime(approvedAt.getTime(), 10)}${base32(digest, 10)}${indexBase32(index)}`;
}

export interface ExpansionChunk {
  chunk: number;
  /** Item indexes [first, end). */
  first: number;
  end: number;
}

export function expansionChunks(itemCount: number, size = EXPANSION_CHUNK_SIZE): ExpansionChunk[] {
  const chunks: ExpansionChunk[] = [];
  for (let first = 0, chunk = 0; first < itemCount; first += size, chunk++) {
    chunks.push({ chunk, first, end: Math.min(first + size, itemCount) });
  }
  return chunks;
}

/** The payout for one item of an approved batch (status `queued`, full account number kept for payment). */
export function payoutOfItem(
  batch: { batchId: string; fundId: string; countyCode: string; approvedAt: Date },
  item: BatchItem,
  index: number,
  at: Date,
): Payout {
  return queuedPayout(
    {
      payoutId: batchPayoutId(batch.batchId, batch.approvedAt, index),
      disbursementId: null,
      batchId: batch.batchId,
      fundId: batch.fundId,
      countyCode: batch.countyCode,
      amount: item.amount,
      beneficiary: item.beneficiary,
    },
    at.toISOString(),
  );
}

/** Counter shards per batch: enough that concurrent settlements rarely meet on one item. */
export const COUNTER_SHARDS = 16;

export function counterShard(payoutId: string): number {
  return shardOf(payoutId, COUNTER_SHARDS);
}

export const COUNT_NAME: Record<PayoutStatus, keyof BatchCounts> = {
  queued: 'queued',
  sent: 'sent',
  settled: 'settled',
  failed: 'failed',
  delivery_failed: 'deliveryFailed',
};

/** A payout's move `from → to` as deltas on the batch's counts. */
export function countsMove(from: PayoutStatus, to: PayoutStatus): Partial<BatchCounts> {
  if (from === to) return {};
  return { [COUNT_NAME[from]]: -1, [COUNT_NAME[to]]: 1 };
}

export const emptyCounts = (): BatchCounts => ({ queued: 0, sent: 0, settled: 0, failed: 0, deliveryFailed: 0 });

/** Shards hold net deltas (a shard may be negative on its own); their sum is exact. */
export function sumCounts(shards: readonly Partial<BatchCounts>[]): BatchCounts {
  const total = emptyCounts();
  for (const shard of shards) {
    for (const name of Object.keys(total) as (keyof BatchCounts)[]) total[name] += shard[name] ?? 0;
  }
  return total;
}

/** Every payout reached settled or failed. */
export const allFinal = (counts: BatchCounts, itemCount: number): boolean => counts.settled + counts.failed >= itemCount;
