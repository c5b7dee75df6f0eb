/**
 * The public notice (公示) as a server-rendered page for a cheap phone: Chinese and English labels side
 * by side, no script at all, one small inline style (allowed by its hash in a strict CSP), and an
 * objection form that works without JavaScript. It shows only what the notice API shows: masked
 * names, kinds, amounts and statuses — never an account, phone or ID.
 */
import { pagePolicy } from './page-policy.ts';
import type { PublicNotice } from '../data/notices/items.ts';

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:0.75rem;color:#111;background:#fff}' +
  'h1{font-size:1.3rem;margin:0.5rem 0}h2{font-size:1.1rem}table{border-collapse:collapse;width:100%}' +
  'th,td{border-bottom:1px solid #ccc;padding:0.4rem 0.25rem;text-align:left}td.n{text-align:right;white-space:nowrap}' +
  'label{display:block;margin-top:0.6rem;font-weight:600}select,textarea,input{width:100%;font:inherit;padding:0.4rem;box-sizing:border-box}' +
  'button{margin-top:0.8rem;font:inherit;padding:0.6rem 1rem;background:#0b5;color:#000;border:1px solid #064}' +
  '.muted{color:#444}.status{font-weight:600}a{color:#04c}';

/** No script, no frames, no other origin; the form may post only back here. */
const POLICY = pagePolicy(STYLE, { form: true, cacheControl: 'no-store' });
export const NOTICE_PAGE_CSP = POLICY.csp;
export const noticePageHeaders = POLICY.headers;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const KIND: Record<string, string> = {
  farmer: '农户 Farmer',
  cooperative: '合作社 Cooperative',
  county: '县 County',
  station: '服务站 Station',
};
const ITEM_STATUS: Record<string, string> = {
  listed: '公示中 Listed',
  objected: '有异议 Objected',
  withdrawn: '已撤回 Withdrawn',
  proceeding: '发放中 Proceeding',
  paid: '已发放 Paid',
};
const NOTICE_STATUS: Record<string, string> = { open: '公示中 Open', closed: '已结束 Closed' };

/** Fen as yuan with two decimals and thousands separators (integers only: no float arithmetic). */
export function yuan(fen: number): string {
  const whole = Math.trunc(fen / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `¥${whole}.${String(fen % 100).padStart(2, '0')}`;
}

const day = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title>` +
    `<style>${STYLE}</style></head><body><main>${body}</main></body></html>`
  );
}

/** A notice and one page of its items: `itemCount` is the notice's whole count, `nextCursor` its next page. */
export function renderNoticePage(notice: PublicNotice & { itemCount?: number; nextCursor?: string | null }): string {
  const open = notice.status === 'open';
  const rows = notice.items
    .map(
      (i) =>
        `<tr><td>${escapeHtml(i.beneficiaryName)}</td><td>${escapeHtml(KIND[i.beneficiaryKind] ?? i.beneficiaryKind)}</td>` +
        `<td class="n">${yuan(i.amount)}</td><td class="status">${escapeHtml(ITEM_STATUS[i.status] ?? i.status)}</td></tr>`,
    )
    .join('');
  const objectable = notice.items.filter((i) => i.status === 'listed' || i.status === 'objected');
  const more = notice.nextCursor
    ? `<p><a href="/notices/${escapeHtml(notice.noticeId)}?${new URLSearchParams({ cursor: notice.nextCursor }).toString()}">下一页 Next page</a></p>`
    : '';
  const form =
    open && objectable.length
      ? `<h2 id="object">提出异议 Object to an item</h2>` +
        `<form method="post" action="/notices/${escapeHtml(notice.noticeId)}/objections">` +
        `<label for="itemRef">对象 Item</label><select id="itemRef" name="itemRef" required>` +
        objectable
          .map((i) => `<option value="${escapeHtml(i.itemRef)}">${escapeHtml(i.beneficiaryName)} ${yuan(i.amount)}</option>`)
          .join('') +
        `</select>` +
        `<label for="reason">理由 Reason (10–1000 字 characters)</label>` +
        `<textarea id="reason" name="reason" rows="4" minlength="10" maxlength="1000" required></textarea>` +
        `<label for="contact">联系方式（可选）Contact (optional)</label>` +
        `<input id="contact" name="contact" maxlength="100" autocomplete="tel">` +
        `<p class="muted">联系方式只供核实，不会公开。Your contact is used only to follow up and is never shown.</p>` +
        `<button type="submit">提交异议 Submit objection</button></form>`
      : `<p class="muted">公示已结束，不再接受异议。The notice has ended; objections are closed.</p>`;
  return page(
    `公示 Public notice ${notice.noticeId}`,
    `<h1>资金发放公示 Public notice of relief payments</h1>` +
      `<p>${escapeHtml(notice.countyName)} · ${escapeHtml(notice.fundName)}</p>` +
      `<p>用途 Purpose: ${escapeHtml(notice.purpose)}<br>公示期 Notice period: ${day(notice.startsAt)} – ${day(notice.endsAt)}<br>` +
      `状态 Status: <span class="status">${escapeHtml(NOTICE_STATUS[notice.status] ?? notice.status)}</span></p>` +
      `<table><caption class="muted">名单 Listed beneficiaries (${notice.itemCount ?? notice.items.length})</caption>` +
      `<thead><tr><th scope="col">姓名 Name</th><th scope="col">类别 Kind</th><th scope="col">金额 Amount</th><th scope="col">状态 Status</th></tr></thead>` +
      `<tbody>${rows}</tbody></table>${more}${form}`,
  );
}

export function renderNoticeListPage(
  notices: (PublicNotice & { itemCount: number })[],
  countyCode: string | undefined,
  nextCursor: string | null,
): string {
  const items = notices
    .map(
      (n) =>
        `<li><a href="/notices/${escapeHtml(n.noticeId)}">${escapeHtml(n.countyName)} · ${escapeHtml(n.fundName)}</a> — ` +
        `${escapeHtml(NOTICE_STATUS[n.status] ?? n.status)}, ${day(n.startsAt)} – ${day(n.endsAt)}, ${n.itemCount}</li>`,
    )
    .join('');
  const more = nextCursor
    ? `<p><a href="/notices?${new URLSearchParams({ ...(countyCode ? { countyCode } : {}), cursor: nextCursor }).toString().replace(/&/g, '&amp;')}">更多 More</a></p>`
    : '';
  return page(
    '公示 Public notices',
    `<h1>资金发放公示 Public notices</h1>${countyCode ? `<p>县 County ${escapeHtml(countyCode)}</p>` : ''}` +
      (items ? `<ul>${items}</ul>` : `<p class="muted">暂无公示 No notices.</p>`) +
      more,
  );
}

export function renderMessagePage(title: string, message: string, back?: string): string {
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${back ? `<p><a href="${escapeHtml(back)}">返回 Back</a></p>` : ''}`,
  );
}
