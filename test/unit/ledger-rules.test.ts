/**
 * The allocation ledger's arithmetic as an auditor checks it: what is available, when a line is
 * balanced, what each move does to a line (alone and in any guarded sequence), how lines add up to
 * the fund's totals, and the ledger entries: what each kind does, which are refused, and their replay.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyEntry,
  available,
  EMPTY_LINE,
  isBalanced,
  LedgerViolation,
  MOVE_KIND,
  moves,
  replay,
  sumLines,
  type LedgerKind,
  type LedgerLine,
} from '#shared/domain/ledger';

const fen = fc.integer({ min: 0, max: 10_000_000_000_000 });

/** A consistent line built from its three stored amounts. */
const balancedLine = fen.chain((allocated) =>
  fc
    .integer({ min: 0, max: allocated })
    .chain((reserved) =>
      fc
        .integer({ min: 0, max: allocated - reserved })
        .map((paid): LedgerLine => ({ allocated, reserved, paid, available: allocated - reserved - paid })),
    ),
);

describe('available', () => {
  it('is what is allocated less what is reserved and what is paid', () => {
    expect(available({ allocated: 100_000, reserved: 30_000, paid: 20_000 })).toBe(50_000);
    expect(available({ allocated: 100_000, reserved: 0, paid: 0 })).toBe(100_000);
    expect(available({ allocated: 100_000, reserved: 40_000, paid: 60_000 })).toBe(0);
  });
});

describe('a balanced line', () => {
  it('is one whose available equals allocated − reserved − paid, all whole fen and none negative', () => {
    expect(isBalanced({ allocated: 100_000, reserved: 30_000, paid: 20_000, available: 50_000 })).toBe(true);
    fc.assert(fc.property(balancedLine, (line) => isBalanced(line)));
  });

  it('an empty line (nothing allocated) is balanced', () => {
    expect(isBalanced({ allocated: 0, reserved: 0, paid: 0, available: 0 })).toBe(true);
  });

  it('a line whose available disagrees with its amounts by a single fen is not balanced', () => {
    fc.assert(
      fc.property(balancedLine, fc.constantFrom(-1, 1), (line, off) => {
        expect(isBalanced({ ...line, available: line.available + off })).toBe(false);
      }),
    );
  });

  it('an overspent line (available below zero) is not balanced, even when the arithmetic adds up', () => {
    expect(isBalanced({ allocated: 100, reserved: 80, paid: 21, available: -1 })).toBe(false);
  });

  it('a negative reservation or payment is not balanced, even when the arithmetic adds up', () => {
    expect(isBalanced({ allocated: 100, reserved: -1, paid: 0, available: 101 })).toBe(false);
    expect(isBalanced({ allocated: 100, reserved: 0, paid: -1, available: 101 })).toBe(false);
    expect(isBalanced({ allocated: -1, reserved: 0, paid: 0, available: -1 })).toBe(false);
  });

  it('fractions of a fen and amounts beyond exact integers are not balanced', () => {
    expect(isBalanced({ allocated: 100.5, reserved: 0.5, paid: 0, available: 100 })).toBe(false);
    expect(isBalanced({ allocated: 100, reserved: 0, paid: 0.5, available: 99.5 })).toBe(false);
    const unsafe = 2 ** 53;
    expect(isBalanced({ allocated: unsafe, reserved: 0, paid: 0, available: unsafe })).toBe(false);
  });
});

/** Applies a move the way the conditional update does: refused when its condition fails. */
function apply(line: LedgerLine, move: keyof typeof moves, amount: number): LedgerLine {
  if (move === 'reserve' && line.available < amount) return line;
  if (move !== 'reserve' && line.reserved < amount) return line;
  const d = moves[move](amount);
  return {
    allocated: line.allocated,
    reserved: line.reserved + d.reserved,
    paid: line.paid + d.paid,
    available: line.available + d.available,
  };
}

describe('the moves', () => {
  it('a reservation takes the amount from available into reserved', () => {
    expect(moves.reserve(2_500_000)).toEqual({ reserved: 2_500_000, paid: 0, available: -2_500_000 });
  });

  it('a release gives a reservation back to available', () => {
    expect(moves.release(2_500_000)).toEqual({ reserved: -2_500_000, paid: 0, available: 2_500_000 });
  });

  it('a settlement turns a reservation into a payment and leaves available alone', () => {
    expect(moves.settle(2_500_000)).toEqual({ reserved: -2_500_000, paid: 2_500_000, available: 0 });
  });

  it('every move keeps a line balanced as long as its guard holds (property)', () => {
    fc.assert(
      fc.property(
        balancedLine,
        fc.constantFrom('reserve', 'release', 'settle' as const),
        fc.integer({ min: 1, max: 10_000_000_000_000 }),
        (line, move, amount) => {
          // The guards of the conditional updates: reserve needs available ≥ amount, release and settle reserved ≥ amount.
          fc.pre(move === 'reserve' ? line.available >= amount : line.reserved >= amount);
          const d = moves[move](amount);
          const after = {
            allocated: line.allocated,
            reserved: line.reserved + d.reserved,
            paid: line.paid + d.paid,
            available: line.available + d.available,
          };
          expect(isBalanced(after)).toBe(true);
          // Money is neither made nor lost: what is committed (reserved + paid) moves by exactly what available gives up.
          expect(after.reserved + after.paid - (line.reserved + line.paid) + (after.available - line.available)).toBe(0);
        },
      ),
    );
  });

  it('keep available = allocated − reserved − paid ≥ 0 under any sequence of guarded moves', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000_000_000 }),
        fc.array(fc.tuple(fc.constantFrom('reserve', 'release', 'settle'), fc.integer({ min: 1, max: 10_000_000_000_000 }))),
        (allocated, steps) => {
          let line: LedgerLine = { allocated, reserved: 0, paid: 0, available: allocated };
          for (const [move, amount] of steps) {
            line = apply(line, move, amount);
            expect(isBalanced(line)).toBe(true);
            expect(line.available).toBe(available(line));
          }
        },
      ),
    );
  });

  it('settling moves money from reserved to paid without changing what is available', () => {
    expect(apply({ allocated: 100, reserved: 60, paid: 0, available: 40 }, 'settle', 60)).toEqual({
      allocated: 100,
      reserved: 0,
      paid: 60,
      available: 40,
    });
  });
});

describe('fund totals', () => {
  it('are zero for a fund without allocations', () => {
    expect(sumLines([])).toEqual({ allocated: 0, reserved: 0, paid: 0, available: 0 });
  });

  it('add each amount over the allocations', () => {
    expect(
      sumLines([
        { allocated: 100_000, reserved: 30_000, paid: 20_000, available: 50_000 },
        { allocated: 7_000, reserved: 1_000, paid: 2_000, available: 4_000 },
      ]),
    ).toEqual({ allocated: 107_000, reserved: 31_000, paid: 22_000, available: 54_000 });
  });

  it('of balanced lines are balanced, and do not depend on the order of the lines (property)', () => {
    fc.assert(
      fc.property(fc.array(balancedLine, { maxLength: 20 }), (lines) => {
        const total = sumLines(lines);
        expect(isBalanced(total)).toBe(true);
        expect(total.allocated).toBe(lines.reduce((s, l) => s + l.allocated, 0));
        expect(sumLines([...lines].reverse())).toEqual(total);
      }),
    );
  });
});

const lineOf = (allocated: number, reserved: number, paid: number) => ({
  allocated,
  reserved,
  paid,
  available: allocated - reserved - paid,
});

describe('ledger entries', () => {
  it('each kind moves the allocation as the contract says', () => {
    expect(applyEntry(EMPTY_LINE, 'allocation_set', 1_000)).toEqual(lineOf(1_000, 0, 0));
    expect(applyEntry(lineOf(1_000, 0, 0), 'reserved', 300)).toEqual(lineOf(1_000, 300, 0));
    expect(applyEntry(lineOf(1_000, 300, 0), 'released', 100)).toEqual(lineOf(1_000, 200, 0));
    expect(applyEntry(lineOf(1_000, 200, 0), 'paid', 200)).toEqual(lineOf(1_000, 0, 200));
    // An allocation lowered: a negative allocation_set.
    expect(applyEntry(lineOf(1_000, 0, 200), 'allocation_set', -800)).toEqual(lineOf(200, 0, 200));
  });

  it('never writes an entry that overspends or pays money that was not reserved', () => {
    expect(() => applyEntry(lineOf(100, 0, 0), 'reserved', 101)).toThrow(LedgerViolation);
    expect(() => applyEntry(lineOf(100, 50, 0), 'released', 51)).toThrow(LedgerViolation);
    expect(() => applyEntry(lineOf(100, 50, 0), 'paid', 51)).toThrow(LedgerViolation);
    expect(() => applyEntry(lineOf(100, 50, 0), 'allocation_set', -51)).toThrow(LedgerViolation);
    expect(applyEntry(lineOf(100, 50, 0), 'allocation_set', -50)).toEqual(lineOf(50, 50, 0));
  });

  it('amounts other than allocation_set are positive whole fen', () => {
    for (const kind of ['reserved', 'released', 'paid'] as const) {
      expect(() => applyEntry(lineOf(100, 100, 0), kind, 0)).toThrow(LedgerViolation);
      expect(() => applyEntry(lineOf(100, 100, 0), kind, -1)).toThrow(LedgerViolation);
      expect(() => applyEntry(lineOf(100, 100, 0), kind, 1.5)).toThrow(LedgerViolation);
    }
  });

  it('replaying any accepted sequence of entries gives a balanced line whose totals are the sums of the entries', () => {
    const step = fc.record({
      kind: fc.constantFrom<LedgerKind>('allocation_set', 'reserved', 'released', 'paid'),
      amount: fc.integer({ min: -500, max: 1_000 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const accepted: { kind: LedgerKind; amount: number }[] = [];
        let current = EMPTY_LINE;
        for (const s of steps) {
          try {
            current = applyEntry(current, s.kind, s.amount);
            accepted.push(s);
          } catch (error) {
            expect(error).toBeInstanceOf(LedgerViolation);
          }
        }
        const replayed = replay(accepted);
        expect(replayed).toEqual(current);
        const sum = (k: LedgerKind) => accepted.filter((e) => e.kind === k).reduce((t, e) => t + e.amount, 0);
        expect(replayed.allocated).toBe(sum('allocation_set'));
        expect(replayed.paid).toBe(sum('paid'));
        expect(replayed.reserved).toBe(sum('reserved') - sum('released') - sum('paid'));
        expect(replayed.available).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('ledger entry kinds of the money moves', () => {
  it('a reservation writes `reserved`, a release `released`, a settlement `paid`', () => {
    expect(MOVE_KIND).toEqual({ reserve: 'reserved', release: 'released', settle: 'paid' });
  });
});
