/**
 * The allocation ledger's rules, as pure functions. Stored per allocation:
 * `allocated`, `reserved`, `paid` and `available = allocated − reserved − paid`, kept explicitly because
 * DynamoDB conditions cannot do arithmetic: every move is a conditional update of `available`.
 * Fund totals (reserved, paid) are the sums of its allocations, read consistently, never a second
 * counter that could drift.
 */
export interface LedgerLine {
  allocated: number;
  reserved: number;
  paid: number;
  available: number;
}

export function available(line: Pick<LedgerLine, 'allocated' | 'reserved' | 'paid'>): number {
  return line.allocated - line.reserved - line.paid;
}

/** True when the line is internally consistent and nothing is overspent. */
export function isBalanced(line: LedgerLine): boolean {
  return (
    [line.allocated, line.reserved, line.paid, line.available].every((n) => Number.isSafeInteger(n) && n >= 0) &&
    line.available === available(line)
  );
}

export function sumLines(lines: LedgerLine[]): LedgerLine {
  return lines.reduce(
    (t, l) => ({
      allocated: t.allocated + l.allocated,
      reserved: t.reserved + l.reserved,
      paid: t.paid + l.paid,
      available: t.available + l.available,
    }),
    { allocated: 0, reserved: 0, paid: 0, available: 0 },
  );
}

/** The ledger moves money makes, as deltas on one allocation line. */
export const moves = {
  reserve: (amount: number) => ({ reserved: amount, paid: 0, available: -amount }),
  release: (amount: number) => ({ reserved: -amount, paid: 0, available: amount }),
  settle: (amount: number) => ({ reserved: -amount, paid: amount, available: 0 }),
} as const;

export type Move = keyof typeof moves;
