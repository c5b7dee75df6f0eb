/**
 * The fund's public page (公告公示) for a phone: the public view drawn as HTML, Chinese and English side by side, no
 * script, one inline style allowed by its hash (the notice page's discipline). The chart is a list of native
 * `<progress>` bars (they need no style attribute, so the strict CSP holds), led by the time elapsed they are read
 * against; the table below holds the same figures. It shows only what the public view holds: aggregates, no person.
 */
import { pagePolicy } from './page-policy.ts';
import type { PublicFundView } from '../domain/transparency.ts';
import { escapeHtml } from './notice-page.ts';
import { formatShare, formatYuan } from '../report/half-year-document.ts';

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:0.75rem;color:#111;background:#fff}' +
  'h1{font-size:1.3rem;margin:0.5rem 0}h2{font-size:1.1rem;margin-top:1.4rem}' +
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:0.15rem 0.75rem;margin:0}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}' +
  'ol{list-style:none;padding:0;margin:0}li{margin:0.35rem 0}progress{display:block;width:100%;height:0.9rem}' +
  '.bar{display:flex;justify-content:space-between;gap:0.5rem;font-size:0.9rem}.ref{color:#8a0000;font-weight:600}' +
  '.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:0.85rem}caption{text-align:left;font-weight:600}' +
  'th,td{border-bottom:1px solid #ccc;padding:0.3rem 0.25rem;text-align:left}td.n{text-align:right;white-space:nowrap}' +
  '.hash{font-family:monospace;overflow-wrap:anywhere}.muted{color:#444}a{color:#04c}';

/** No script, no frames, no forms, no other origin. Public aggregates: a minute's staleness is harmless and keeps a shared link cheap to serve. */
const POLICY = pagePolicy(STYLE, { form: false, cacheControl: 'public, max-age=60' });
export const TRANSPARENCY_PAGE_CSP = POLICY.csp;
export const transparencyPageHeaders = POLICY.headers;

export function renderTransparencyPage(view: PublicFundView): string {
  const e = escapeHtml;
  const bars = view.counties
    .map(
      (c, i) =>
        `<li><div class="bar"><span id="c${i}">${e(c.countyName)} ${e(c.countyCode)}</span><span>${formatShare(c.progress)}</span></div>` +
        `<progress value="${c.progress}" max="1" aria-labelledby="c${i}"></progress></li>`,
    )
    .join('');
  const rows = view.counties
    .map(
      (c) =>
        `<tr><th scope="row">${e(c.countyName)}<br><span class="muted">${e(c.province)} ${e(c.countyCode)}</span></th>` +
        `<td class="n">${formatYuan(c.allocated)}</td><td class="n">${formatYuan(c.paid)}</td><td class="n">${formatShare(c.progress)}</td></tr>`,
    )
    .join('');
  const more = view.nextCursor
    ? `<p><a href="/transparency/${e(view.fundId)}?cursor=${encodeURIComponent(view.nextCursor)}">更多县 More counties</a></p>`
    : '';
  const snapshot = view.latestSnapshot
    ? `<dl><dt>快照 Snapshot</dt><dd>${e(view.latestSnapshot.snapshotId)}${view.latestSnapshot.month ? ` (${e(view.latestSnapshot.month)})` : ''}</dd>` +
      `<dt>时间 Taken at</dt><dd>${e(view.latestSnapshot.takenAt)}</dd>` +
      `<dt>哈希 Hash (SHA-256)</dt><dd class="hash">${e(view.latestSnapshot.hash)}</dd></dl>`
    : `<p class="muted">暂无快照 No snapshot yet.</p>`;
  const body =
    `<h1>资金公告公示 Fund transparency</h1><p>${e(view.name)}</p>` +
    `<dl><dt>资金期限 Period</dt><dd>${e(view.period.startsOn)} – ${e(view.period.endsOn)}</dd>` +
    `<dt>统计日 As of</dt><dd>${e(view.asOf)}</dd>` +
    `<dt>总预算 Budget</dt><dd>${formatYuan(view.totalBudget)}</dd>` +
    `<dt>已分配 Allocated</dt><dd>${formatYuan(view.allocated)}</dd>` +
    `<dt>已支付 Paid</dt><dd>${formatYuan(view.paid)}</dd>` +
    `<dt>未分配 Unallocated</dt><dd>${formatYuan(view.unallocated)}</dd>` +
    `<dt>支出进度 Progress</dt><dd>${formatShare(view.progress)}</dd>` +
    `<dt>发布公示 Notices published</dt><dd>${view.notices.published}</dd>` +
    `<dt>异议成立 Objections upheld</dt><dd>${view.objections.upheld}</dd></dl>` +
    `<h2 id="progress">各县支出进度 Progress per county</h2>` +
    `<ol aria-labelledby="progress"><li><div class="bar ref"><span id="elapsed">时间进度 Time elapsed</span><span>${formatShare(view.timeElapsed)}</span></div>` +
    `<progress value="${view.timeElapsed}" max="1" aria-labelledby="elapsed"></progress></li>${bars}</ol>` +
    `<div class="scroll" role="region" aria-labelledby="figures" tabindex="0"><table><caption id="figures">各县分配与支付 Allocation and payments per county</caption>` +
    `<thead><tr><th scope="col">县 County</th><th scope="col">已分配 Allocated</th><th scope="col">已支付 Paid</th><th scope="col">进度 Progress</th></tr></thead>` +
    `<tbody>${rows || '<tr><td colspan="4" class="muted">暂无分配 No allocations yet.</td></tr>'}</tbody></table></div>${more}` +
    `<h2>账目快照 Latest snapshot of the books</h2>${snapshot}`;
  return (
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><title>资金公告公示 Fund transparency · ${e(view.name)}</title>` +
    `<style>${STYLE}</style></head><body><main>${body}</main></body></html>`
  );
}
