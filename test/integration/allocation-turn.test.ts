/**
 * Issue 21: moves of one allocation take turns across processes through a short lease item (the allocation's turn,
 * shared/data/ledger/items.ts), not through anything one process keeps. Each writer here loads the ledger's modules
 * afresh (`vi.resetModules`), so it has module state of its own, as a Lambda environment does: whatever one
 * process keeps cannot make them take turns. The books are exact in every case (the `seq` condition decides); the
 * turn keeps writers from burning transaction attempts on each other, and a holder that crashed holds the county up
 * only until its turn runs out.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { MoneyMove } from '#shared/data/ledger/move';
import { COUNTY, moneyHarness, type MoneyHarness } from './disbursement-harness.ts';

type Move = typeof import('#shared/data/ledger/move');

let h: MoneyHarness;
let checkLedger: typeof import('#shared/data/ledger/check').checkLedger;
let readPosition: typeof import('#shared/data/ledger/items').readPosition;

beforeAll(async () => {
  h = await moneyHarness();
  ({ checkLedger } = await import('#shared/data/ledger/check'));
  ({ readPosition } = await import('#shared/data/ledger/items'));
}, 120_000);

/** A writer with module state of its own (as one Lambda environment), and its TransactWriteItems attempts. */
interface Writer {
  move: Move;
  attempts: { sent: number; failed: number };
}

async function freshWriter(): Promise<Writer> {
  vi.resetModules();
  const move = await import('#shared/data/ledger/move');
  const { dynamo } = await import('#shared/data/platform/clients');
  const attempts = { sent: 0, failed: 0 };
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
      attempts.sent++;
      try {
        return await next(args);
      } catch (error) {
        attempts.failed++;
        throw error;
      }
    },
    { step: 'initialize', priority: 'low', name: 'testAttempts' },
  );
  return { move, attempts };
}

/** Reserves `amount` on the county's allocation and releases it again: two moves, the books as they were. */
async function reserveAndRelease(w: Writer, fundId: string, amount: number, n: number): Promise<void> {
  const move = (kind: 'reserve' | 'release'): MoneyMove => ({
    source: w.move.ALLOCATION,
    fundId,
    countyCode: COUNTY,
    move: kind,
    amount,
    ref: { disbursementId: `dsb_turn_${n}` },
    actor: `writer-${n}`,
    now: new Date(),
  });
  await w.move.commitMoney(move('reserve'), (money) => money);
  await w.move.commitMoney(move('release'), (money) => money);
}

async function allocation(fundId: string) {
  const a = await h.data.funds.findAllocation(fundId, COUNTY);
  return { allocated: a?.allocated, reserved: a?.reserved, paid: a?.paid, available: a?.available };
}

describe("the allocation's turn, across writers with state of their own", () => {
  it('16 writers of one allocation commit with less than one failed transaction attempt per move, the books exact', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const writers: Writer[] = [];
    for (let n = 0; n < 8; n++) writers.push(await freshWriter());
    // Two at once in each writer, 8 writers: 16 writers of one allocation, 32 moves.
    await Promise.all(
      writers.flatMap((w, n) => [reserveAndRelease(w, fundId, 1_000 + n, 2 * n), reserveAndRelease(w, fundId, 2_000 + n, 2 * n + 1)]),
    );

    const sent = writers.reduce((s, w) => s + w.attempts.sent, 0);
    const failed = writers.reduce((s, w) => s + w.attempts.failed, 0);
    expect(sent - failed).toBe(32);
    // Without turns across processes, 16 writers of one `seq` fail several attempts per commit.
    expect(failed, `${failed} failed transaction attempts for 32 moves`).toBeLessThanOrEqual(8);
    expect(await allocation(fundId)).toEqual({ allocated: 1_000_000, reserved: 0, paid: 0, available: 1_000_000 });
    expect((await readPosition(fundId, COUNTY))?.seq).toBe(1 + 32);
    expect((await checkLedger()).differences).toEqual([]);
  }, 180_000);

  it("a holder that crashed holds the county's moves up only until its turn runs out", async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
    const w = await freshWriter();
    const { takeAllocationTurn } = await import('#shared/data/ledger/items');
    // A writer took the turn and was ended before giving it back (a Lambda environment reset mid-request).
    expect(await takeAllocationTurn(fundId, COUNTY, 'crashed-writer', new Date(), w.move.TURN_LEASE_MS)).toBe(true);
    const started = Date.now();
    await reserveAndRelease(w, fundId, 5_000, 99);
    const waited = Date.now() - started;
    // It waited for the crashed writer's turn to run out (it did not barge in), and no longer.
    expect(waited).toBeGreaterThanOrEqual(w.move.TURN_LEASE_MS - 500);
    expect(waited).toBeLessThan(w.move.TURN_LEASE_MS + 8_000);
    expect(await allocation(fundId)).toEqual({ allocated: 100_000, reserved: 0, paid: 0, available: 100_000 });
    expect((await checkLedger()).differences).toEqual([]);
  }, 60_000);

  it('a writer outside the turn (an allocation set) still cannot break the order: the seq condition decides', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
    const writers: Writer[] = [];
    for (let n = 0; n < 4; n++) writers.push(await freshWriter());
    const { setAllocation } = await import('#shared/data/funds/allocate');
    const admin = { sub: 'admin-1' };
    // Allocation sets read the allocation and commit on its `seq` without taking the turn, in the middle of the moves.
    await Promise.all([
      ...writers.map((w, n) => reserveAndRelease(w, fundId, 3_000 + n, 200 + n)),
      setAllocation(fundId, COUNTY, 150_000, admin, new Date()),
      setAllocation(fundId, COUNTY, 150_000, admin, new Date()),
    ]);
    expect(await allocation(fundId)).toEqual({ allocated: 150_000, reserved: 0, paid: 0, available: 150_000 });
    // The fund's allocation entry, 8 moves and one change of the amount (the second set found it already done).
    expect((await readPosition(fundId, COUNTY))?.seq).toBe(1 + 8 + 1);
    expect((await checkLedger()).differences).toEqual([]);
  }, 120_000);
});
