import { describe, expect, it } from 'vitest';
import { csvField, csvRecord, parseCsv } from '#shared/csv';

describe("CSV writing (shared with the launcher's parser)", () => {
  it('quotes commas, quotes and line breaks, doubling quotes (RFC 4180)', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('plain 文字')).toBe('plain 文字');
    expect(csvRecord(['x', 1, null])).toBe('x,1,\r\n');
  });

  it.each(['=1+1', '+86 138', '-2', '@SUM(A1)', '\tx', '\rx'])('defuses a formula-like cell %j', (cell) => {
    const written = csvField(cell);
    expect(parseCsv(written)[0]!.fields[0]).toBe(`'${cell}`);
  });

  it('writes numbers as numbers, negative or not', () => {
    expect(csvField(-5)).toBe('-5');
    expect(csvField(1500000)).toBe('1500000');
  });

  it('parses back what it writes', () => {
    const rows = [
      ['payoutId', 'name'],
      ['pay_1', 'Li, "Old" Wang\r\nsecond line'],
      ['pay_2', ''],
    ];
    expect(parseCsv(rows.map(csvRecord).join('')).map((r) => r.fields)).toEqual(rows);
  });
});
