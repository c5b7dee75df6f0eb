import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { escapeHtml, NOTICE_PAGE_CSP, renderNoticeListPage, renderNoticePage, yuan } from '#shared/http/notice-page';
import type { PublicNotice } from '#shared/data/notices/items';

const notice = (over: Partial<PublicNotice> = {}): PublicNotice => ({
  noticeId: 'ntc_01M8MB7QKGZ7EXTNFH95G3P5TD',
  countyCode: '522727',
  countyName: '丹寨县',
  fundName: '最低生活保障金',
  purpose: 'other',
  startsAt: '2026-12-01T08:00:00.000Z',
  endsAt: '2026-12-08T08:00:00.000Z',
  status: 'open',
  items: [
    { itemRef: 'dsb_01M8MB7QKGZ7EXTNFH95G3P5TD', beneficiaryName: '王**', beneficiaryKind: 'farmer', amount: 120_000, status: 'listed' },
  ],
  ...over,
});

describe('the public notice page', () => {
  it('shows yuan from fen exactly, with separators', () => {
    expect(yuan(0)).toBe('¥0.00');
    expect(yuan(5)).toBe('¥0.05');
    expect(yuan(120_000)).toBe('¥1,200.00');
    expect(yuan(10_000_000_000_000)).toBe('¥100,000,000,000.00');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000_000 }), (fen) => {
        const [whole, cents] = yuan(fen).slice(1).replace(/,/g, '').split('.');
        expect(BigInt(whole!) * 100n + BigInt(cents!)).toBe(BigInt(fen));
      }),
    );
  });

  it('escapes everything it prints', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const html = renderNoticePage(
      notice({ fundName: '<script>alert(1)</script>', items: [{ ...notice().items[0]!, beneficiaryName: '<img src=x>' }] }),
    );
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;');
  });

  it('has an objection form while open, listing only items one may still object to', () => {
    const open = renderNoticePage(
      notice({
        items: [
          ...notice().items,
          { itemRef: 'dsb_01M8MB7QKGZ7EXTNFH95G3P5TE', beneficiaryName: '李*', beneficiaryKind: 'farmer', amount: 1, status: 'withdrawn' },
        ],
      }),
    );
    expect(open).toContain('<form method="post" action="/notices/ntc_01M8MB7QKGZ7EXTNFH95G3P5TD/objections">');
    expect(open).toContain('value="dsb_01M8MB7QKGZ7EXTNFH95G3P5TD"');
    expect(open).not.toContain('value="dsb_01M8MB7QKGZ7EXTNFH95G3P5TE"');
    expect(open).toContain('已撤回 Withdrawn');
    const closed = renderNoticePage(notice({ status: 'closed' }));
    expect(closed).not.toContain('<form');
    expect(closed).toContain('objections are closed');
  });

  it('every label is in Chinese and English, and the page needs no script', () => {
    const html = renderNoticePage(notice());
    for (const label of ['姓名 Name', '金额 Amount', '状态 Status', '提交异议 Submit objection', '理由 Reason'])
      expect(html).toContain(label);
    expect(html).not.toMatch(/<script|\son\w+=/i);
    expect(NOTICE_PAGE_CSP).toContain("default-src 'none'");
    expect(NOTICE_PAGE_CSP).not.toMatch(/unsafe|script-src/);
  });

  it('lists notices with a link each and a next page', () => {
    const html = renderNoticeListPage([{ ...notice(), itemCount: 1 }], '522727', 'abc&def');
    expect(html).toContain('href="/notices/ntc_01M8MB7QKGZ7EXTNFH95G3P5TD"');
    expect(html).toContain('cursor=abc%26def');
    expect(renderNoticeListPage([], undefined, null)).toContain('No notices');
  });
});
