import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { available, isBalanced, moves, type LedgerLine } from '#shared/domain/ledger';

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

describe('allocation ledger moves', () => {
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
