/**
 * THE way a balance changes. A move (reserve, release, settle) is one allocation update and one ledger
 * entry, or one subsidy update, always in the same transaction as the change of the entity it is for.
 * `commitMoney` commits such a transaction, with the use case's own steps, for every use case that moves
 * money. Nothing outside ledger/ builds a move's steps itself.
 *
 * A payment (settle) is the exception API 1.2 allows: it never changes `available`, so its transaction writes a
 * pending roll-up item instead of moving the allocation, and `rollUpAllocation` applies a county's pending
 * payments to the allocation later (right after the settlement, or by the outbox sweep), with their entries
 * (./roll-up.ts).
 */
import { DomainError } from '../../domain/errors.ts';
import { applyEntry, EMPTY_LINE, LedgerViolation, MOVE_KIND, type LedgerKind, type LedgerLine, type Move } from '../../domain/ledger.ts';
import { newId } from '../../ids.ts';
import { halfOf } from '../../domain/half-year-report.ts';
import { config } from '../../config.ts';
import { keys } from '../platform/keys.ts';
import { carriedStatsUpdate, changesStats, statsStep } from '../counties/stats.ts';
import { transact, TransactionConflict, type TxStep } from '../platform/transactions.ts';
import type { MoneySource } from '../../domain/money-source.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from '../../retry.ts';
import { randomUUID } from 'node:crypto';
import {
  pendingSettlementStep,
  requirePosition,
  subsidyDrawStep,
  subsidyReturnStep,
  LedgerRef,
  LedgerEntry,
  LedgerPosition,
  ledgerShard,
  paidInHalfAttribute,
  SEQ_DIGITS,
  toPosition,
} from './items.ts';
import {
  awaitAllocationTurn,
  goesAlone,
  markAllocationContended,
  MetAnotherWriter,
  readAllocationTurn,
  releaseAllocationTurn,
  takeAllocationTurn,
  TURN_LEASE_MS,
  type TurnStance,
} from './turn.ts';

export interface LedgerChange {
  position: LedgerPosition;
  kind: LedgerKind;
  amount: number;
  ref: LedgerRef;
  actor: string;
  now: Date;
  /** Extra attributes for the allocation. */
  set?: Record<string, unknown>;
  /** The allocation does not exist yet: it is put, with these attributes besides its balances. */
  create?: Record<string, unknown>;
  /** The county report's disbursement figures the move changes, carried on the allocation (../counties/stats.ts). */
  countyStats?: Record<string, number>;
}

/** The allocation's move and its ledger entry, as two transaction steps; the balance after the entry. */
export function ledgerChangeSteps(change: LedgerChange): { steps: TxStep[]; balance: LedgerLine; entry: LedgerEntry } {
  const { position, kind, amount, now } = change;
  const balance = applyEntry(position, kind, amount);
  // Never earlier than the county's previous entry, so time order and seq order agree.
  const at = position.ledgerAt && position.ledgerAt > now.toISOString() ? position.ledgerAt : now.toISOString();
  const seq = position.seq + 1;
  const entry: LedgerEntry = {
    entryId: newId('ledgerEntry', Date.parse(at)),
    at,
    countyCode: position.countyCode,
    kind,
    amount,
    ref: change.ref,
    actor: change.actor,
    balance,
  };
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {
    ':allocated': balance.allocated,
    ':reserved': balance.reserved,
    ':paid': balance.paid,
    ':available': balance.available,
    ':seq': position.seq,
    ':next': seq,
    ':at': at,
    ':now': now.toISOString(),
  };
  const assignments = [
    'allocated = :allocated',
    'reserved = :reserved',
    'paid = :paid',
    'available = :available',
    'seq = :next',
    'ledgerAt = :at',
    'updatedAt = :now',
  ];
  // Idle money (shared/domain/progress.ts) is the time since the allocation's last reservation.
  if (kind === 'reserved') assignments.push('lastReservedAt = :at');
  // The half-year report's "paid in the half": the allocation counts its `paid` entries per half (China time) of `at`.
  if (kind === 'paid') {
    names['#paidInHalf'] = paidInHalfAttribute(halfOf(new Date(at)));
    values[':zero'] = 0;
    values[':amount'] = amount;
    assignments.push('#paidInHalf = if_not_exists(#paidInHalf, :zero) + :amount');
  }
  Object.entries(change.set ?? {}).forEach(([name, value], i) => {
    names[`#x${i}`] = name;
    values[`:x${i}`] = value;
    assignments.push(`#x${i} = :x${i}`);
  });
  const table = config().TABLE_NAME;
  const key = keys.allocation(position.fundId, position.countyCode);
  const carried = carriedStatsUpdate(position.countyCode, change.countyStats);
  if (carried && change.create) throw new Error('an allocation is created by its amount, never by a move that changes county figures');
  const condition = position.seq === 0 ? 'attribute_exists(pk) AND (attribute_not_exists(seq) OR seq = :seq)' : 'seq = :seq';
  const allocation: TxStep = change.create
    ? {
        item: {
          Put: {
            TableName: table,
            Item: { ...key, ...change.create, ...change.set, ...balance, seq, ledgerAt: at, updatedAt: now.toISOString() },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        onConditionFailed: () => new TransactionConflict(),
      }
    : {
        item: {
          Update: {
            TableName: table,
            Key: key,
            UpdateExpression: `SET ${assignments.join(', ')}${carried ? ` ${carried.add}` : ''}`,
            ConditionExpression: carried?.bound ? `(${condition}) AND ${carried.bound.condition}` : condition,
            ...(Object.keys(names).length || carried ? { ExpressionAttributeNames: { ...names, ...carried?.names } } : {}),
            ExpressionAttributeValues: { ...values, ...carried?.values, ...carried?.bound?.values },
          },
        },
        // Another move got in first: the allocation as it is now comes back with the refusal.
        onConditionFailed: (old) => carried?.refusal(old) ?? (old ? new PositionMoved(toPosition(old)) : new TransactionConflict()),
      };
  const put = entryPutStep(position.fundId, entry, seq);
  return { steps: [allocation, put], balance, entry };
}

/** A ledger entry's item, written once (its `seq` in its sort key). */
export function entryPutStep(fundId: string, entry: LedgerEntry, seq: number): TxStep {
  return {
    item: {
      Put: {
        TableName: config().TABLE_NAME,
        Item: {
          pk: ledgerShard(fundId, entry.countyCode),
          sk: `${entry.at}#${entry.countyCode}#${String(seq).padStart(SEQ_DIGITS, '0')}`,
          type: 'ledger-entry',
          fundId,
          seq,
          ...entry,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
}

/** The allocation moved between our read and our write; carries it as it is now. */
export class PositionMoved extends TransactionConflict {
  constructor(readonly position: LedgerPosition) {
    super();
  }
}

/** Commits without re-reading anything but the allocation after another move of it got in first. */
const POSITION_ATTEMPTS = 25;
/** Full jitter, the ceiling doubling from 8 ms up to 250 ms: writers of one allocation spread out, not in step. */
const POSITION_BACKOFF = { attempts: POSITION_ATTEMPTS, baseMs: 4, maxMs: 250 };

/**
 * Commits a transaction built around one allocation's ledger position, in the allocation's turn when the county's
 * writers meet: moves of one allocation from any process (a Lambda environment each, or one local process serving
 * many requests) take turns through a short lease item, so they do not burn transaction attempts on each other,
 * and the position is read once the turn is ours. A lone writer reads the turn, finds nobody there and the county
 * quiet, and commits without it; when another move got in first after all, it takes turns from then on (and marks
 * the county contended). Correctness never rests on the turn: when another writer moved the allocation anyway, the
 * `seq` condition refuses, and the steps are built again on the allocation the refusal returned and committed again
 * after a full-jitter wait. Any other conflict goes to the caller. A missing allocation is the contract's
 * `insufficient_allocation`.
 */
export async function transactAt(
  fundId: string,
  countyCode: string,
  build: (position: LedgerPosition) => TxStep[],
  stance: TurnStance = 'look',
): Promise<void> {
  const owner = randomUUID();
  let alone = stance === 'alone';
  let turn = false;
  if (stance === 'look') {
    const seen = await readAllocationTurn(fundId, countyCode, new Date());
    alone = goesAlone(seen, new Date());
    if (!alone) turn = await awaitAllocationTurn(fundId, countyCode, owner, false, seen.holder !== undefined);
  }
  try {
    let current = await requirePosition(fundId, countyCode);
    for (let attempt = 1; ; attempt++) {
      try {
        await transact(build(current));
        return;
      } catch (error) {
        if (!(error instanceof PositionMoved) || attempt >= POSITION_ATTEMPTS) throw error;
        current = error.position;
        if (alone) {
          // Another writer met us: take turns from here, marking the county contended, on the position as it is then.
          // A settler takes no place in line: the turn now, or its payment waits pending.
          alone = false;
          if (stance === 'look') turn = await awaitAllocationTurn(fundId, countyCode, owner, true);
          else if (!(turn = await takeAllocationTurn(fundId, countyCode, owner, new Date(), TURN_LEASE_MS, true))) {
            await markAllocationContended(fundId, countyCode, new Date());
            throw new MetAnotherWriter();
          }
          current = await requirePosition(fundId, countyCode);
        } else await sleep(backoffMs(POSITION_BACKOFF, attempt));
      }
    }
  } finally {
    if (turn) await releaseAllocationTurn(fundId, countyCode, owner);
  }
}

/**
 * A money move (reserve, release, settle) on a read allocation. `reserve` answers
 * `insufficient_allocation` when `available` cannot cover it; a release or payment without the
 * reservation behind it is a broken invariant and stops the transaction.
 */
function ledgerMoveSteps(
  position: LedgerPosition,
  { move, amount, ref, actor, now, countyStats }: Omit<MoneyMove, 'source' | 'fundId' | 'countyCode'>,
): TxStep[] {
  if (move === 'reserve' && position.available < amount) {
    throw new DomainError('insufficient_allocation', `The county allocation has ${position.available} fen available; ${amount} needed`);
  }
  try {
    return ledgerChangeSteps({ position, kind: MOVE_KIND[move], amount, ref, actor, now, countyStats }).steps;
  } catch (error) {
    // The allocation was read after a concurrent move of the same money (two settlements racing):
    // read everything again; the entity's own condition then gives the definite answer.
    if (error instanceof LedgerViolation) throw new TransactionConflict();
    throw error;
  }
}

/** One move of money and where it comes from or goes back to: what `commitMoney` takes. */
export interface MoneyMove {
  /** The campaign's subsidy or the county allocation (shared/domain/money-source.ts decides). */
  source: MoneySource;
  fundId: string;
  countyCode: string;
  move: Move;
  amount: number;
  ref: LedgerRef;
  actor: string;
  now: Date;
  /**
   * A settler that holds the allocation's turn or found the county quiet (./roll-up.ts `settlerTurn`): a payment
   * then moves the allocation in its own transaction instead of waiting as a pending roll-up.
   */
  turn?: 'held' | 'alone';
  /** The county report's figures it changes: on the allocation, its pending roll-up, or (a subsidy) the county's shard. */
  countyStats?: Record<string, number>;
}

/** The money comes from (or goes back to) the county allocation: a batch, a campaign's subsidy reservation. */
export const ALLOCATION: MoneySource = { kind: 'allocation' };

/**
 * THE commit of a balance change: `build` gets the move's steps (none without a move) and returns the
 * whole transaction, the use case's own steps around them. A subsidy's step commits once (its own
 * condition decides). An allocation's move goes through `transactAt`: when another move of the same
 * allocation got in first, its steps are built again on the allocation the refusal returned and the
 * transaction is committed again, the same way for every use case. Any other conflict goes to the
 * caller, who reads everything again.
 */
export async function commitMoney(m: MoneyMove | undefined, build: (money: TxStep[]) => TxStep[]): Promise<void> {
  if (!m) return transact(build([]));
  if (m.source.kind === 'subsidy') {
    const { campaignId } = m.source;
    const subsidy = m.move === 'reserve' ? subsidyDrawStep(campaignId, m.amount) : subsidyReturnStep(campaignId, m.amount);
    const seed = m.ref.disbursementId ?? m.ref.payoutId ?? campaignId;
    return transact(
      build([subsidy, ...(changesStats(m.countyStats) ? [statsStep(m.countyCode, 'disbursements', m.countyStats!, seed)] : [])]),
    );
  }
  const steps = (position: LedgerPosition) => build(ledgerMoveSteps(position, m));
  if (m.move === 'settle' && m.turn === 'alone') {
    try {
      return await transactAt(m.fundId, m.countyCode, steps, 'alone');
    } catch (error) {
      if (!(error instanceof MetAnotherWriter)) throw error;
    }
  }
  // A payment never changes `available`: unless its settler holds the allocation's turn or found the county quiet
  // (and met nobody), it waits as a pending roll-up (API 1.2), so settlements of one county do not contend for its
  // allocation. The roll-up applies it within one OUTBOX_SWEEP_SECONDS.
  if (m.move === 'settle' && m.turn !== 'held') {
    const payoutId = m.ref.payoutId;
    if (!payoutId) throw new Error('a settlement names its payout');
    return transact(
      build([
        pendingSettlementStep({
          fundId: m.fundId,
          countyCode: m.countyCode,
          payoutId,
          amount: m.amount,
          ref: m.ref,
          actor: m.actor,
          at: m.now.toISOString(),
          ...(changesStats(m.countyStats) ? { countyStats: m.countyStats } : {}),
        }),
      ]),
    );
  }
  await transactAt(m.fundId, m.countyCode, steps, m.turn ?? 'look');
}

/** An allocation set to a new amount, as `commitAllocationSet` takes it. */
export interface AllocationSet {
  fundId: string;
  countyCode: string;
  /** The allocation as read; undefined when the fund has none for the county yet (it is created). */
  current: LedgerPosition | undefined;
  amount: number;
  actor: string;
  now: Date;
  /** The new allocation item's attributes besides its balances (its listing keys), when it is created. */
  create: Record<string, unknown>;
}

/**
 * THE commit of an allocation's new amount: an `allocation_set` entry with the difference as its amount, never
 * below what is reserved and paid (`allocation_below_commitments`), in one transaction with the use case's own
 * steps (`build` gets the change's steps and the difference). A move that got in first fails the allocation's
 * condition: the caller reads again and decides again. Returns the balance after.
 */
export async function commitAllocationSet(set: AllocationSet, build: (money: TxStep[], delta: number) => TxStep[]): Promise<LedgerLine> {
  const position = set.current ?? { fundId: set.fundId, countyCode: set.countyCode, ...EMPTY_LINE, seq: 0, ledgerAt: null };
  const delta = set.amount - position.allocated;
  if (position.available + delta < 0) {
    throw new DomainError(
      'allocation_below_commitments',
      `The allocation cannot go below what is reserved and paid (${position.reserved + position.paid} fen)`,
    );
  }
  const change = ledgerChangeSteps({
    position,
    kind: 'allocation_set',
    amount: delta,
    ref: {},
    actor: set.actor,
    now: set.now,
    create: set.current ? undefined : set.create,
  });
  await transact(build(change.steps, delta));
  return change.balance;
}
