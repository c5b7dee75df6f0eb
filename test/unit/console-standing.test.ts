/**
 * The console's "where the money stands" logic without a browser: provinces from county codes, the order and
 * paging of 800 counties, axis ticks, and the snapshot chain recomputed as the browser does (SubtleCrypto) giving
 * the same hashes as the API's own definition.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  axisTicks,
  byLag,
  canonicalJson,
  chainStatuses,
  halvesOf,
  inProvince,
  pageOf,
  provinceName,
  provincesIn,
  recomputeHash,
} from '../../console/standing.ts';
import { canonicalJson as apiCanonicalJson, sealSnapshot } from '#shared/domain/snapshots';

const county = (countyCode: string, lagPoints: number, idle: number | null = null) => ({
  countyCode,
  lagPoints,
  idle: idle === null ? null : { amount: idle, since: '2026-01-01T00:00:00Z' },
});

describe('provinces and order', () => {
  it('takes the province from the first two digits of the county code (GB/T 2260)', () => {
    const rows = [county('522634', 1), county('500236', 2), county('522633', 3)];
    expect(provincesIn(rows.map((r) => r.countyCode))).toEqual(['50', '52']);
    expect(inProvince(rows, '52').map((r) => r.countyCode)).toEqual(['522634', '522633']);
    expect(inProvince(rows, '')).toHaveLength(3);
    expect(provinceName('52', 'zh-CN')).toBe('贵州省');
    expect(provinceName('52', 'en')).toBe('Guizhou');
  });

  it('puts the most lagging first, then the larger idle amount, and keeps every county', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            countyCode: fc.stringMatching(/^[1-6][0-9]{5}$/),
            lagPoints: fc.integer({ min: -10_000, max: 10_000 }).map((n) => n / 100),
            idle: fc.option(fc.integer({ min: 1, max: 10 ** 9 }).map((amount) => ({ amount }))),
          }),
          { selector: (r) => r.countyCode, maxLength: 60 },
        ),
        (rows) => {
          const sorted = byLag(rows);
          expect(sorted.map((r) => r.countyCode).sort()).toEqual(rows.map((r) => r.countyCode).sort());
          for (let i = 1; i < sorted.length; i++) {
            const [a, b] = [sorted[i - 1]!, sorted[i]!];
            expect(a.lagPoints > b.lagPoints || (a.lagPoints === b.lagPoints && (a.idle?.amount ?? 0) >= (b.idle?.amount ?? 0))).toBe(true);
          }
        },
      ),
    );
  });

  it('pages 800 counties 50 at a time, every county on exactly one page, or all at once', () => {
    const rows = Array.from({ length: 800 }, (_, i) => i);
    const seen: number[] = [];
    for (let start = 0; ; start += 50) {
      const page = pageOf(rows, start, 50);
      expect(page.rows.length).toBeLessThanOrEqual(50);
      seen.push(...page.rows);
      if (!page.hasNext) break;
    }
    expect(seen).toEqual(rows);
    expect(pageOf(rows, 0, 50)).toMatchObject({ first: 1, last: 50, total: 800, hasPrevious: false, hasNext: true });
    expect(pageOf(rows, 750, 50)).toMatchObject({ first: 751, last: 800, hasNext: false });
    expect(pageOf(rows, 100, null)).toMatchObject({ first: 1, last: 800, hasNext: false });
    expect(pageOf([], 0, 50)).toMatchObject({ first: 0, last: 0, total: 0 });
  });

  it('draws axis ticks from 0 past the largest value in round steps', () => {
    expect(axisTicks(1)).toEqual([0, 0.25, 0.5, 0.75, 1].map((v) => expect.closeTo(v, 9)));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 13 }), (max) => {
        const ticks = axisTicks(max);
        expect(ticks[0]).toBe(0);
        expect(ticks[ticks.length - 1]!).toBeGreaterThanOrEqual(max);
        expect(ticks.length).toBeLessThanOrEqual(7);
      }),
    );
  });

  it('lists the halves of a fund period', () => {
    expect(halvesOf({ startsOn: '2026-01-01', endsOn: '2026-12-31' })).toEqual(['2026-H1', '2026-H2']);
    expect(halvesOf({ startsOn: '2026-07-15', endsOn: '2027-03-31' })).toEqual(['2026-H2', '2027-H1']);
    expect(halvesOf({ startsOn: '2026-02-01', endsOn: '2026-05-31' })).toEqual(['2026-H1']);
  });
});

describe('the snapshot chain, checked in the browser', () => {
  const fields = (previousHash: string | null, paid: number) => ({
    snapshotId: `snp_${paid}`,
    fundId: 'fund_1',
    kind: 'on_demand' as const,
    month: null,
    takenAt: '2026-06-01T00:00:00.000Z',
    totals: { totalBudget: 100, allocated: 50, reserved: 0, paid, available: 50 - paid, unallocated: 50 },
    allocations: [{ countyCode: '522634', allocated: 50, reserved: 0, paid, available: 50 - paid, ledger: { seq: 3, at: null } }],
    progress: { asOf: '2026-05-31', timeElapsed: 0.412, counties: [], alerts: [] },
    previousHash,
  });

  it('writes the same canonical JSON as the API and recomputes the API’s hash with SubtleCrypto', async () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(apiCanonicalJson(value));
      }),
    );
    const sealed = sealSnapshot(fields(null, 10));
    expect(await recomputeHash(sealed)).toBe(sealed.hash);
  });

  it('verifies an intact chain and finds an edited snapshot and a broken link', async () => {
    const first = sealSnapshot(fields(null, 10));
    const second = sealSnapshot(fields(first.hash, 20));
    const third = sealSnapshot(fields(second.hash, 30));
    const newestFirst = [third, second, first];
    const hashes = async (list: typeof newestFirst) => Promise.all(list.map((s) => recomputeHash(s)));
    expect(chainStatuses(newestFirst, await hashes(newestFirst))).toEqual(['ok', 'ok', 'ok']);

    const edited = [third, { ...second, totals: { ...second.totals, paid: 999 } }, first];
    expect(chainStatuses(edited, await hashes(edited))).toEqual(['ok', 'hash_mismatch', 'ok']);

    // Re-sealed after an edit: its own hash is right, the next one's link to it is not.
    const resealed = [third, sealSnapshot({ ...fields(first.hash, 21), snapshotId: second.snapshotId }), first];
    expect(chainStatuses(resealed, await hashes(resealed))).toEqual(['link_broken', 'ok', 'ok']);

    // Only the newest two loaded: the older link is not checked, and says so.
    expect(chainStatuses([third, second], await hashes([third, second]))).toEqual(['ok', 'link_unread']);
  });
});
