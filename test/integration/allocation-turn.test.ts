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

/**
 * A writer with module state of its own (as one Lambda environment), its TransactWriteItems attempts, and the
 * requests it sent to allocations' turn items (by command name).
 */
interface Writer {
  move: Move;
  attempts: { sent: number; failed: number };
  turnRequests: string[];
}

/** Whether a document client request names an allocation's turn item as its key. */
const namesTurn = (input: unknown): boolean => {
  const pk = (input as { Key?: { pk?: unknown } }).Key?.pk;
  return typeof pk === 'string' && pk.startsWith('LEASE#ALLOC#');
};

async function freshWriter(): Promise<Writer> {
  vi.resetModules();
  const move = await import('#shared/data/ledger/move');
  const { dynamo, documents } = await import('#shared/data/platform/clients');
  const attempts = { sent: 0, failed: 0 };
  const turnRequests: string[] = [];
  documents.middlewareStack.add(
    (next, context) => async (args) => {
      if (namesTurn(args.input)) turnRequests.push(context.commandName ?? '');
      return next(args);
    },
    { step: 'initialize', priority: 'low', name: 'testTurnRequests' },
  );
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
  return { move, attempts, turnRequests };
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

/** Failed transaction attempts of all `writers` so far. */
const failedOf = (writers: Writer[]) => writers.reduce((s, w) => s + w.attempts.failed, 0);

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
    // Without turns across processes, 16 writers of one `seq` fail several attempts per commit (94 for 32 moves). The
    // first writers look at a quiet county at once and go alone: each of them fails at most about once, then the
    // county is marked contended and they take turns (the test below: none fails after that).
    expect(failed, `${failed} failed transaction attempts for 32 moves`).toBeLessThanOrEqual(24);
    expect(await allocation(fundId)).toEqual({ allocated: 1_000_000, reserved: 0, paid: 0, available: 1_000_000 });
    expect((await readPosition(fundId, COUNTY))?.seq).toBe(1 + 32);
    expect((await checkLedger()).differences).toEqual([]);
  }, 180_000);

  it("a holder that crashed holds the county's moves up only until its turn runs out", async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
    const w = await freshWriter();
    const { takeAllocationTurn, TURN_LEASE_MS } = await import('#shared/data/ledger/turn');
    // A writer took the turn and was ended before giving it back (a Lambda environment reset mid-request).
    expect(await takeAllocationTurn(fundId, COUNTY, 'crashed-writer', new Date(), TURN_LEASE_MS)).toBe(true);
    const started = Date.now();
    await reserveAndRelease(w, fundId, 5_000, 99);
    const waited = Date.now() - started;
    // It waited for the crashed writer's turn to run out (it did not barge in), and no longer.
    expect(waited).toBeGreaterThanOrEqual(TURN_LEASE_MS - 500);
    expect(waited).toBeLessThan(TURN_LEASE_MS + 8_000);
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
  it('a lone writer reads the turn and writes nothing to it, also over a turn item stored before', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
    const w = await freshWriter();
    await reserveAndRelease(w, fundId, 4_000, 300);
    // One consistent read a move; no take, no give-back (the code before: an UpdateItem and a DeleteItem a move).
    expect(w.turnRequests).toEqual(['GetItemCommand', 'GetItemCommand']);
    expect(w.attempts.failed).toBe(0);
    // A turn item as the code before left it (no contended mark), its holder's time run out: free and quiet.
    const { allocationTurnKey } = await import('#shared/data/ledger/turn');
    const { documents } = await import('#shared/data/platform/clients');
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { config } = await import('#shared/config');
    const before = { leaseOwner: 'a-writer-before', leaseUntil: new Date(Date.now() - 1_000).toISOString(), type: 'allocation-turn' };
    await documents.send(new PutCommand({ TableName: config().TABLE_NAME, Item: { ...allocationTurnKey(fundId, COUNTY), ...before } }));
    w.turnRequests.length = 0;
    await reserveAndRelease(w, fundId, 4_000, 301);
    expect(w.turnRequests).toEqual(['GetItemCommand', 'GetItemCommand']);
    expect(await allocation(fundId)).toEqual({ allocated: 100_000, reserved: 0, paid: 0, available: 100_000 });
    expect((await readPosition(fundId, COUNTY))?.seq).toBe(1 + 4);
    expect((await checkLedger()).differences).toEqual([]);
  }, 60_000);

  it('a burst takes turns once its first writers met: none fails after that, and the county goes back to lone moves', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const writers: Writer[] = [];
    for (let n = 0; n < 8; n++) writers.push(await freshWriter());
    const move = (w: Writer, kind: 'reserve' | 'release', n: number): Promise<void> =>
      w.move.commitMoney(
        {
          source: w.move.ALLOCATION,
          fundId,
          countyCode: COUNTY,
          move: kind,
          amount: 1_000 + n,
          ref: { disbursementId: `dsb_burst_${n}` },
          actor: `writer-${n}`,
          now: new Date(),
        },
        (money) => money,
      );
    // The first wave finds the county quiet and goes alone: each writer of it fails at most once, then takes turns.
    await Promise.all(writers.flatMap((w, n) => [move(w, 'reserve', 2 * n), move(w, 'reserve', 2 * n + 1)]));
    const firstWave = failedOf(writers);
    expect(firstWave, `${firstWave} failed attempts in the first wave`).toBeLessThanOrEqual(16);
    const { readAllocationTurn, CONTENDED_MS } = await import('#shared/data/ledger/turn');
    const marked = await readAllocationTurn(fundId, COUNTY, new Date());
    expect(marked.holder).toBeUndefined();
    expect(marked.contendedUntil! > new Date().toISOString()).toBe(true);
    // The second wave of the burst finds the county marked: every writer takes its turn, no attempt fails.
    for (const w of writers) w.turnRequests.length = 0;
    await Promise.all(writers.flatMap((w, n) => [move(w, 'release', 2 * n), move(w, 'release', 2 * n + 1)]));
    expect(failedOf(writers) - firstWave, 'failed attempts in the second wave').toBe(0);
    for (const w of writers) expect(w.turnRequests).toContain('UpdateItemCommand');
    expect(await allocation(fundId)).toEqual({ allocated: 1_000_000, reserved: 0, paid: 0, available: 1_000_000 });
    expect((await readPosition(fundId, COUNTY))?.seq).toBe(1 + 32);
    // Once nobody met for CONTENDED_MS, a lone move writes nothing to the turn again.
    const { contendedUntil } = await readAllocationTurn(fundId, COUNTY, new Date());
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(contendedUntil!) - Date.now()) + 50));
    expect(CONTENDED_MS).toBeLessThanOrEqual(10_000);
    const lone = writers[0]!;
    lone.turnRequests.length = 0;
    await reserveAndRelease(lone, fundId, 500, 400);
    expect(lone.turnRequests).toEqual(['GetItemCommand', 'GetItemCommand']);
    expect((await checkLedger()).differences).toEqual([]);
  }, 180_000);
});
