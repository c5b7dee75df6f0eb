/**
 * Bank-statement reconciliation (pure). A finance system sends the lines of its bank statement; each line
 * is matched to one of its funds' payouts that settled `succeeded`: by `payoutId` when the line names one
 * (and then only by it: a wrong id never falls back to another payout by reference), else by
 * `bankReference`. A payout is matched at most once; a second line for it is unmatched. A line whose
 * payout is found but whose amount differs is an amount mismatch (the payout counts as found, so it is
 * not also an unmatched payout). Unmatched payouts are those settled on the statement date (UTC) that
 * no line found.
 */

export interface StatementLine {
  bankReference: string;
  amount: number;
  currency: 'CNY';
  valueDate: string;
  payoutId?: string;
}

/** A payout of the caller's funds that settled succeeded, as reconciliation needs it. */
export interface SettledPayout {
  payoutId: string;
  bankReference: string;
  amount: number;
}

export interface ReconciliationOutcome {
  /** `line` is the line's 1-based position in the statement (the CSV's data rows, header not counted). */
  matched: { line: number; payoutId: string }[];
  unmatchedLines: { line: number; bankReference: string; amount: number }[];
  unmatchedPayouts: { payoutId: string; bankReference: string; amount: number }[];
  amountMismatches: { line: number; payoutId: string; statementAmount: number; payoutAmount: number }[];
}

export interface KnownPayouts {
  /** Settled payouts of the caller's funds by id (those the lines name). */
  byId: ReadonlyMap<string, SettledPayout>;
  /** Settled payouts of the caller's funds by bank reference (a reference may name more than one). */
  byReference: ReadonlyMap<string, readonly SettledPayout[]>;
}

export function reconcile(
  lines: readonly StatementLine[],
  known: KnownPayouts,
  settledOnStatementDate: readonly SettledPayout[],
): ReconciliationOutcome {
  const outcome: ReconciliationOutcome = { matched: [], unmatchedLines: [], unmatchedPayouts: [], amountMismatches: [] };
  const found = new Set<string>();
  lines.forEach((l, i) => {
    const line = i + 1;
    const payout = l.payoutId !== undefined ? known.byId.get(l.payoutId) : pickByReference(known.byReference.get(l.bankReference) ?? [], l.amount, found);
    if (!payout || found.has(payout.payoutId)) {
      outcome.unmatchedLines.push({ line, bankReference: l.bankReference, amount: l.amount });
      return;
    }
    found.add(payout.payoutId);
    if (payout.amount === l.amount) outcome.matched.push({ line, payoutId: payout.payoutId });
    else outcome.amountMismatches.push({ line, payoutId: payout.payoutId, statementAmount: l.amount, payoutAmount: payout.amount });
  });
  for (const p of settledOnStatementDate) {
    if (!found.has(p.payoutId)) outcome.unmatchedPayouts.push({ payoutId: p.payoutId, bankReference: p.bankReference, amount: p.amount });
  }
  return outcome;
}

/** Of the payouts a reference names and no line found yet: the first of the same amount, else the first. */
function pickByReference(candidates: readonly SettledPayout[], amount: number, found: ReadonlySet<string>): SettledPayout | undefined {
  const open = candidates.filter((p) => !found.has(p.payoutId));
  return open.find((p) => p.amount === amount) ?? open[0];
}

/** The UTC day [start, end) of a statement date `YYYY-MM-DD`, as RFC 3339 strings to compare `settledAt` with. */
export function statementDay(statementDate: string): { from: string; to: string } {
  const from = new Date(`${statementDate}T00:00:00.000Z`);
  if (Number.isNaN(from.getTime()) || from.toISOString().slice(0, 10) !== statementDate) throw new RangeError(`statement date ${statementDate}`);
  const to = new Date(from.getTime() + 86_400_000);
  return { from: from.toISOString(), to: to.toISOString() };
}
