/**
 * The snapshot rules apart from the chain's happy path: what canonical JSON refuses and leaves out, keys ordered by
 * UTF-16 code units (as RFC 8785 says, not by locale), what a chain break tells the reader, month names and the
 * instants months end at (China time), and when a monthly snapshot may be taken.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalJson,
  chainBreaks,
  monthEnd,
  monthJustEnded,
  monthlySnapshotRefusal,
  nextMonthStart,
  sealSnapshot,
  sumTotals,
  type Snapshot,
  type SnapshotAllocation,
} from '#shared/domain/snapshots';

function fields(snapshotId: string, previousHash: string | null): Omit<Snapshot, 'hash'> {
  return {
    snapshotId,
    fundId: 'fund_1',
    kind: 'on_demand',
    month: null,
    takenAt: '2026-05-02T01:00:00.000Z',
    totals: sumTotals(100, []),
    allocations: [],
    progress: { asOf: '2026-05-02', timeElapsed: 0.33, counties: [], alerts: [] },
    previousHash,
  };
}

describe('canonical JSON', () => {
  it('refuses what JSON cannot carry exactly, naming it', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => canonicalJson({ totals: { paid: bad } })).toThrow(new TypeError('a snapshot holds finite numbers only'));
    }
    expect(() => canonicalJson([1n])).toThrow(new TypeError('a snapshot cannot hold a bigint'));
    expect(() => canonicalJson(undefined)).toThrow(new TypeError('a snapshot cannot hold a undefined'));
    expect(() => canonicalJson({ f: () => 1 })).toThrow(new TypeError('a snapshot cannot hold a function'));
  });

  it('writes scalars as JSON.stringify does and leaves out keys whose value is undefined', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(false)).toBe('false');
    expect(canonicalJson('a"\n')).toBe('"a\\"\\n"');
    expect(canonicalJson(1e21)).toBe('1e+21');
    expect(canonicalJson(-0.5)).toBe('-0.5');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson({ b: 1, a: undefined, c: null })).toBe('{"b":1,"c":null}');
  });

  it('orders keys by UTF-16 code units, not by locale', () => {
    expect(canonicalJson({ b: 1, a: 2, B: 3, é: 4, '😀': 5, '\uffff': 6, '10': 7, '9': 8 })).toBe(
      '{"10":7,"9":8,"B":3,"a":2,"b":1,"é":4,"😀":5,"\uffff":6}',
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.integer()), (object) => {
        const keys = Object.keys(JSON.parse(canonicalJson(object)) as object);
        // JSON.parse keeps integer-like keys first whatever the text's order, so compare the text's own order
        const written = [...canonicalJson(object).matchAll(/"((?:[^"\\]|\\.)*)":-?\d/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
        expect(written).toEqual([...written].sort());
        expect(new Set(written)).toEqual(new Set(keys));
      }),
    );
  });
});

describe('a break in the chain', () => {
  it('tells the stored hash and the one its content hashes to', () => {
    const sealed = sealSnapshot(fields('snp_1', null));
    const forged = { ...sealed, hash: 'f'.repeat(64) };
    expect(chainBreaks([forged])).toEqual([
      { snapshotId: 'snp_1', reason: 'hash', detail: `stored ${'f'.repeat(64)}, content hashes to ${sealed.hash}` },
    ]);
  });

  it('tells which hash a snapshot links to and which one it should, null for the first', () => {
    const first = sealSnapshot(fields('snp_1', 'a'.repeat(64)));
    expect(chainBreaks([first])).toEqual([
      { snapshotId: 'snp_1', reason: 'previousHash', detail: `previousHash ${'a'.repeat(64)}, the snapshot before hashes to null (none)` },
    ]);
    const root = sealSnapshot(fields('snp_1', null));
    const orphan = sealSnapshot(fields('snp_2', null));
    expect(chainBreaks([root, orphan])).toEqual([
      { snapshotId: 'snp_2', reason: 'previousHash', detail: `previousHash null, the snapshot before hashes to ${root.hash}` },
    ]);
  });
});

describe('months', () => {
  it('end at 00:00 China time on the 1st of the next month, across a year end too', () => {
    expect(monthEnd('2026-01')).toEqual(new Date('2026-01-31T16:00:00Z'));
    expect(monthEnd('2026-02')).toEqual(new Date('2026-02-28T16:00:00Z'));
    expect(monthEnd('2026-09')).toEqual(new Date('2026-09-30T16:00:00Z'));
    expect(monthEnd('2026-10')).toEqual(new Date('2026-10-31T16:00:00Z'));
    expect(monthEnd('2026-11')).toEqual(new Date('2026-11-30T16:00:00Z'));
    expect(monthEnd('2026-12')).toEqual(new Date('2026-12-31T16:00:00Z'));
  });

  it('are named yyyy-mm with a month 01..12, nothing before or after', () => {
    for (const name of ['2026-13', '2026-00', '2026-1', '26-01', '2026-01-01', 'x2026-01', '2026/01', '']) {
      expect(() => monthEnd(name), name).toThrow(new RangeError(`not a month: ${name}`));
    }
  });

  it('a monthly snapshot taken at any instant is labelled with the month that ended last, and runs next at its end', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2001-01-01'), max: new Date('2090-01-01'), noInvalidDate: true }), (at) => {
        const label = monthJustEnded(at);
        expect(label).toMatch(/^\d{4}-(0[1-9]|1[0-2])$/);
        expect(monthEnd(label).getTime()).toBeLessThanOrEqual(at.getTime());
        // the month after the label has not ended yet at `at`, and it ends when the next monthly run is due
        const next = nextMonthStart(at);
        expect(next.getTime()).toBeGreaterThan(at.getTime());
        expect(monthJustEnded(next)).not.toBe(label);
        expect(monthEnd(monthJustEnded(next))).toEqual(next);
      }),
    );
    expect(monthJustEnded(new Date('2026-10-31T16:00:00Z'))).toBe('2026-10');
    expect(monthJustEnded(new Date('2026-10-31T15:59:59Z'))).toBe('2026-09');
    expect(monthJustEnded(new Date('2027-01-31T16:00:00Z'))).toBe('2027-01');
  });

  it('a fund created at the very instant a month ended did not exist at its end; a millisecond before, it did', () => {
    const now = new Date('2026-08-01T00:00:00Z');
    expect(monthlySnapshotRefusal('2026-05', now, '2026-05-31T16:00:00.000Z')).toBe('the fund did not exist at the end of 2026-05');
    expect(monthlySnapshotRefusal('2026-05', now, '2026-05-31T15:59:59.999Z')).toBeUndefined();
    expect(monthlySnapshotRefusal('2026-07', new Date('2026-07-31T15:59:59.999Z'), '2026-01-01T00:00:00Z')).toBe(
      'the month 2026-07 has not ended',
    );
  });
});

describe('totals', () => {
  it('are the sums of the allocations, and unallocated is the budget less what is allocated', () => {
    const allocation = (n: number): SnapshotAllocation => ({
      countyCode: String(500_000 + n),
      allocated: 1000 * n,
      reserved: 10 * n,
      paid: 100 * n,
      available: 1000 * n - 110 * n,
      ledger: { seq: n, at: null },
    });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 20 }), fc.nat(10 ** 9), (ns, budget) => {
        const all = ns.map(allocation);
        const n = ns.reduce((t, x) => t + x, 0);
        expect(sumTotals(budget, all)).toEqual({
          totalBudget: budget,
          allocated: 1000 * n,
          reserved: 10 * n,
          paid: 100 * n,
          available: 890 * n,
          unallocated: budget - 1000 * n,
        });
      }),
    );
  });
});
