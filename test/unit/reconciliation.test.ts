import { describe, expect, it } from 'vitest';
import {
  reconcile,
  referencesToLookUp,
  statementDay,
  statementFromCsv,
  type SettledPayout,
  type StatementLine,
} from '#shared/domain/reconciliation';
import { DomainError } from '#shared/domain/errors';

const p = (payoutId: string, bankReference: string, amount: number): SettledPayout => ({ payoutId, bankReference, amount });
const line = (bankReference: string, amount: number, payoutId?: string): StatementLine => ({
  bankReference,
  amount,
  currency: 'CNY',
  valueDate: '2026-12-01',
  ...(payoutId ? { payoutId } : {}),
});

function known(payouts: SettledPayout[]) {
  const byReference = new Map<string, SettledPayout[]>();
  for (const x of payouts) byReference.set(x.bankReference, [...(byReference.get(x.bankReference) ?? []), x]);
  return { byId: new Map(payouts.map((x) => [x.payoutId, x])), byReference };
}

describe('reconcile', () => {
  const a = p('pay_a', 'REF-A', 1_000);
  const b = p('pay_b', 'REF-B', 2_000);
  const c = p('pay_c', 'REF-C', 3_000);

  it('matches by payoutId first, by bankReference otherwise, numbering lines from 1', () => {
    const out = reconcile([line('OTHER', 1_000, 'pay_a'), line('REF-B', 2_000)], known([a, b]), [a, b]);
    expect(out.matched).toEqual([
      { line: 1, payoutId: 'pay_a' },
      { line: 2, payoutId: 'pay_b' },
    ]);
    expect(out.unmatchedLines).toEqual([]);
    expect(out.unmatchedPayouts).toEqual([]);
    expect(out.amountMismatches).toEqual([]);
  });

  it('never falls back to the reference when the named payoutId is unknown', () => {
    const out = reconcile([line('REF-A', 1_000, 'pay_unknown')], known([a]), [a]);
    expect(out.matched).toEqual([]);
    expect(out.unmatchedLines).toEqual([{ line: 1, bankReference: 'REF-A', amount: 1_000 }]);
    expect(out.unmatchedPayouts).toEqual([{ payoutId: 'pay_a', bankReference: 'REF-A', amount: 1_000 }]);
  });

  it('reports an amount mismatch, and the payout is then not also unmatched', () => {
    const out = reconcile([line('REF-A', 999)], known([a]), [a]);
    expect(out.amountMismatches).toEqual([{ line: 1, payoutId: 'pay_a', statementAmount: 999, payoutAmount: 1_000 }]);
    expect(out.matched).toEqual([]);
    expect(out.unmatchedPayouts).toEqual([]);
  });

  it('matches a payout once: a second line for it is unmatched', () => {
    const out = reconcile([line('REF-A', 1_000), line('REF-A', 1_000)], known([a]), []);
    expect(out.matched).toEqual([{ line: 1, payoutId: 'pay_a' }]);
    expect(out.unmatchedLines).toEqual([{ line: 2, bankReference: 'REF-A', amount: 1_000 }]);
  });

  it('lists payouts settled on the statement date that no line found', () => {
    const out = reconcile([line('REF-A', 1_000)], known([a, b, c]), [a, c]);
    expect(out.unmatchedPayouts).toEqual([{ payoutId: 'pay_c', bankReference: 'REF-C', amount: 3_000 }]);
  });

  it('of payouts sharing a reference, takes the one of the same amount', () => {
    const x = p('pay_x', 'SHARED', 500);
    const y = p('pay_y', 'SHARED', 700);
    const out = reconcile([line('SHARED', 700), line('SHARED', 500)], known([x, y]), []);
    expect(out.matched).toEqual([
      { line: 1, payoutId: 'pay_y' },
      { line: 2, payoutId: 'pay_x' },
    ]);
  });

  it('gives a payout to the line that names it by id, whatever comes first in the statement; results stay in line order', () => {
    const out = reconcile([line('REF-A', 1_000), line('REF-B', 2_000), line('REF-A', 1_000, 'pay_a')], known([a, b]), [a, b]);
    expect(out.matched).toEqual([
      { line: 2, payoutId: 'pay_b' },
      { line: 3, payoutId: 'pay_a' },
    ]);
    expect(out.unmatchedLines).toEqual([{ line: 1, bankReference: 'REF-A', amount: 1_000 }]);
    const twice = reconcile([line('X', 1_000, 'pay_a'), line('REF-A', 1_000, 'pay_a')], known([a]), []);
    expect(twice.matched).toEqual([{ line: 1, payoutId: 'pay_a' }]);
    expect(twice.unmatchedLines).toEqual([{ line: 2, bankReference: 'REF-A', amount: 1_000 }]);
  });

  it('gives two id-less lines under one reference its two payouts, one each', () => {
    const twin1 = p('pay_t1', 'REF-T', 500);
    const twin2 = p('pay_t2', 'REF-T', 500);
    const out = reconcile([line('REF-T', 500), line('REF-T', 500)], known([twin1, twin2]), [twin1, twin2]);
    expect(out.matched).toEqual([
      { line: 1, payoutId: 'pay_t1' },
      { line: 2, payoutId: 'pay_t2' },
    ]);
    expect(out.unmatchedPayouts).toEqual([]);
  });

  it('puts every line in exactly one of matched, unmatched, mismatched', () => {
    const lines = Array.from({ length: 10_000 }, (_, n) => line(`REF-${n % 7_000}`, n % 3 === 0 ? 1 : 2));
    const payouts = Array.from({ length: 5_000 }, (_, n) => p(`pay_${n}`, `REF-${n}`, 2));
    const out = reconcile(lines, known(payouts), payouts);
    const numbered = [...out.matched, ...out.unmatchedLines, ...out.amountMismatches].map((r) => r.line).sort((m, n) => m - n);
    expect(numbered).toEqual(lines.map((_, i) => i + 1));
    expect(out.matched.length + out.amountMismatches.length + out.unmatchedPayouts.length).toBe(5_000);
  });
});

describe('referencesToLookUp', () => {
  it('names the references of the id-less lines left unmatched or matched with another amount, once each, and no other', () => {
    const day = p('pay_day', 'R', 1_000);
    const exact = p('pay_exact', 'EXACT', 3_000);
    const lines = [
      line('R', 1_000, 'pay_day'), // takes the day's R by id
      line('R', 2_000), // unmatched: another day's R may be it
      line('R', 2_000), // the same reference again
      line('MISMATCH', 999), // matched with another amount: another day's payout may have 999
      line('EXACT', 3_000), // matched with its amount: nothing to look up
      line('NAMED', 5, 'pay_unknown'), // unmatched, but by id: never by reference
    ];
    const mismatch = p('pay_mismatch', 'MISMATCH', 1_000);
    const outcome = reconcile(lines, known([day, mismatch, exact]), [day, mismatch, exact]);
    expect(outcome.unmatchedLines.map((u) => u.line)).toEqual([2, 3, 6]);
    expect(referencesToLookUp(lines, outcome)).toEqual(['R', 'MISMATCH']);
  });

  it('names none when every line matched with its amount', () => {
    const a = p('pay_a', 'REF-A', 1_000);
    const lines = [line('REF-A', 1_000)];
    expect(referencesToLookUp(lines, reconcile(lines, known([a]), [a]))).toEqual([]);
  });
});

describe('statementDay', () => {
  it('is the UTC day of the date', () => {
    expect(statementDay('2026-12-01')).toEqual({ from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z' });
  });
  it.each(['2026-02-30', '2026-13-01', 'yesterday'])('refuses %s', (d) => {
    expect(() => statementDay(d)).toThrow(new RangeError(`statement date ${d}`));
  });
});

describe('statementFromCsv', () => {
  /** `null`: no statementDate at all. */
  const refused = (text: string, date: string | null = '2026-12-01') => {
    try {
      statementFromCsv(text, date ?? undefined);
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('validation_failed');
      return { title: (error as DomainError).message, errors: (error as DomainError).errors ?? [] };
    }
    throw new Error('accepted');
  };
  const refusal = (text: string, date: string | null = '2026-12-01') => refused(text, date).errors;

  it('reads the columns by their header names in any order, a BOM, CRLF, quotes and an empty payoutId', () => {
    const text =
      '\uFEFFvalueDate,payoutId,amount,bankReference,currency\r\n2026-12-01,,1500,"REF, ""A""\nsecond line",CNY\r\n2026-12-01,pay_x,7,B,CNY\r\n';
    expect(statementFromCsv(text, '2026-12-01')).toEqual({
      statementDate: '2026-12-01',
      lines: [
        { valueDate: '2026-12-01', amount: 1500, bankReference: 'REF, "A"\nsecond line', currency: 'CNY' },
        { valueDate: '2026-12-01', payoutId: 'pay_x', amount: 7, bankReference: 'B', currency: 'CNY' },
      ],
    });
  });

  it('leaves an amount that is not whole digits as text, for the schema to refuse', () => {
    const { lines } = statementFromCsv(
      'bankReference,amount,currency,valueDate\nA,1.50,CNY,2026-12-01\nB,-3,CNY,2026-12-01\n',
      '2026-12-01',
    );
    expect(lines.map((l) => l.amount)).toEqual(['1.50', '-3']);
  });

  it('reads header names with spaces around them', () => {
    const { lines } = statementFromCsv(' bankReference , amount,currency ,valueDate\nA,1,CNY,2026-12-01\n', '2026-12-01');
    expect(lines).toEqual([{ bankReference: 'A', amount: 1, currency: 'CNY', valueDate: '2026-12-01' }]);
  });

  it('keeps a bank reference of digits as text (leading zeros and all), and an empty one empty for the schema to refuse', () => {
    const { lines } = statementFromCsv(
      'bankReference,amount,currency,valueDate\n000123,1,CNY,2026-12-01\n,2,CNY,2026-12-01\n',
      '2026-12-01',
    );
    expect(lines.map((l) => l.bankReference)).toEqual(['000123', '']);
  });

  it('says what is wrong in its title and lists every unknown column and every column there is', () => {
    expect(refused('bankReference,amount,currency,valueDate,memo,note\nA,1\n')).toEqual({
      title: 'The CSV statement cannot be read',
      // The rows are not read against a header that is wrong.
      errors: [
        { path: 'body.header', message: 'unknown column(s): memo, note (columns: bankReference, amount, currency, valueDate, payoutId)' },
      ],
    });
    expect(refused('bankReference,amount,amount,currency,currency,valueDate\n').errors).toEqual([
      { path: 'body.header', message: 'repeated column(s): amount, currency' },
    ]);
    expect(refused('bankReference,amount\n').errors).toEqual([{ path: 'body.header', message: 'missing column(s): currency, valueDate' }]);
    expect(refused('"A\n').title).toBe('The CSV statement is not valid CSV');
    expect(refused('').title).toBe('The CSV statement is empty');
  });

  it('lists at most 50 short rows one by one', () => {
    const text = `bankReference,amount,currency,valueDate\n${'A,1\n'.repeat(60)}`;
    const errors = refusal(text);
    expect(errors).toHaveLength(50);
    expect(errors.at(-1)).toEqual({ path: 'body.lines.49', message: 'line 51: 2 fields, the header names 4' });
  });

  it('refuses an unknown, repeated or missing column, a missing statementDate, a short row, bad CSV and an empty file', () => {
    expect(refusal('bankReference,amount,currency,valueDate,memo\n')).toEqual([
      { path: 'body.header', message: expect.stringContaining('unknown column(s): memo') },
    ]);
    expect(refusal('bankReference,amount,amount,currency,valueDate\n')).toEqual([
      { path: 'body.header', message: 'repeated column(s): amount' },
    ]);
    expect(refusal('bankReference,amount,currency\n')).toEqual([{ path: 'body.header', message: 'missing column(s): valueDate' }]);
    expect(refusal('bankReference,amount,currency,valueDate\n', null)).toEqual([
      { path: 'query.statementDate', message: 'required with a text/csv body' },
    ]);
    expect(refusal('bankReference,amount,currency,valueDate\nA,1,CNY,2026-12-01\nB,1,CNY\n')).toEqual([
      { path: 'body.lines.1', message: 'line 3: 3 fields, the header names 4' },
    ]);
    expect(refusal('bankReference,amount,currency,valueDate\n"A,1,CNY,2026-12-01\n')).toEqual([
      { path: 'body', message: 'line 2: a quoted field is never closed' },
    ]);
    expect(refusal('')).toEqual([{ path: 'body', message: 'a header row naming the columns is required' }]);
  });
});
