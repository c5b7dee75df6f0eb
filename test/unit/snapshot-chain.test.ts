/**
 * The snapshot chain: a hash recomputed from the canonical JSON exactly as API.md defines it, and any change to a
 * snapshot of a chain detected.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalJson,
  chainBreaks,
  monthEnd,
  monthJustEnded,
  nextMonthStart,
  monthlySnapshotRefusal,
  sealSnapshot,
  snapshotHash,
  sumTotals,
  type Snapshot,
  type SnapshotAllocation,
} from '#shared/domain/snapshots';

const allocation: SnapshotAllocation = {
  countyCode: '500241',
  allocated: 1000,
  reserved: 200,
  paid: 300,
  available: 500,
  ledger: { seq: 4, at: '2026-05-02T01:00:00.000Z' },
};

function snapshotFields(previousHash: string | null, n = 1): Omit<Snapshot, 'hash'> {
  return {
    snapshotId: `snp_${n}`,
    fundId: 'fund_1',
    kind: 'monthly',
    month: '2026-05',
    takenAt: '2026-05-31T16:00:00.000Z',
    totals: sumTotals(5000, [allocation]),
    allocations: [allocation],
    progress: { asOf: '2026-05-31', timeElapsed: 0.413698, counties: [], alerts: [] },
    previousHash,
  };
}

describe('canonical JSON and hash', () => {
  it('hashes every field but hash, keys sorted, no whitespace: recomputable by hand', () => {
    const snapshot = sealSnapshot(snapshotFields(null));
    const byHand =
      '{"allocations":[{"allocated":1000,"available":500,"countyCode":"500241","ledger":{"at":"2026-05-02T01:00:00.000Z","seq":4},"paid":300,"reserved":200}],' +
      '"fundId":"fund_1","kind":"monthly","month":"2026-05","previousHash":null,' +
      '"progress":{"alerts":[],"asOf":"2026-05-31","counties":[],"timeElapsed":0.413698},' +
      '"snapshotId":"snp_1","takenAt":"2026-05-31T16:00:00.000Z",' +
      '"totals":{"allocated":1000,"available":500,"paid":300,"reserved":200,"totalBudget":5000,"unallocated":4000}}';
    expect(canonicalJson(snapshotFields(null))).toBe(byHand);
    expect(snapshot.hash).toBe(createHash('sha256').update(byHand, 'utf8').digest('hex'));
    expect(snapshot.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on the order keys were written in, and escapes strings as JSON does', () => {
    const json = fc.jsonValue();
    fc.assert(
      fc.property(json, (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
    const shuffled = fc.dictionary(fc.string(), fc.integer()).map((o) => [o, Object.fromEntries(Object.entries(o).reverse())] as const);
    fc.assert(
      fc.property(shuffled, ([a, b]) => {
        expect(canonicalJson(a)).toBe(canonicalJson(b));
      }),
    );
    expect(canonicalJson({ name: '秀山县 "茶"', b: [1, { d: null, c: true }] })).toBe(
      '{"b":[1,{"c":true,"d":null}],"name":"秀山县 \\"茶\\""}',
    );
  });

  it('ignores a stored hash when recomputing', () => {
    const snapshot = sealSnapshot(snapshotFields(null));
    expect(snapshotHash({ ...snapshot, hash: 'forged' })).toBe(snapshot.hash);
  });
});

function chainOf(length: number): Snapshot[] {
  const chain: Snapshot[] = [];
  for (let i = 0; i < length; i++) chain.push(sealSnapshot(snapshotFields(chain.at(-1)?.hash ?? null, i + 1)));
  return chain;
}

describe('the chain', () => {
  it('verifies a chain built link by link', () => {
    expect(chainBreaks(chainOf(5))).toEqual([]);
    expect(chainBreaks([])).toEqual([]);
  });

  it('names the snapshot whose content was changed after it was sealed', () => {
    const chain = chainOf(3);
    chain[1] = { ...chain[1]!, totals: { ...chain[1]!.totals, paid: chain[1]!.totals.paid + 1 } };
    expect(chainBreaks(chain)).toEqual([expect.objectContaining({ snapshotId: 'snp_2', reason: 'hash' })]);
  });

  it('shows a snapshot resealed after an edit at the next link, and a removed one too', () => {
    const chain = chainOf(3);
    const { hash: _h, ...fields } = chain[0]!;
    chain[0] = sealSnapshot({ ...fields, totals: { ...fields.totals, paid: 0 } });
    expect(chainBreaks(chain)).toEqual([expect.objectContaining({ snapshotId: 'snp_2', reason: 'previousHash' })]);
    const gap = chainOf(3);
    gap.splice(1, 1);
    expect(chainBreaks(gap)).toEqual([expect.objectContaining({ snapshotId: 'snp_3', reason: 'previousHash' })]);
  });

  it('detects any change of any number in any snapshot', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.nat(),
        fc.constantFrom('allocated', 'reserved', 'paid', 'available'),
        fc.integer({ min: 1, max: 1_000_000 }),
        (length, which, field, delta) => {
          const chain = chainOf(length);
          const i = which % length;
          const edited = chain[i]!;
          chain[i] = { ...edited, allocations: edited.allocations.map((a) => ({ ...a, [field]: a[field] + delta })) };
          const breaks = chainBreaks(chain);
          expect(breaks.length).toBeGreaterThan(0);
          expect(breaks[0]!.snapshotId).toBe(edited.snapshotId);
        },
      ),
    );
  });
});

describe('monthly snapshots', () => {
  it('at 00:00 China time on the 1st, are labelled with the month that just ended', () => {
    expect(monthJustEnded(new Date('2026-05-31T16:00:00Z'))).toBe('2026-05');
    expect(monthJustEnded(new Date('2025-12-31T16:00:00Z'))).toBe('2025-12');
    expect(monthEnd('2026-12')).toEqual(new Date('2026-12-31T16:00:00Z'));
    expect(nextMonthStart(new Date('2026-12-31T15:59:59Z'))).toEqual(new Date('2026-12-31T16:00:00Z'));
    expect(nextMonthStart(new Date('2026-12-31T16:00:00Z'))).toEqual(new Date('2027-01-31T16:00:00Z'));
  });

  it('refuse a month that has not ended or that ended before the fund existed', () => {
    const created = '2026-03-10T00:00:00Z';
    expect(monthlySnapshotRefusal('2026-05', new Date('2026-05-31T15:59:59Z'), created)).toMatch(/not ended/);
    expect(monthlySnapshotRefusal('2026-05', new Date('2026-05-31T16:00:00Z'), created)).toBeUndefined();
    expect(monthlySnapshotRefusal('2026-02', new Date('2026-06-01T00:00:00Z'), created)).toMatch(/did not exist/);
    expect(monthlySnapshotRefusal('2026-03', new Date('2026-06-01T00:00:00Z'), created)).toBeUndefined();
  });
});
