/**
 * Bank-statement reconciliation (pure). A finance system sends the lines of its bank statement; each line
 * is matched to one of its funds' payouts that settled `succeeded`: by `payoutId` when the line names one
 * (and then only by it: a wrong id never falls back to another payout by reference), else by
 * `bankReference`. A payout is matched at most once: lines that name it by id claim it first (in statement
 * order), the others then match by reference among what is left; a second line for it is unmatched. A line whose
 * payout is found but whose amount differs is an amount mismatch (the payout counts as found, so it is
 * not also an unmatched payout). Unmatched payouts are those settled on the statement date (UTC) that
 * no line found.
 */
import { CsvSyntaxError, parseCsv, type CsvRecord } from '../csv.ts';
import { validationFailed, type FieldError } from './errors.ts';

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
  const numbered = lines.map((l, i) => ({ l, line: i + 1 }));
  // Lines that name their payout claim it first; the others then match by reference among what is left, so a
  // payout goes to the line that names it wherever that line stands in the statement.
  const results: { line: number; record: () => void }[] = [];
  const byId = numbered.filter((n) => n.l.payoutId !== undefined);
  const byReference = numbered.filter((n) => n.l.payoutId === undefined);
  for (const { l, line } of [...byId, ...byReference]) {
    const payout =
      l.payoutId !== undefined
        ? known.byId.get(l.payoutId)
        : pickByReference(known.byReference.get(l.bankReference) ?? [], l.amount, found);
    if (!payout || found.has(payout.payoutId)) {
      results.push({ line, record: () => outcome.unmatchedLines.push({ line, bankReference: l.bankReference, amount: l.amount }) });
      continue;
    }
    found.add(payout.payoutId);
    results.push({
      line,
      record:
        payout.amount === l.amount
          ? () => outcome.matched.push({ line, payoutId: payout.payoutId })
          : () =>
              outcome.amountMismatches.push({ line, payoutId: payout.payoutId, statementAmount: l.amount, payoutAmount: payout.amount }),
    });
  }
  results.sort((x, y) => x.line - y.line).forEach((r) => r.record());
  for (const p of settledOnStatementDate) {
    if (!found.has(p.payoutId)) outcome.unmatchedPayouts.push({ payoutId: p.payoutId, bankReference: p.bankReference, amount: p.amount });
  }
  return outcome;
}

/**
 * The references to look up beyond the statement day: those of the lines without a payoutId that a first match on
 * what is known (the day's payouts, the payouts the lines name) left unmatched or matched with another amount. Only
 * a payout of the reference settled on another day can change what such a line is; a line matched with its amount
 * is already what the rules make it, whatever else the reference names, since the day's payouts are tried first.
 */
export function referencesToLookUp(lines: readonly StatementLine[], outcome: ReconciliationOutcome): string[] {
  const open = [...outcome.unmatchedLines.map((u) => u.line), ...outcome.amountMismatches.map((m) => m.line)];
  const references = new Set<string>();
  for (const n of open) {
    const l = lines[n - 1];
    if (l && l.payoutId === undefined) references.add(l.bankReference);
  }
  return [...references];
}

/** Of the payouts a reference names and no line found yet: the first of the same amount, else the first. */
function pickByReference(candidates: readonly SettledPayout[], amount: number, found: ReadonlySet<string>): SettledPayout | undefined {
  const open = candidates.filter((p) => !found.has(p.payoutId));
  return open.find((p) => p.amount === amount) ?? open[0];
}

/** The UTC day [start, end) of a statement date `YYYY-MM-DD`, as RFC 3339 strings to compare `settledAt` with. */
export function statementDay(statementDate: string): { from: string; to: string } {
  const from = new Date(`${statementDate}T00:00:00.000Z`);
  if (Number.isNaN(from.getTime()) || from.toISOString().slice(0, 10) !== statementDate)
    throw new RangeError(`statement date ${statementDate}`);
  const to = new Date(from.getTime() + 86_400_000);
  return { from: from.toISOString(), to: to.toISOString() };
}

/** The most lines one statement may carry (API.md: 1..10,000). */
export const MAX_STATEMENT_LINES = 10_000;

/** The columns of a CSV statement: the JSON line's fields, named the same; `payoutId` may be left out or empty. */
export const STATEMENT_COLUMNS = ['bankReference', 'amount', 'currency', 'valueDate', 'payoutId'] as const;
const REQUIRED_COLUMNS: readonly string[] = ['bankReference', 'amount', 'currency', 'valueDate'];
/** Field errors past this many are not listed one by one (a wrong file would list every row). */
const MAX_LISTED_ERRORS = 50;

/**
 * A CSV statement as the JSON body it stands for, for the body's own schema to validate: the header row names
 * the columns (in any order; an unknown, repeated or missing column is refused rather than guessed at, as an
 * unknown JSON field is), each data row becomes `lines[i]` (row i + 1), an amount written as digits becomes a
 * number (anything else stays text and fails validation), an empty payoutId is none.
 */
export function statementFromCsv(
  text: string,
  statementDate: string | undefined,
): { statementDate: string | undefined; lines: Record<string, unknown>[] } {
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError)
      throw validationFailed([{ path: 'body', message: error.message }], 'The CSV statement is not valid CSV');
    throw error;
  }
  const errors: FieldError[] = [];
  if (statementDate === undefined) errors.push({ path: 'query.statementDate', message: 'required with a text/csv body' });
  const [header, ...rows] = records;
  if (!header)
    throw validationFailed(
      [...errors, { path: 'body', message: 'a header row naming the columns is required' }],
      'The CSV statement is empty',
    );
  const columns = header.fields.map((f) => f.trim());
  const unknown = columns.filter((c) => !(STATEMENT_COLUMNS as readonly string[]).includes(c));
  const repeated = columns.filter((c, i) => columns.indexOf(c) !== i);
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (unknown.length)
    errors.push({ path: 'body.header', message: `unknown column(s): ${unknown.join(', ')} (columns: ${STATEMENT_COLUMNS.join(', ')})` });
  if (repeated.length) errors.push({ path: 'body.header', message: `repeated column(s): ${[...new Set(repeated)].join(', ')}` });
  if (missing.length) errors.push({ path: 'body.header', message: `missing column(s): ${missing.join(', ')}` });
  if (errors.length) throw validationFailed(errors, 'The CSV statement cannot be read');
  const lines = rows.map((row, i) => {
    if (row.fields.length !== columns.length && errors.length < MAX_LISTED_ERRORS) {
      errors.push({
        path: `body.lines.${i}`,
        message: `line ${row.line}: ${row.fields.length} fields, the header names ${columns.length}`,
      });
    }
    const line: Record<string, unknown> = {};
    columns.forEach((column, n) => {
      const value = row.fields[n];
      if (value === undefined || (column === 'payoutId' && value === '')) return;
      line[column] = column === 'amount' && /^\d{1,16}$/.test(value) ? Number(value) : value;
    });
    return line;
  });
  if (errors.length) throw validationFailed(errors, 'The CSV statement cannot be read');
  return { statementDate, lines };
}
