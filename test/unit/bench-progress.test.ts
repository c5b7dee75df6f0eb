/** The bench's progress and report sections: their goals and their tables (pure, nothing run). */
import { describe, expect, it } from 'vitest';
import { evaluateGoals, renderReport, type BenchResults } from '../../bench/report.ts';
import { benchCountyCode } from '../../bench/progress.ts';

const base: BenchResults = { startedAt: '', machine: { node: 'v24', cpus: 2, platform: 'linux' } };
const progress = (ratioToRaw: number) => ({
  counties: 800,
  ledgerEntries: 100_000,
  apiSeconds: 0.06 * ratioToRaw,
  rawSeconds: 0.06,
  reads: 7,
  ratioToRaw,
  sdkCallsPerRead: { GetCommand: 1, QueryCommand: 4 },
  seedSeconds: 90,
});
const pdf = (pdfMaxRssMiB: number) => ({
  counties: 800,
  pdfSeconds: 4.2,
  pdfMaxRssMiB,
  pdfBytes: 900_000,
  jsonSeconds: 0.4,
  jsonMaxRssMiB: 180,
  jsonBytes: 200_000,
});
const goal = (results: BenchResults, name: string) => evaluateGoals(results).find((g) => g.goal === name)!;

describe('the progress goal', () => {
  it('is met at a ratio to the raw read of 1.5 or less, missed above', () => {
    expect(goal({ ...base, progress: progress(1.5) }, 'progress ratioToRaw ≤ 1.5').met).toBe(true);
    expect(goal({ ...base, progress: progress(1.51) }, 'progress ratioToRaw ≤ 1.5')).toMatchObject({
      met: false,
      actual: expect.stringContaining('800 counties, 100000 ledger entries'),
    });
    expect(goal({ ...base, progress: { missing: 'boom' } }, 'progress ratioToRaw ≤ 1.5')).toMatchObject({
      met: undefined,
      actual: 'missing: boom',
    });
    expect(goal(base, 'progress ratioToRaw ≤ 1.5').met).toBeUndefined();
  });
});

describe('the report PDF goal', () => {
  it("is met inside Lambda's 1,024 MB, missed above", () => {
    expect(goal({ ...base, reportPdf: pdf(1024) }, 'report PDF peak memory ≤ 1024 MiB').met).toBe(true);
    expect(goal({ ...base, reportPdf: pdf(1025) }, 'report PDF peak memory ≤ 1024 MiB').met).toBe(false);
    expect(goal(base, 'report PDF peak memory ≤ 1024 MiB').met).toBeUndefined();
  });
});

describe('the tables', () => {
  it('print both sections with their figures, and say when one is missing', () => {
    const text = renderReport({ ...base, progress: progress(1.2), reportPdf: pdf(400) });
    expect(text).toContain('SDK calls per read: Get 1, Query 4');
    expect(text).toMatch(/ratio\s+1\.20/);
    expect(text).toMatch(/PDF\s+4\.20\s+400\s+0\.90 MB\s+800/);
    expect(renderReport({ ...base, reportPdf: { missing: 'child died' } })).toContain('missing: child died');
  });
});

describe("the bench's county codes", () => {
  it('are distinct 6-digit codes in real provinces', () => {
    const codes = Array.from({ length: 800 }, (_, n) => benchCountyCode(n));
    expect(new Set(codes).size).toBe(800);
    for (const code of codes) expect(code).toMatch(/^(1[1-9]|[2-5]\d|6[0-5])\d{4}$/);
  });
});
