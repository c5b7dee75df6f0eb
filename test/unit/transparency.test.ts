/**
 * The fund's public view and page: aggregates only (no name, account, ID or phone whatever the inputs carry), every
 * figure on the page, escaped, under a CSP that allows no script.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { publicFundView, share } from '#shared/domain/transparency';
import { renderTransparencyPage, TRANSPARENCY_PAGE_CSP, transparencyPageHeaders } from '#shared/http/transparency-page';
import { formatShare, formatYuan } from '#shared/report/half-year-document';
import { PLANTED, transparencyInput } from '#test/support/transparency-fixture';

const personal = Object.values(PLANTED);

describe('the public view', () => {
  it('holds the budget, each county with its progress, notices, objections upheld and the latest hash', () => {
    const view = publicFundView(transparencyInput(3));
    expect(Object.keys(view).sort()).toEqual(
      [
        'allocated',
        'asOf',
        'counties',
        'currency',
        'fundId',
        'latestSnapshot',
        'name',
        'nextCursor',
        'notices',
        'objections',
        'paid',
        'period',
        'progress',
        'timeElapsed',
        'totalBudget',
        'unallocated',
      ].sort(),
    );
    expect(Object.keys(view.counties[0]!).sort()).toEqual(['allocated', 'countyCode', 'countyName', 'paid', 'progress', 'province']);
    expect(view.counties[1]).toMatchObject({ countyCode: '500201', countyName: '丹寨县', progress: 0.289999 });
    expect(view.latestSnapshot?.hash).toBe('ab'.repeat(32));
    expect(view.unallocated).toBe(view.totalBudget - view.allocated);
  });

  it('never carries personal data planted in its inputs, for any number of counties', () => {
    fc.assert(
      fc.property(fc.nat(40), (n) => {
        const json = JSON.stringify(publicFundView(transparencyInput(n)));
        const html = renderTransparencyPage(publicFundView(transparencyInput(n)));
        for (const value of personal) {
          expect(json).not.toContain(value);
          expect(html).not.toContain(value);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('rounds progress down and counts nothing allocated as 0', () => {
    expect(share(0, 0)).toBe(0);
    expect(share(1, 3)).toBe(0.333333);
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 13n }), fc.nat(), (a, p) => {
        const paid = Number(BigInt(p) % (a + 1n));
        const s = share(paid, Number(a));
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(paid / Number(a) - s).toBeLessThan(1e-6 + 1e-12);
      }),
    );
  });
});

describe('the transparency page', () => {
  it('shows every figure, bilingual, escaped, without script', () => {
    const view = publicFundView(transparencyInput(9, { nextCursor: 'abc/+=' }));
    const html = renderTransparencyPage(view);
    for (const c of view.counties) {
      if (!c.countyName.includes('<')) expect(html).toContain(c.countyName);
      expect(html).toContain(formatYuan(c.allocated));
      expect(html).toContain(formatYuan(c.paid));
      expect(html).toContain(formatShare(c.progress));
    }
    expect(html).toContain('&lt;i&gt;县&lt;/i&gt; &amp; &quot;x&quot;');
    expect(html).toContain(formatShare(view.timeElapsed));
    expect(html).toContain('ab'.repeat(32));
    expect(html).toContain('公告公示');
    expect(html).toContain('Fund transparency');
    expect(html).toContain('?cursor=abc%2F%2B%3D');
    expect(html).not.toMatch(/<script|style="/i);
    expect(TRANSPARENCY_PAGE_CSP).not.toMatch(/script-src|unsafe/);
    expect(transparencyPageHeaders()['content-security-policy']).toBe(TRANSPARENCY_PAGE_CSP);
  });
});
