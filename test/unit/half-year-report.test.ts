/**
 * The half-year report: the JSON's figures add up, and the printable page and the PDF (read back with pdftotext)
 * show every one of them; Chinese names render in the PDF with no missing glyph.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildHalfYearReport,
  halfEndSnapshot,
  halfYear,
  type HalfYearReport,
  type ReportCounty,
  type ReportInput,
} from '#shared/domain/half-year-report';
import {
  formatCount,
  formatPoints,
  formatShare,
  formatYuan,
  halfYearDocument,
  type ReportDocument,
} from '#shared/report/half-year-document';
import { REPORT_PAGE_CSP, renderReportPage } from '#shared/report/half-year-html';
import { missingGlyphs, renderReportPdf } from '#shared/report/half-year-pdf';
import { htmlText, pdfText } from '#test/support/document-text';

const NAMES = ['秀山土家族苗族自治县', '丹寨县', '彝良县', '景宁畲族自治县', '筠连县', '濉溪县', '邛崃市', '<b>Test & "county"</b>'];

function county(i: number, over: Partial<ReportCounty> = {}): ReportCounty {
  const allocated = 50_000_000_00 + i * 12_345;
  const paid = Math.floor((allocated * ((i * 37) % 100)) / 100);
  return {
    countyCode: String(500230 + i),
    name: NAMES[i % NAMES.length]!,
    province: '重庆市',
    allocated,
    paid,
    reserved: 1_000 * i,
    available: allocated - paid - 1_000 * i,
    paidInHalf: Math.floor(paid / 3),
    createdAt: '2026-01-05T02:00:00.000Z',
    ...over,
  };
}

function input(counties: ReportCounty[]): ReportInput {
  return {
    fund: {
      fundId: 'fund_01JTEST',
      name: '乡村振兴衔接资金 2026',
      totalBudget: 1_000_000_000_000,
      period: { startsOn: '2026-01-01', endsOn: '2026-12-31' },
    },
    half: halfYear('2026-H1')!,
    now: new Date('2026-07-03T01:00:00Z'),
    counties,
    failures: [
      { code: 'account_closed', count: 3, amount: 1_234_567 },
      { code: 'name_mismatch', count: 12, amount: 98_765_43 },
    ],
    flags: [
      { code: 'large_amount', raised: 41, cleared: 39 },
      { code: 'duplicate_beneficiary', raised: 7, cleared: 6 },
    ],
    objections: { upheld: 4, dismissed: 17 },
    notices: { published: 23 },
    snapshots: [
      { snapshotId: 'snp_01JB', kind: 'monthly', month: '2026-02', takenAt: '2026-02-28T16:00:00.000Z', hash: 'b'.repeat(64) },
      {
        snapshotId: 'snp_01JA',
        kind: 'monthly',
        month: '2026-01',
        takenAt: '2026-01-31T16:00:00.000Z',
        hash: '0123456789abcdef'.repeat(4),
      },
      { snapshotId: 'snp_01JC', kind: 'on_demand', month: null, takenAt: '2026-03-15T03:00:00.000Z', hash: 'fedcba9876543210'.repeat(4) },
    ],
  };
}

/** Every figure of the report as the page and the PDF must show it. */
function figures(report: HalfYearReport): string[] {
  const b = report.budget;
  return [
    ...[b.totalBudget, b.allocated, b.reserved, b.paid, b.available, b.unallocated, b.paidInHalf].map(formatYuan),
    formatShare(report.timeElapsed),
    ...report.counties.flatMap((c) => [
      c.name,
      c.countyCode,
      formatYuan(c.allocated),
      formatYuan(c.paid),
      formatYuan(c.paidInHalf),
      formatShare(c.progress),
      formatPoints(c.lagPoints),
    ]),
    ...report.failures.flatMap((f) => [f.code, formatCount(f.count), formatYuan(f.amount)]),
    ...report.flags.flatMap((f) => [f.code, formatCount(f.raised), formatCount(f.cleared)]),
    formatCount(report.objections.upheld),
    formatCount(report.objections.dismissed),
    formatCount(report.notices.published),
    ...report.snapshots.flatMap((s) => [s.snapshotId, s.hash, s.takenAt]),
  ];
}

describe('the half-year report JSON', () => {
  it('names its half-years by China dates', () => {
    expect(halfYear('2026-H1')).toEqual({ half: '2026-H1', from: '2026-01-01', to: '2026-06-30' });
    expect(halfYear('2026-H2')).toEqual({ half: '2026-H2', from: '2026-07-01', to: '2026-12-31' });
    expect(halfYear('2026-H3')).toBeUndefined();
    expect(halfYear('26-H1')).toBeUndefined();
  });

  it('totals are the sums of the counties, and progress is read at the half-year end (or today while it runs)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(500), { maxLength: 30 }),
        fc.constantFrom('2026-05-20T00:00:00Z', '2026-09-01T00:00:00Z'),
        (seeds, now) => {
          const counties = seeds.map((s, i) => county(i * 7 + s));
          const unique = [...new Map(counties.map((c) => [c.countyCode, c])).values()];
          const report = buildHalfYearReport({ ...input(unique), now: new Date(now) });
          const sum = (f: 'allocated' | 'paid' | 'reserved' | 'available' | 'paidInHalf') => unique.reduce((t, c) => t + c[f], 0);
          expect(report.budget).toEqual({
            totalBudget: 1_000_000_000_000,
            allocated: sum('allocated'),
            paid: sum('paid'),
            reserved: sum('reserved'),
            available: sum('available'),
            paidInHalf: sum('paidInHalf'),
            unallocated: 1_000_000_000_000 - sum('allocated'),
          });
          expect(report.asOf).toBe(now.startsWith('2026-05') ? '2026-05-20' : '2026-06-30');
          expect(report.counties.map((c) => c.countyCode)).toEqual(unique.map((c) => c.countyCode).sort());
        },
      ),
    );
  });
});

describe('the printable page and the PDF', () => {
  // Built before the tests rather than while they are collected, so that a broken report fails them.
  let report: HalfYearReport;
  let doc: ReportDocument;
  beforeAll(() => {
    report = buildHalfYearReport(input(Array.from({ length: 12 }, (_, i) => county(i))));
    doc = halfYearDocument(report);
  });

  it('the page shows every figure of the JSON, escaped, with no script and a strict CSP', () => {
    const html = renderReportPage(doc);
    const text = htmlText(html);
    const absent = figures(report).filter((f) => !text.includes(f));
    expect(absent).toEqual([]);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;b&gt;Test &amp; &quot;county&quot;&lt;/b&gt;');
    expect(REPORT_PAGE_CSP).toMatch(/default-src 'none'; style-src 'sha256-/);
    // each chart is followed by the table of its figures
    expect(html.match(/<\/svg><\/figure><table>/g)).toHaveLength(3);
    expect(html).toContain('半年工作报告');
    expect(html).toContain('half-year report');
  });

  it('the PDF read back as text shows every figure of the JSON, Chinese names included', async () => {
    const text = pdfText(await renderReportPdf(doc));
    const absent = figures(report).filter((f) => !text.includes(f));
    expect(absent).toEqual([]);
    expect(text).toContain('乡村振兴衔接资金 2026');
    expect(text).toContain('支出进度 Spending progress');
  });

  it('has a glyph for every character it sets, and the check does see a character the font lacks', () => {
    expect(missingGlyphs(doc)).toEqual([]);
    const rare = halfYearDocument(buildHalfYearReport(input([county(1, { name: '𠀀村县' })])));
    expect(missingGlyphs(rare)).toEqual(['𠀀']);
  });

  // Its time and memory are the bench's `report` section; a test asserts no duration.
  it('draws 800 counties, the last one included, in a file of a few hundred KB', async () => {
    const big = halfYearDocument(buildHalfYearReport(input(Array.from({ length: 800 }, (_, i) => county(i)))));
    const pdf = await renderReportPdf(big);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeLessThan(500_000);
    const text = pdfText(pdf);
    expect(text).toContain(formatYuan(county(799).allocated));
  }, 60_000);
});

describe("a past half's balances", () => {
  const end = new Date('2026-06-30T16:00:00.000Z');
  it("come from the first snapshot taken at or after the half's end", () => {
    const taken = (takenAt: string) => ({ takenAt });
    expect(
      halfEndSnapshot([taken('2026-07-01T00:00:00.000Z'), taken('2026-06-30T16:00:00.000Z'), taken('2026-06-01T00:00:00.000Z')], end),
    ).toEqual(taken('2026-06-30T16:00:00.000Z'));
    expect(halfEndSnapshot([taken('2026-06-30T15:59:59.999Z')], end)).toBeUndefined();
  });

  it("replace today's (a county allocated later left out); paid in the half stays from its counter", () => {
    const today = [county(1), county(2)];
    const report = buildHalfYearReport({
      ...input(today),
      halfEnd: {
        snapshotId: 'snp_01JEND',
        takenAt: end.toISOString(),
        hash: 'e'.repeat(64),
        totals: { totalBudget: 900_000 },
        allocations: [{ countyCode: county(1).countyCode, allocated: 500_000, reserved: 1_000, paid: 100_000, available: 399_000 }],
      },
    });
    expect(report.figuresFrom).toEqual({
      source: 'snapshot',
      snapshot: { snapshotId: 'snp_01JEND', takenAt: end.toISOString(), hash: 'e'.repeat(64) },
    });
    expect(report.budget).toEqual({
      totalBudget: 900_000,
      allocated: 500_000,
      reserved: 1_000,
      paid: 100_000,
      available: 399_000,
      unallocated: 400_000,
      paidInHalf: county(1).paidInHalf,
    });
    expect(report.counties).toEqual([
      expect.objectContaining({ countyCode: county(1).countyCode, paid: 100_000, progress: 0.2, name: county(1).name }),
    ]);
    const live = buildHalfYearReport({ ...input(today), halfEnd: null });
    expect(live.figuresFrom).toEqual({ source: 'live_no_snapshot', snapshot: null });
    expect(live.budget.paid).toBe(county(1).paid + county(2).paid);
    expect(buildHalfYearReport(input(today)).figuresFrom.source).toBe('live');
  });

  it('name a county the snapshot holds and today does not by its code, with nothing paid in the half', () => {
    const report = buildHalfYearReport({
      ...input([county(1)]),
      halfEnd: {
        snapshotId: 'snp_01JEND',
        takenAt: end.toISOString(),
        hash: 'e'.repeat(64),
        totals: { totalBudget: 900_000 },
        allocations: [
          { countyCode: county(2).countyCode, allocated: 300_000, reserved: 0, paid: 30_000, available: 270_000 },
          { countyCode: county(1).countyCode, allocated: 500_000, reserved: 0, paid: 100_000, available: 400_000 },
        ],
      },
    });
    expect(report.counties.map((c) => c.countyCode)).toEqual([county(1).countyCode, county(2).countyCode]);
    expect(report.counties[1]).toMatchObject({ name: county(2).countyCode, province: '', paid: 30_000, paidInHalf: 0 });
    expect(report.counties[0]).toMatchObject({ name: county(1).name, province: county(1).province, paidInHalf: county(1).paidInHalf });
  });
});
