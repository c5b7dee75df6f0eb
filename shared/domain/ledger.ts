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

/**
 * The fund ledger's entry kinds (contract: `GET /v1/funds/{fundId}/ledger`). Replaying a county's
 * entries from zero gives its allocation exactly.
 */
export const LEDGER_KINDS = ['allocation_set', 'reserved', 'released', 'paid'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** The entry kind each move writes. */
export const MOVE_KIND: Record<Move, LedgerKind> = { reserve: 'reserved', release: 'released', settle: 'paid' };

/** The move behind each entry kind but `allocation_set`. */
const MOVE_OF_KIND: Record<Exclude<LedgerKind, 'allocation_set'>, Move> = { reserved: 'reserve', released: 'release', paid: 'settle' };

/**
 * A line after one ledger entry: `allocation_set` adds `amount` (negative when lowered) to
 * `allocated`; `reserved` adds it to `reserved`; `released` takes it off `reserved`; `paid` moves it
 * from `reserved` to `paid`. Throws when the result would not be balanced (overspent, or a release or
 * payment without the reservation behind it): such an entry must never be written.
 */
export function applyEntry(line: LedgerLine, kind: LedgerKind, amount: number): LedgerLine {
  if (!Number.isSafeInteger(amount) || (kind !== 'allocation_set' && amount <= 0)) {
    throw new LedgerViolation(`a ${kind} entry needs a positive whole amount, not ${amount}`);
  }
  const next: LedgerLine = { allocated: line.allocated, reserved: line.reserved, paid: line.paid, available: line.available };
  if (kind === 'allocation_set') next.allocated += amount;
  else {
    const delta = moves[MOVE_OF_KIND[kind]](amount);
    next.reserved += delta.reserved;
    next.paid += delta.paid;
  }
  next.available = available(next);
  if (!isBalanced(next)) throw new LedgerViolation(`a ${kind} of ${amount} would leave the allocation unbalanced`);
  return next;
}

/** A ledger move that must not happen: the caller's state is inconsistent with the books. */
export class LedgerViolation extends Error {
  constructor(message: string) {
    super(`ledger invariant: ${message}`);
    this.name = 'LedgerViolation';
  }
}

export const EMPTY_LINE: LedgerLine = { allocated: 0, reserved: 0, paid: 0, available: 0 };

/** Replays entries (oldest first) from an empty line. */
export function replay(entries: readonly { kind: LedgerKind; amount: number }[]): LedgerLine {
  return entries.reduce((line, e) => applyEntry(line, e.kind, e.amount), EMPTY_LINE);
}
