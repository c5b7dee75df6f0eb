/**
 * The fund ledger: every change of an allocation's balances, as an immutable entry written in the same
 * transaction as the change.
 *
 * Items: entry `LEDGER#<fundId>#<n> / <at>#<countyCode>#<seq>`, n = shardOf(countyCode, LEDGER_SHARDS): a
 * fund's entries are spread over LEDGER_SHARDS partitions, because a partition takes about 1,000 write units a
 * second and its time-ordered sort key never lets DynamoDB split it (docs/scale.md). A county's entries are all in
 * one shard, oldest first by time and in the order of `seq` (each entry's `at` is never earlier than its county's
 * previous entry). Entries stored before the shards are in `LEDGER#<fundId>` (ledgerPartition), and every listing
 * reads that partition too (./list.ts). The allocation item counts its entries (`seq`) and remembers the last
 * one's time (`ledgerAt`).
 *
 * A move reads the allocation, computes the balance after it (shared/domain/ledger.ts), and writes the
 * allocation and the entry conditional on `seq` being what it read: an entry's `balance` is always the
 * allocation right after it, and replaying a county's entries from zero gives the allocation exactly.
 * Another move in between fails the condition; the caller reads again and decides again.
 */
import { DomainError } from '../../domain/errors.ts';
import { type LedgerKind, type LedgerLine } from '../../domain/ledger.ts';
import { keys } from '../platform/keys.ts';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { shardOf } from '../../ids.ts';
import { documents } from '../platform/clients.ts';
import { getItem } from '../platform/query.ts';
import { config } from '../../config.ts';
import { transact, TransactionConflict, type TxStep } from '../platform/transactions.ts';
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

/** The partition of a fund's ledger entries stored before the shards: read, never written. */
export const ledgerPartition = (fundId: string) => `LEDGER#${fundId}`;

/**
 * How many partitions a fund's ledger is written across. At 2,000 payouts/s per fund a fund writes about 8,000
 * units/s of entries (4 a payout); 800 county codes hashed into 16 shards put 69 on the busiest, about 690 units/s
 * (docs/scale.md, "A fund of 800 counties"). A listing page reads every shard: 17 Queries for the whole fund.
 */
export const LEDGER_SHARDS = 16;

const shardPartition = (fundId: string, n: number) => `LEDGER#${fundId}#${n}`;

/** The ledger shard a county's entries are written to: all of one county's in one, so its listing stays in `seq` order. */
export const ledgerShard = (fundId: string, countyCode: string) => shardPartition(fundId, shardOf(countyCode, LEDGER_SHARDS));

/** Every partition a fund's ledger may hold entries in: its shards and, for entries stored before them, `LEDGER#<fundId>`. */
export const ledgerPartitions = (fundId: string, countyCode?: string): string[] => [
  ...(countyCode === undefined
    ? Array.from({ length: LEDGER_SHARDS }, (_, n) => shardPartition(fundId, n))
    : [ledgerShard(fundId, countyCode)]),
  ledgerPartition(fundId),
];

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

/** The allocation item, read consistently: at its key, else where it was stored before the shards (`keys.allocationBefore`). */
export async function readAllocationItem(fundId: string, countyCode: string): Promise<Record<string, unknown> | undefined> {
  return (await getItem(keys.allocation(fundId, countyCode))) ?? (await getItem(keys.allocationBefore(fundId, countyCode)));
}

/** Reads of an allocation stored before the shards that another writer moves meanwhile, before giving up to the caller. */
const MOVE_BEFORE_ATTEMPTS = 3;

/**
 * The allocation as a write needs it, read consistently at its key, or undefined when the fund has none for the
 * county. One stored before the shards is moved to its key first, as it is (every attribute, its balances and `seq`:
 * no ledger entry, nothing changes but the key), so every write addresses the allocation at one key. Two writers
 * moving it at once: one's transaction commits, the other's is refused, and it reads it again at its key.
 */
export async function readPosition(fundId: string, countyCode: string): Promise<LedgerPosition | undefined> {
  for (let attempt = 1; ; attempt++) {
    const item = await getItem(keys.allocation(fundId, countyCode));
    if (item) return toPosition(item);
    const before = await getItem(keys.allocationBefore(fundId, countyCode));
    // Gone from there too: none, or moved between the two reads (then it is at its key now).
    if (!before) {
      const moved = await getItem(keys.allocation(fundId, countyCode));
      return moved ? toPosition(moved) : undefined;
    }
    try {
      await transact(allocationMoveSteps(before));
    } catch (error) {
      if (!(error instanceof TransactionConflict) || attempt >= MOVE_BEFORE_ATTEMPTS) throw error;
    }
  }
}

/** An allocation stored before the shards, moved to its key: deleted there unless it moved since, put here unless something is. */
function allocationMoveSteps(before: Record<string, unknown>): TxStep[] {
  const { fundId, countyCode, seq } = before as { fundId: string; countyCode: string; seq?: number };
  const table = config().TABLE_NAME;
  return [
    {
      item: {
        Delete: {
          TableName: table,
          Key: keys.allocationBefore(fundId, countyCode),
          ...(seq === undefined
            ? { ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(seq)' }
            : { ConditionExpression: 'seq = :seq', ExpressionAttributeValues: { ':seq': seq } }),
        },
      },
      onConditionFailed: () => new TransactionConflict(),
    },
    {
      item: {
        Put: {
          TableName: table,
          Item: { ...before, ...keys.allocation(fundId, countyCode) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      onConditionFailed: () => new TransactionConflict(),
    },
  ];
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

// ---------------------------------------------------------------------------------------------------
// Settlement roll-ups (API 1.2, "Funds and allocations"). A succeeded settlement never changes `available`, so
// its move reserved → paid is not made in the settlement's transaction: that transaction puts a pending roll-up
// item instead, one per payout (`ROLLUP#<fundId>#<countyCode> / <payoutId>`), so settlements of one county write
// different items and never wait for each other. A roll-up (ledger/roll-up.ts `rollUpAllocation`) applies a county's
// pending items to the allocation as one transaction: one `paid` ledger entry per payout and the pending items
// deleted, each delete conditional on the item still being there (two roll-ups at once apply it once).
// Until then the settled payout still counts as reserved, and the ledger check counts the pending item so.
// The sparse index entry (`gsi4pk = ROLLUPS#<n>`, n = shardOf(payoutId), `gsi4sk = <at>#<fundId>#<countyCode>#<payoutId>`)
// lets the outbox sweeper find every county with a pending roll-up without reading any county's partition.

export const ROLLUP_SHARDS = 8;
export const rollUpPartition = (fundId: string, countyCode: string) => `ROLLUP#${fundId}#${countyCode}`;
export const rollUpIndex = (n: number) => `ROLLUPS#${n}`;
const rollUpKey = (fundId: string, countyCode: string, payoutId: string) => ({ pk: rollUpPartition(fundId, countyCode), sk: payoutId });

/** A succeeded settlement whose reserved → paid move is not applied to the allocation yet. */
export interface PendingSettlement {
  fundId: string;
  countyCode: string;
  payoutId: string;
  amount: number;
  ref: LedgerRef;
  actor: string;
  /** When it settled. */
  at: string;
  /** The county report's figures the payment moves (approved → paid), carried on by its roll-up; none stored before. */
  countyStats?: Record<string, number>;
}

/** The settlement's pending roll-up, for its transaction (instead of the allocation's move). */
export function pendingSettlementStep(p: PendingSettlement): TxStep {
  return {
    item: {
      Put: {
        TableName: config().TABLE_NAME,
        Item: {
          ...rollUpKey(p.fundId, p.countyCode, p.payoutId),
          type: 'settlement-rollup',
          ...p,
          gsi4pk: rollUpIndex(shardOf(p.payoutId, ROLLUP_SHARDS)),
          gsi4sk: `${p.at}#${p.fundId}#${p.countyCode}#${p.payoutId}`,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    // The payout's own condition decides a repeated settlement; this one never fails on its own.
    onConditionFailed: () => new TransactionConflict(),
  };
}

/** The roll-up's removal of an applied pending settlement: gone already means another roll-up applied it. */
export function pendingSettlementDoneStep(p: PendingSettlement): TxStep {
  return {
    item: {
      Delete: {
        TableName: config().TABLE_NAME,
        Key: rollUpKey(p.fundId, p.countyCode, p.payoutId),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
}

export function toPendingSettlement(item: Record<string, unknown>): PendingSettlement {
  return {
    fundId: item.fundId as string,
    countyCode: item.countyCode as string,
    payoutId: item.payoutId as string,
    amount: item.amount as number,
    ref: (item.ref as LedgerRef | undefined) ?? { payoutId: item.payoutId as string },
    actor: item.actor as string,
    at: item.at as string,
    ...(item.countyStats ? { countyStats: item.countyStats as Record<string, number> } : {}),
  };
}

/** Up to `limit` pending settlements of one allocation, oldest payout id first, read consistently. */
export async function readPendingSettlements(fundId: string, countyCode: string, limit: number): Promise<PendingSettlement[]> {
  const page = await documents.send(
    new QueryCommand({
      TableName: config().TABLE_NAME,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :payout)',
      ExpressionAttributeValues: { ':pk': rollUpPartition(fundId, countyCode), ':payout': 'pay_' },
      ConsistentRead: true,
      Limit: limit,
    }),
  );
  return (page.Items ?? []).map(toPendingSettlement);
}

/** The allocations (fund, county) with a pending roll-up in one shard of the index, a page at a time. */
export async function* pendingRollUpsIn(shard: number): AsyncGenerator<{ fundId: string; countyCode: string }[]> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({
        TableName: config().TABLE_NAME,
        IndexName: 'gsi4',
        KeyConditionExpression: 'gsi4pk = :partition',
        ExpressionAttributeValues: { ':partition': rollUpIndex(shard) },
        ExclusiveStartKey: startKey,
      }),
    );
    const found = (page.Items ?? []).map((i) => {
      const [, fundId, countyCode] = (i.gsi4sk as string).split('#');
      return { fundId: fundId!, countyCode: countyCode! };
    });
    if (found.length > 0) yield found;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}
