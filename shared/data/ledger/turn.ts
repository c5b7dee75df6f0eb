/**
 * The allocation's turn. Moves of one allocation are ordered by its `seq` (the condition of every move), so two
 * writers at once cannot both commit: the loser's whole transaction fails, charged 2 units per item, and is built
 * again. In a county's burst, writers therefore take turns through a short lease on a small item of their own
 * (`LEASE#ALLOC#<fundId>#<countyCode> / TURN`, not in the fund's partition): take it, read the allocation and
 * commit, give it back (1 write unit each way).
 *
 * A lone writer does not pay for that. It reads the turn first (half a read unit, eventually consistent) and, when nobody holds it and the
 * county's writers have not met within CONTENDED_MS, goes straight to its transaction and writes nothing to the turn
 * (`goesAlone`). Writers that meet mark the county contended (`contendedUntil` on the turn item), so the writers
 * after them take turns: a lone writer whose transaction another move got in before (the `seq` condition refused
 * it), or one that found the turn held, marks it in the take of its turn, with no write of its own; a settler that
 * found the turn held and leaves its payment pending instead writes the mark alone, and only when the mark it read
 * runs out within half of CONTENDED_MS. Giving the turn back keeps the item and its mark. A take by a writer that met
 * nobody (the turn free, the county still marked) leaves the mark as it is, so a county goes back to lone writes
 * CONTENDED_MS after its writers last met.
 *
 * Decisions rest on what the store says, never on process memory (a Lambda environment each). The turn only orders
 * writers; the `seq` condition decides. So the first writers of a burst, which all looked before any of them
 * marked, cost at most one failed transaction attempt each; a holder that crashed holds the county up until its
 * turn runs out; neither ever makes a wrong balance.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from '../../retry.ts';
import {
  leaseHolder,
  leaseLooksFree,
  markLeaseContended,
  readLease,
  releaseLease,
  takeLease,
  takeLeaseOrSeeHolder,
  type LeaseState,
} from '../platform/lease.ts';

export const allocationTurnKey = (fundId: string, countyCode: string) => ({ pk: `LEASE#ALLOC#${fundId}#${countyCode}`, sk: 'TURN' });

const TURN_TYPE = 'allocation-turn';

/**
 * How long a writer holds the allocation's turn at most: far longer than one transaction, short enough that a
 * crashed holder (a Lambda environment ended mid-request) holds up the county's moves only this long.
 */
export const TURN_LEASE_MS = 5_000;
/** How long a writer waits for the turn before it commits without one (the `seq` condition still orders it). */
const TURN_WAIT_MS = 20_000;
/** Looks at a held turn: full jitter, the ceiling doubling from 10 ms up to 100 ms (about a transaction's time). */
export const TURN_BACKOFF = { attempts: Number.POSITIVE_INFINITY, baseMs: 5, maxMs: 100 };
/**
 * How long after its writers last met a county's writers keep taking turns: a burst's writers arrive well within
 * it of each other, even on a loaded machine, and a lone writer afterwards pays for one read, not for two writes.
 */
export const CONTENDED_MS = 10_000;

/**
 * A writer's first look at the allocation's turn at `now`: one eventually consistent read (half a read unit). A stale
 * copy only ever misleads the choice between going alone and taking turns, never a balance: a writer that went alone
 * in a county just marked meets the other writer at the `seq` condition and takes turns from then on, and one that
 * saw a turn already given back waits for it a little (reading consistently) or leaves its payment to a roll-up.
 */
export const readAllocationTurn = (fundId: string, countyCode: string, now: Date): Promise<LeaseState> =>
  readLease(allocationTurnKey(fundId, countyCode), now, { consistent: false });

/** Nobody holds the turn and the county's writers have not met lately: the writer commits without the turn. */
export const goesAlone = (turn: LeaseState, now: Date): boolean =>
  turn.holder === undefined && (turn.contendedUntil === undefined || turn.contendedUntil <= now.toISOString());

const contendedFrom = (now: Date) => new Date(now.getTime() + CONTENDED_MS);

/**
 * Takes the allocation's turn for `leaseMs` unless another writer holds it; false when one does. `met`: the taker
 * met another writer, and the take marks the county contended.
 */
export const takeAllocationTurn = (
  fundId: string,
  countyCode: string,
  owner: string,
  now: Date,
  leaseMs: number,
  met = false,
): Promise<boolean> =>
  takeLease(allocationTurnKey(fundId, countyCode), TURN_TYPE, owner, now, leaseMs, met ? contendedFrom(now) : undefined);

/** `takeAllocationTurn` for a settler's roll-up: refused, it says who holds the turn (no read after the refusal). */
export const takeAllocationTurnOrSeeHolder = (fundId: string, countyCode: string, owner: string, now: Date, leaseMs: number) =>
  takeLeaseOrSeeHolder(allocationTurnKey(fundId, countyCode), TURN_TYPE, owner, now, leaseMs);

/**
 * Marks the county contended by a writer that met another and does not take the turn: one write, unless the mark
 * `seen` (read at `now`; none read: written) still holds for more than half of CONTENDED_MS.
 */
export async function markAllocationContended(fundId: string, countyCode: string, now: Date, seen?: LeaseState): Promise<void> {
  const halfway = new Date(now.getTime() + CONTENDED_MS / 2).toISOString();
  if (seen?.contendedUntil !== undefined && seen.contendedUntil > halfway) return;
  await markLeaseContended(allocationTurnKey(fundId, countyCode), TURN_TYPE, contendedFrom(now));
}

/** Whether nobody holds the allocation's turn (or the holder's time ran out): a read, not a refused write. */
export const allocationTurnLooksFree = (fundId: string, countyCode: string, now: Date): Promise<boolean> =>
  leaseLooksFree(allocationTurnKey(fundId, countyCode), now);

/** Who holds the allocation's turn now (its owner), undefined when nobody does: one consistent read. */
export const allocationTurnHolder = (fundId: string, countyCode: string, now: Date): Promise<string | undefined> =>
  leaseHolder(allocationTurnKey(fundId, countyCode), now);

/** Gives the allocation's turn back, if it is still ours; the item and its contended mark stay. */
export const releaseAllocationTurn = (fundId: string, countyCode: string, owner: string): Promise<void> =>
  releaseLease(allocationTurnKey(fundId, countyCode), owner);

/**
 * Waits for the allocation's turn: true once taken, false when it was not free within TURN_WAIT_MS (a stream of
 * other writers, or a store that does not answer), and the caller goes on without it. While it is held, the waiter
 * reads it (a read, not a refused write) and tries to take it only once it looks free. `met`: the writer met
 * another already (its lone transaction was refused); `held`: it has just read the turn held (it met its holder),
 * so it starts by reading. A waiter that met another marks the county contended in its take.
 */
export async function awaitAllocationTurn(fundId: string, countyCode: string, owner: string, met: boolean, held = false): Promise<boolean> {
  const giveUpAt = Date.now() + TURN_WAIT_MS;
  let attempt = 1;
  for (let wait = held; ; wait = true) {
    if (wait) {
      do {
        if (Date.now() >= giveUpAt) return false;
        await sleep(backoffMs(TURN_BACKOFF, attempt++));
      } while (!(await allocationTurnLooksFree(fundId, countyCode, new Date())));
    }
    if (await takeAllocationTurn(fundId, countyCode, owner, new Date(), TURN_LEASE_MS, met || wait)) return true;
  }
}

/**
 * How a writer stands to the allocation's turn in ./move.ts `transactAt`: `look` reads it and goes alone when nobody
 * holds it and the county is quiet, otherwise waits for it; `alone` is a settler that has looked already (met by
 * another move, it takes the turn only if free at once, else stops with `MetAnotherWriter`); `held` holds it (a
 * settler's roll-up) and gives it back itself.
 */
export type TurnStance = 'look' | 'alone' | 'held';

/** A settler that went alone met another move and found the turn held: its payment waits pending (./move.ts commitMoney). */
export class MetAnotherWriter extends Error {}
