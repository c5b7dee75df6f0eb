/**
 * The fund ledger: every change of an allocation's balances, as an immutable entry written in the same
 * transaction as the change.
 *
 * Items: entry `LEDGER#<fundId> / <at>#<countyCode>#<seq>` (oldest first by time; a county's entries in
 * the order of `seq`, because each entry's `at` is never earlier than its county's previous entry). The
 * allocation item counts its entries (`seq`) and remembers the last one's time (`ledgerAt`).
 *
 * A move reads the allocation, computes the balance after it (shared/domain/ledger.ts), and writes the
 * allocation and the entry conditional on `seq` being what it read: an entry's `balance` is always the
 * allocation right after it, and replaying a county's entries from zero gives the allocation exactly.
 * Another move in between fails the condition; the caller reads again and decides again.
 */
import { DomainError } from '../../domain/errors.ts';
import { type LedgerKind, type LedgerLine } from '../../domain/ledger.ts';
import { keys } from '../platform/keys.ts';
import { getItem } from '../platform/query.ts';
import { config } from '../../config.ts';
import { TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { storedFields } from '../platform/fields.ts';

/** What a ledger entry points at: the disbursement, batch, payout or campaign that moved the money. */
export interface LedgerRef {
  disbursementId?: string;
  batchId?: string;
  payoutId?: string;
  campaignId?: string;
}

export interface LedgerEntry {
  entryId: string;
  at: string;
  countyCode: string;
  kind: LedgerKind;
  amount: number;
  ref: LedgerRef;
  actor: string;
  balance: LedgerLine;
}

/** An allocation as a move reads it: its balances, how many entries it has, and the last one's time. */
export interface LedgerPosition extends LedgerLine {
  fundId: string;
  countyCode: string;
  seq: number;
  ledgerAt: string | null;
}

export const ledgerPartition = (fundId: string) => `LEDGER#${fundId}`;

/** The allocation's attribute that sums its `paid` entries dated in one half-year (`yyyy-H1`, China time). */
export const paidInHalfAttribute = (half: string) => `paidIn${half}`;
export const SEQ_DIGITS = 12;

const positionFields = storedFields<LedgerPosition>();

export function toPosition(item: Record<string, unknown>): LedgerPosition {
  return positionFields(item, ['fundId', 'countyCode', 'allocated', 'reserved', 'paid', 'available', 'seq', 'ledgerAt'], {
    seq: 0,
    ledgerAt: null,
  });
}

/** The allocation, read consistently, or undefined when the fund has none for the county. */
export async function readPosition(fundId: string, countyCode: string): Promise<LedgerPosition | undefined> {
  const item = await getItem(keys.allocation(fundId, countyCode));
  return item ? toPosition(item) : undefined;
}

/** Like readPosition, but a missing allocation is the contract's `insufficient_allocation`. */
export async function requirePosition(fundId: string, countyCode: string): Promise<LedgerPosition> {
  const position = await readPosition(fundId, countyCode);
  if (!position) throw new DomainError('insufficient_allocation', 'The fund has no allocation for this county');
  return position;
}

/**
 * A disbursement's final approval draws its amount from the campaign's subsidy instead of the
 * allocation's `available` (the money is already reserved there). `insufficient_allocation` when the
 * subsidy is released or cannot cover it.
 */
export function subsidyDrawStep(campaignId: string, amount: number): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.campaign(campaignId),
        UpdateExpression:
          'SET subsidy.drawn = subsidy.drawn + :amount, subsidy.remaining = subsidy.remaining - :amount, version = version + :one',
        ConditionExpression: 'subsidy.#status = :reserved AND subsidy.remaining >= :amount',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':amount': amount, ':one': 1, ':reserved': 'reserved' },
      },
    },
    onConditionFailed: (old) => {
      const subsidy = old?.subsidy as Partial<StoredSubsidy> | undefined;
      return new DomainError(
        'insufficient_allocation',
        subsidy?.status === 'released'
          ? `The subsidy of campaign ${campaignId} has been released`
          : `The subsidy of campaign ${campaignId} has ${subsidy ? remainingOf(subsidy) : 0} fen left; ${amount} needed`,
      );
    },
  };
}

/**
 * A failed payout of a disbursement that drew on the subsidy gives the amount back to it while it is
 * still reserved. The caller reads the campaign first; a release in between fails this condition,
 * and the retry releases the amount on the allocation instead.
 */
export function subsidyReturnStep(campaignId: string, amount: number): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.campaign(campaignId),
        UpdateExpression:
          'SET subsidy.drawn = subsidy.drawn - :amount, subsidy.remaining = subsidy.remaining + :amount, version = version + :one',
        ConditionExpression: 'subsidy.#status = :reserved AND subsidy.drawn >= :amount',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':amount': amount, ':one': 1, ':reserved': 'reserved' },
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
}

/** Whether the campaign's subsidy still holds money that a failed payout can go back to. */
export async function subsidyIsReserved(campaignId: string): Promise<boolean> {
  const item = await getItem(keys.campaign(campaignId));
  return (item?.subsidy as Partial<StoredSubsidy> | undefined)?.status === 'reserved';
}

export interface Subsidy {
  fundId: string;
  amount: number;
  drawn: number;
  released: number;
  status: 'reserved' | 'released';
}

/** What the campaign item stores. */
export interface StoredSubsidy extends Subsidy {
  remaining: number;
}

export function remainingOf(stored: Partial<StoredSubsidy>): number {
  return stored.remaining ?? (stored.amount ?? 0) - (stored.drawn ?? 0) - (stored.released ?? 0);
}

/** A difference the ledger check (./check.ts) or the snapshot chains' check (../snapshots/verify.ts) found. */
export interface LedgerDifference {
  fundId: string;
  countyCode: string | null;
  what: string;
  expected: number | string;
  actual: number | string;
}

/** A create's check that the fund has an allocation for the county (the money is reserved later, at approval). */
export function allocationExistsStep(fundId: string, countyCode: string): TxStep {
  return {
    item: {
      ConditionCheck: {
        TableName: config().TABLE_NAME,
        Key: keys.allocation(fundId, countyCode),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
    onConditionFailed: () => new DomainError('insufficient_allocation', `Fund ${fundId} has no allocation for county ${countyCode}`),
  };
}
