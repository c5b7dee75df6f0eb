import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCsv, CsvSyntaxError } from '../../shared/csv.ts';
import { canonicalJson, describeError, idempotencyKeyOf, planFromCsv, planFromJson } from '../../scripts/lib/plan.ts';
import { alignColumns, displayWidth, formatTable, yuan } from '../../scripts/lib/table.ts';
import { CLIENT_TYPES_FILE, generateClientTypes } from '../../scripts/lib/generate-client.ts';

const NOW = new Date('2027-01-01T00:00:00Z');
const HEADER = 'countyCode,title,channel,startsAt,endsAt,products,subsidyFundId,subsidyAmount';
const FUND = 'fund_01JZZZZZZZZZZZZZZZZZZZZZZZ';

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

describe('CSV', () => {
  it('reads back any table written with RFC 4180 quoting', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r\n', '县', '|'), maxLength: 8 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.array(cell, { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 6 }),
        (width, table) => {
          const rows = table.map((r) => r.slice(0, width));
          // A record of one empty field is a blank line, which readers skip.
          fc.pre(rows.every((r) => !(r.length === 1 && r[0] === '')));
          const text = rows.map((r) => r.map(csvField).join(',')).join('\r\n');
          expect(parseCsv(text).map((r) => r.fields)).toEqual(rows);
        },
      ),
    );
  });

  it('keeps the line each record starts on and reports broken quoting with its line', () => {
    const records = parseCsv('\uFEFFa,b\n"multi\nline",x\n\nlast,y\n');
    expect(records.map((r) => r.line)).toEqual([1, 2, 5]);
    expect(records[1]!.fields).toEqual(['multi\nline', 'x']);
    expect(() => parseCsv('a,b\n"open,x\n')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a,b"c\n')).toThrow(/line 1/);
  });
});

describe('plans', () => {
  const row = (over: Partial<Record<string, string>> = {}) => {
    const r = {
      countyCode: '500236',
      title: 'Orange week',
      channel: 'rural-taobao',
      startsAt: '2027-02-01T00:00:00+08:00',
      endsAt: '2027-02-10T00:00:00+08:00',
      products: 'OR-5|Oranges 5 kg|6990|4990;OR-10|Oranges 10 kg|12990|8990',
      subsidyFundId: '',
      subsidyAmount: '',
      ...over,
    };
    return [r.countyCode, r.title, r.channel, r.startsAt, r.endsAt, r.products, r.subsidyFundId, r.subsidyAmount].map(csvField).join(',');
  };

  it('turns CSV rows into launch bodies with UTC instants and a stable key', () => {
    const plan = planFromCsv([HEADER, row({ subsidyAmount: '300000' })].join('\n'), { now: NOW, subsidyFund: FUND });
    expect(plan.errors).toEqual([]);
    expect(plan.rows[0]!.body).toEqual({
      countyCode: '500236',
      title: 'Orange week',
      channel: 'rural-taobao',
      startsAt: '2027-01-31T16:00:00.000Z',
      endsAt: '2027-02-09T16:00:00.000Z',
      products: [
        { sku: 'OR-5', name: 'Oranges 5 kg', unitPrice: 6990, promoPrice: 4990 },
        { sku: 'OR-10', name: 'Oranges 10 kg', unitPrice: 12990, promoPrice: 8990 },
      ],
      subsidy: { fundId: FUND, amount: 300000 },
    });
    expect(plan.rows[0]!.idempotencyKey).toMatch(/^campaign-plan-[0-9a-f]{40}$/);
  });

  it('gives the same key to the same campaign however it is written, and a different one to any change', () => {
    const a = planFromCsv([HEADER, row()].join('\n'), { now: NOW }).rows[0]!;
    const sameInUtc = planFromCsv([HEADER, row({ startsAt: '2027-01-31T16:00:00Z', endsAt: '2027-02-09T16:00:00.000Z' })].join('\n'), {
      now: NOW,
    }).rows[0]!;
    const json = planFromJson(JSON.stringify({ campaigns: [{ ...a.body, title: '  Orange week ' }] }), { now: NOW }).rows[0]!;
    expect(sameInUtc.idempotencyKey).toBe(a.idempotencyKey);
    expect(json.idempotencyKey).toBe(a.idempotencyKey);
    const changed = planFromCsv([HEADER, row({ products: 'OR-5|Oranges 5 kg|6990|4980;OR-10|Oranges 10 kg|12990|8990' })].join('\n'), {
      now: NOW,
    }).rows[0]!;
    expect(changed.idempotencyKey).not.toBe(a.idempotencyKey);
  });

  it('canonical JSON does not depend on key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
        expect(JSON.parse(canonicalJson(obj))).toEqual(JSON.parse(JSON.stringify(obj)));
      }),
    );
    const body = planFromCsv([HEADER, row()].join('\n'), { now: NOW }).rows[0]!.body;
    expect(idempotencyKeyOf({ ...body })).toBe(idempotencyKeyOf(Object.fromEntries(Object.entries(body).reverse()) as typeof body));
  });

  it('validates the whole plan and numbers every problem by row and line', () => {
    const text = [
      HEADER,
      row(),
      row({ channel: 'wechat' }),
      row({ products: 'A|Apples|500|600;A|Apples again|500|400' }),
      row({ countyCode: '341524', startsAt: '2026-12-01T00:00:00Z' }),
      row({ countyCode: '341524', products: 'X|broken' }),
      row({ countyCode: '350924', subsidyAmount: '1000' }),
      row({ countyCode: '222424', subsidyAmount: '12.5', subsidyFundId: FUND }),
    ].join('\n');
    const plan = planFromCsv(text, { now: NOW });
    expect(plan.rows).toEqual([]);
    expect(plan.errors.map(describeError)).toEqual([
      expect.stringMatching(/^row 2, line 3: channel: /),
      'row 3, line 4: products.0.promoPrice: promoPrice must not exceed unitPrice',
      'row 3, line 4: products.1.sku: duplicate sku "A" (also products.0.sku)',
      'row 4, line 5: startsAt: startsAt must not be in the past',
      'row 5, line 6: products.0: "X|broken" is not sku|name|unitPrice|promoPrice',
      expect.stringMatching(/^row 6, line 7: subsidy\.fundId: .*--subsidy-fund/),
      expect.stringMatching(/^row 7, line 8: subsidy\.amount: /),
    ]);
  });

  it('refuses rows that would clash with each other before anything is sent', () => {
    const text = [
      HEADER,
      row(),
      row(),
      row({ title: 'Other', startsAt: '2027-02-09T00:00:00+08:00', endsAt: '2027-02-20T00:00:00+08:00' }),
      row({ channel: 'tmall', startsAt: '2027-02-09T00:00:00+08:00', endsAt: '2027-02-20T00:00:00+08:00' }),
      row({ title: 'Next', startsAt: '2027-02-10T00:00:00+08:00', endsAt: '2027-02-20T00:00:00+08:00' }),
    ].join('\n');
    expect(planFromCsv(text, { now: NOW }).errors.map(describeError)).toEqual([
      'row 2, line 3: (row): the same campaign as row 1',
      'row 3, line 4: startsAt: overlaps row 1 (same county and channel)',
    ]);
  });

  it('says what is wrong with the file itself', () => {
    expect(planFromCsv('', { now: NOW }).errors[0]!.message).toBe('the plan is empty');
    expect(planFromCsv('countyCode,title,colour\n', { now: NOW }).errors.map((e) => e.message)).toEqual([
      'unknown column(s): colour',
      'missing column(s): channel, startsAt, endsAt, products',
    ]);
    expect(planFromJson('{"campaigns": 1}', { now: NOW }).errors[0]!.message).toMatch(/expected an array/);
    expect(planFromJson('[]', { now: NOW }).errors[0]!.message).toBe('the plan has no campaigns');
  });
});

describe('terminal output', () => {
  it('aligns columns by display width, CJK included', () => {
    const table = formatTable(
      [{ header: 'county' }, { header: 'fen', align: 'right' }],
      [
        ['奉节县', '1'],
        ['Fengjie', '100'],
      ],
    );
    const lines = table.split('\n');
    expect(new Set(lines.slice(2).map(displayWidth)).size).toBe(1);
    expect(lines[2]).toBe('奉节县     1');
  });

  it('lines up headerless rows (the bench report) the same way', () => {
    const [header, cjk, latin] = alignColumns([
      ['  county', 'ms'],
      ['  奉节县', '1.0'],
      ['  Fengjie', '12.5'],
    ]).split('\n');
    const secondColumnAt = (line: string, cell: string) => displayWidth(line.slice(0, line.indexOf(cell)));
    expect(secondColumnAt(cjk!, '1.0')).toBe(secondColumnAt(latin!, '12.5'));
    expect(secondColumnAt(header!, 'ms')).toBe(secondColumnAt(latin!, '12.5'));
  });

  it('prints fen as yuan without floating point', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10_000_000_000_000, max: 10_000_000_000_000 }), (fen) => {
        const text = yuan(fen);
        expect(text).toMatch(/^-?\d{1,3}(,\d{3})*\.\d{2}$/);
        expect(BigInt(text.replace(/[,.]/g, ''))).toBe(BigInt(fen));
      }),
    );
  });
});

describe('typed client', () => {
  it('client/api.d.ts is generated from the current OpenAPI document (regenerate: npm run openapi)', async () => {
    expect(await readFile(CLIENT_TYPES_FILE, 'utf8')).toBe(await generateClientTypes());
  });
});
