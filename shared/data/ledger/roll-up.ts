/**
 * The roll-up of settled payouts (ledger/items.ts, "Settlement roll-ups"): `rollUpAllocation` applies a county's
 * pending payments to its allocation with their `paid` entries, `rollUpAfterSettlement` does so right after a
 * settlement, and the outbox sweep's share (`settlementRollUpSource`) rolls up every allocation with something
 * pending, whoever else is doing it, so a settled payout is paid on its allocation within one OUTBOX_SWEEP_SECONDS
 * even when the settler that should have rolled it up crashed.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyEntry, LedgerViolation, type LedgerLine } from '../../domain/ledger.ts';
import { halfOf } from '../../domain/half-year-report.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { logger } from '../../logger.ts';
import { backoffMs } from '../../retry.ts';
import { keys } from '../platform/keys.ts';
import { carriedStatsUpdate, sumStats } from '../counties/stats.ts';
import { TransactionConflict, type TxStep } from '../platform/transactions.ts';
import type { SweepSource } from '../platform/sweep.ts';
import {
  pendingRollUpsIn,
  pendingSettlementDoneStep,
  readPendingSettlements,
  toPosition,
  paidInHalfAttribute,
  ROLLUP_SHARDS,
  type LedgerEntry,
  type LedgerPosition,
  type PendingSettlement,
} from './items.ts';
import { entryPutStep, PositionMoved, transactAt } from './move.ts';
import {
  allocationTurnLooksFree,
  goesAlone,
  markAllocationContended,
  readAllocationTurn,
  releaseAllocationTurn,
  takeAllocationTurn,
  takeAllocationTurnOrSeeHolder,
  TURN_BACKOFF,
  TURN_LEASE_MS,
} from './turn.ts';

/** Pending settlements applied per transaction: 1 allocation + an entry and a delete each, under 100 items. */
const ROLLUP_CHUNK = 40;
/** Conflicts with another roll-up of the same county (each one commits something) before giving up to the sweep. */
const ROLLUP_CONFLICTS = 12;

/** One roll-up transaction: the allocation reserved → paid by the sum, a `paid` entry per payout, the items removed. */
function rollUpSteps(position: LedgerPosition, pending: readonly PendingSettlement[], now: Date): TxStep[] {
  const at = position.ledgerAt && position.ledgerAt > now.toISOString() ? position.ledgerAt : now.toISOString();
  let line: LedgerLine = position;
  let seq = position.seq;
  const entries: TxStep[] = [];
  for (const p of pending) {
    try {
      line = applyEntry(line, 'paid', p.amount);
    } catch (error) {
      // Another roll-up applied some of these after we read them: read again.
      if (error instanceof LedgerViolation) throw new TransactionConflict();
      throw error;
    }
    seq += 1;
    const entry: LedgerEntry = {
      entryId: newId('ledgerEntry', Date.parse(at)),
      at,
      countyCode: position.countyCode,
      kind: 'paid',
      amount: p.amount,
      ref: p.ref,
      actor: p.actor,
      balance: line,
    };
    entries.push(entryPutStep(position.fundId, entry, seq));
  }
  // The county report's figures of these payments (approved → paid) reach it with them (../counties/stats.ts). No
  // bound to check: what grows, paid, stays within the allocation's own `paid`, far below a shard's limit.
  const carried = carriedStatsUpdate(position.countyCode, sumStats(pending.map((p) => p.countyStats)));
  const allocation: TxStep = {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.allocation(position.fundId, position.countyCode),
        UpdateExpression:
          'SET reserved = :reserved, paid = :paid, available = :available, seq = :next, ledgerAt = :at, updatedAt = :now, ' +
          `#paidInHalf = if_not_exists(#paidInHalf, :zero) + :sum${carried ? ` ${carried.add}` : ''}`,
        ConditionExpression: 'seq = :seq',
        // The half-year report's "paid in the half" counts the `paid` entries by their `at`: all of this roll-up's share one.
        ExpressionAttributeNames: { '#paidInHalf': paidInHalfAttribute(halfOf(new Date(at))), ...carried?.names },
        ExpressionAttributeValues: {
          ...carried?.values,
          ':zero': 0,
          ':sum': line.paid - position.paid,
          ':reserved': line.reserved,
          ':paid': line.paid,
          ':available': line.available,
          ':seq': position.seq,
          ':next': seq,
          ':at': at,
          ':now': now.toISOString(),
        },
      },
    },
    onConditionFailed: (old) => (old ? new PositionMoved(toPosition(old)) : new TransactionConflict()),
  };
  return [allocation, ...entries, ...pending.map(pendingSettlementDoneStep)];
}

/**
 * Applies every pending settlement of one allocation, a chunk per transaction, whoever else is rolling it up:
 * each pending item is deleted in the transaction that applies it, on condition it is still there, so two
 * roll-ups at once (two sweepers, a sweeper and a settler) apply each payout once. Returns how many it applied.
 */
export async function rollUpAllocation(
  fundId: string,
  countyCode: string,
  now: Date,
  maxChunks = Number.POSITIVE_INFINITY,
  /** The caller holds the allocation's turn (a settler's roll-up): no turn is taken per chunk. */
  turnHeld = false,
): Promise<number> {
  let applied = 0;
  let conflicts = 0;
  for (let chunks = 0; chunks < maxChunks;) {
    const pending = await readPendingSettlements(fundId, countyCode, ROLLUP_CHUNK);
    if (pending.length === 0) return applied;
    try {
      await transactAt(fundId, countyCode, (position) => rollUpSteps(position, pending, now), turnHeld ? 'held' : 'look');
      applied += pending.length;
      chunks++;
    } catch (error) {
      if (!(error instanceof TransactionConflict) || ++conflicts >= ROLLUP_CONFLICTS) throw error;
      await sleep(backoffMs({ attempts: ROLLUP_CONFLICTS, baseMs: 10, maxMs: 250 }, conflicts));
      continue;
    }
    if (pending.length < ROLLUP_CHUNK) return applied;
  }
  return applied;
}

/** Rounds a settler rolls up for others who settled meanwhile, before leaving the rest to the sweep. */
const ROLLUP_ROUNDS = 4;
/** How long a settler waits for other moves' turns in all, before leaving its payment to the sweep. */
const ROLLUP_WAIT_MS = 10_000;

/** Reads the allocation's turn until it looks free (true), or until `giveUpAt` (false). */
async function untilTurnLooksFree(fundId: string, countyCode: string, giveUpAt: number): Promise<boolean> {
  for (let attempt = 1; !(await allocationTurnLooksFree(fundId, countyCode, new Date())); attempt++) {
    if (Date.now() >= giveUpAt) return false;
    await sleep(backoffMs(TURN_BACKOFF, attempt));
  }
  return true;
}
/** A settler's roll-up holds the allocation's turn under an owner that says so: another settler leaves it to it. */
const ROLLUP_OWNER = 'rollup-';

/** How a succeeded settlement stands to the allocation's turn before its transaction (`settlerTurn`). */
export interface SettlerTurn {
  /** The county is quiet: the payment moves its allocation in its own transaction without the turn. */
  alone: boolean;
  /** The turn, taken: the payment moves its allocation in its own transaction in it. */
  owner?: string;
}

/**
 * A succeeded settlement's look at the allocation's turn (./turn.ts) before its transaction, without waiting. Nobody
 * holds it and the county is quiet: `alone`, nothing written (the payment moves its allocation in its own
 * transaction, ./move.ts `commitMoney`, and takes turns only if another move gets in first). Free in a contended
 * county: taken without waiting, the owner (the payment moves the allocation in the turn). Held, or taken by another
 * meanwhile: neither, the payment waits as a pending roll-up, and a held turn marks the county contended. Either way
 * `rollUpAfterSettlement` follows, and gives a turn taken here back.
 */
export async function settlerTurn(fundId: string, countyCode: string): Promise<SettlerTurn> {
  const now = new Date();
  const seen = await readAllocationTurn(fundId, countyCode, now);
  if (goesAlone(seen, now)) return { alone: true };
  if (seen.holder !== undefined) {
    await markAllocationContended(fundId, countyCode, now, seen);
    return { alone: false };
  }
  const owner = `${ROLLUP_OWNER}${randomUUID()}`;
  return (await takeAllocationTurn(fundId, countyCode, owner, new Date(), TURN_LEASE_MS)) ? { alone: false, owner } : { alone: false };
}

/**
 * After a settlement commits: rolls its county up now in the allocation's turn, taken without waiting (or held
 * since `settlerTurn`: `heldBy`; a payment that moved its allocation alone finds nothing pending and takes none), so
 * a settlement shows as paid at once and a county's burst of settlements is rolled up by one settler at a time
 * instead of all of them colliding on the allocation. The turn is the roll-up's only lease: a settler that finds it
 * held by another settler (owner `rollup-…`) leaves its payment to that one, which gives the turn back and looks
 * once more (our pending item was committed before we found the turn held, so it is seen then). A turn held by any
 * other move (an approval, a release, the sweep's roll-up, none of which looks again) is waited for, reading, and
 * tried for again once free. Best effort: anything left is the sweep's (settlementRollUpSource).
 */
export async function rollUpAfterSettlement(
  fundId: string,
  countyCode: string,
  now: Date,
  heldBy?: string,
  waitsPending = false,
): Promise<void> {
  // Nothing pending (the payment moved its allocation itself, and nobody else's waits): no turn to take. A payment
  // that was written pending (`waitsPending`) is something pending: no query to learn it (a contended county's
  // settlers each save a round trip; should another roll-up have applied it already, the turn finds nothing to do).
  if (heldBy === undefined && !waitsPending && (await readPendingSettlements(fundId, countyCode, 1)).length === 0) return;
  const owner = heldBy ?? `${ROLLUP_OWNER}${randomUUID()}`;
  const giveUpAt = Date.now() + ROLLUP_WAIT_MS;
  for (let round = 0; round < ROLLUP_ROUNDS; round++) {
    // Refused, the take says who held the turn at that instant (no read after it).
    const take =
      round === 0 && heldBy !== undefined
        ? { taken: true as const }
        : await takeAllocationTurnOrSeeHolder(fundId, countyCode, owner, new Date(), TURN_LEASE_MS);
    if (take.taken) {
      try {
        // One chunk a round: a request never rolls up an unbounded stream of other settlers' payments.
        await rollUpAllocation(fundId, countyCode, now, 1, true);
      } finally {
        await releaseAllocationTurn(fundId, countyCode, owner);
      }
    } else {
      if (take.holder.startsWith(ROLLUP_OWNER)) return;
      // Another move's turn, which does not look again: wait (reading) until it looks free, then try for it once
      // more. Of the settlers waiting so, the first to take it rolls up for all; the others find it theirs and leave.
      if (!(await untilTurnLooksFree(fundId, countyCode, giveUpAt))) return;
    }
    if ((await readPendingSettlements(fundId, countyCode, 1)).length === 0) return;
  }
}

/** Rolls up every allocation with something pending now; returns how many allocations and payouts. */
export async function sweepRollUps(now: Date): Promise<{ found: number; queued: number }> {
  const seen = new Set<string>();
  const allocations: { fundId: string; countyCode: string }[] = [];
  for (let shard = 0; shard < ROLLUP_SHARDS; shard++) {
    for await (const page of pendingRollUpsIn(shard)) {
      for (const a of page) {
        const key = `${a.fundId}\u0000${a.countyCode}`;
        if (!seen.has(key)) allocations.push(a);
        seen.add(key);
      }
    }
  }
  let applied = 0;
  let failed = 0;
  for (const a of allocations) {
    // One allocation that cannot be rolled up now does not hold up the others; the next sweep tries it again.
    try {
      applied += await rollUpAllocation(a.fundId, a.countyCode, now);
    } catch (error) {
      failed++;
      logger.warn('settlement roll-up failed; the next sweep tries again', { fundId: a.fundId, error: (error as Error).name });
    }
  }
  if (failed > 0) throw new Error(`${failed} settlement roll-ups failed`);
  return { found: allocations.length, queued: applied };
}

/** Not a queue: the sweep applies the roll-ups itself (`queued` counts the payouts it applied). */
export const settlementRollUpSource: SweepSource = {
  name: 'settlement-rollups',
  sweep: () => sweepRollUps(new Date()),
};
