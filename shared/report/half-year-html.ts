/**
 * The half-year report as a printable page: the template's document drawn as HTML, Chinese and English side by side,
 * charts as inline SVG (presentation attributes only) each followed by its data table. No script and one inline style
 * allowed by its hash, as on the notice page.
 */
import { pagePolicy } from '../http/page-policy.ts';
import { escapeHtml } from '../http/notice-page.ts';
import type { Bilingual, ReportChart, ReportDocument, ReportTable } from './half-year-document.ts';

const STYLE =
  'body{font:14px/1.45 "Noto Sans SC","Noto Sans CJK SC","WenQuanYi Micro Hei",system-ui,sans-serif;margin:0 auto;max-width:56rem;padding:1rem;color:#111;background:#fff}' +
  'h1{font-size:1.4rem;margin:0.4rem 0}h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:2px solid #333}' +
  'table{border-collapse:collapse;width:100%;margin:0.5rem 0 1rem}caption{text-align:left;font-weight:600;padding:0.3rem 0}' +
  'th,td{border-bottom:1px solid #bbb;padding:0.25rem 0.4rem;text-align:left;vertical-align:top}td.n,th.n{text-align:right;white-space:nowrap}' +
  'td.h{font-family:monospace;word-break:break-all}dl{display:grid;grid-template-columns:max-content 1fr;gap:0.2rem 1rem}dt{font-weight:600}dd{margin:0}' +
  'figure{margin:0.5rem 0}figcaption{font-weight:600}svg{width:100%;height:auto}.muted{color:#444}' +
  '@media print{body{max-width:none;padding:0}h2{break-after:avoid}figure,tr{break-inside:avoid}}';

const POLICY = pagePolicy(STYLE, { form: false, cacheControl: 'no-store' });
export const REPORT_PAGE_CSP = POLICY.csp;
export const reportPageHeaders = POLICY.headers;

const both = (text: Bilingual) => `${escapeHtml(text.zh)} ${escapeHtml(text.en)}`;

function table(t: ReportTable): string {
  const head = t.columns.map((c) => `<th scope="col"${c.numeric ? ' class="n"' : ''}>${both(c.label)}</th>`).join('');
  const rows = t.rows
    .map(
      (row) =>
        `<tr>${row
          .map((cell, i) => {
            const numeric = t.columns[i]?.numeric;
            const hash = /^[0-9a-f]{64}$/.test(cell);
            return i === 0 && !numeric
              ? `<th scope="row">${escapeHtml(cell)}</th>`
              : `<td${numeric ? ' class="n"' : hash ? ' class="h"' : ''}>${escapeHtml(cell)}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  const empty = t.rows.length ? '' : `<tr><td colspan="${t.columns.length}" class="muted">无 None</td></tr>`;
  return `<table><caption>${both(t.caption)}</caption><thead><tr>${head}</tr></thead><tbody>${rows}${empty}</tbody></table>`;
}

const LABEL_W = 230;
const BAR_W = 360;
const VALUE_W = 130;
const ROW_H = 18;

/** Horizontal bars with their axis values; the figures are drawn from the same rows as the table below. */
function chart(c: ReportChart, id: string): string {
  const width = LABEL_W + BAR_W + VALUE_W;
  const top = c.marker ? 18 : 4;
  const height = top + c.bars.length * ROW_H + 26;
  const x = (value: number) => LABEL_W + (c.max > 0 ? (Math.min(value, c.max) / c.max) * BAR_W : 0);
  const bars = c.bars
    .map((bar, i) => {
      const y = top + i * ROW_H;
      return (
        `<text x="${LABEL_W - 6}" y="${y + 13}" text-anchor="end" font-size="12">${escapeHtml(bar.label)}</text>` +
        `<rect x="${LABEL_W}" y="${y + 3}" width="${(x(bar.value) - LABEL_W).toFixed(1)}" height="${ROW_H - 6}" fill="#2a6fdb"/>` +
        `<text x="${LABEL_W + BAR_W + 6}" y="${y + 13}" font-size="12">${escapeHtml(bar.display)}</text>`
      );
    })
    .join('');
  const axisY = top + c.bars.length * ROW_H;
  const axis =
    `<line x1="${LABEL_W}" y1="${axisY}" x2="${LABEL_W + BAR_W}" y2="${axisY}" stroke="#333"/>` +
    c.axis
      .map(
        (tick) =>
          `<text x="${x(tick.value).toFixed(1)}" y="${axisY + 16}" text-anchor="middle" font-size="11">${escapeHtml(tick.display)}</text>`,
      )
      .join('');
  const marker = c.marker
    ? `<line x1="${x(c.marker.value).toFixed(1)}" y1="14" x2="${x(c.marker.value).toFixed(1)}" y2="${axisY}" stroke="#c00" stroke-dasharray="4 3"/>` +
      `<text x="${x(c.marker.value).toFixed(1)}" y="11" text-anchor="middle" font-size="11" fill="#a00">${both(c.marker.label)}</text>`
    : '';
  return (
    `<figure><figcaption id="${id}">${both(c.title)}</figcaption>` +
    `<svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}">${bars}${axis}${marker}</svg></figure>` +
    table(c.table)
  );
}

export function renderReportPage(doc: ReportDocument): string {
  let charts = 0;
  const sections = doc.sections
    .map(
      (section) =>
        `<section><h2>${both(section.heading)}</h2>` +
        section.blocks
          .map((block) => {
            if (block.kind === 'facts')
              return `<dl>${block.rows.map((r) => `<dt>${both(r.label)}</dt><dd>${escapeHtml(r.value)}</dd>`).join('')}</dl>`;
            if (block.kind === 'table') return table(block.table);
            return chart(block.chart, `chart-${++charts}`);
          })
          .join('') +
        `</section>`,
    )
    .join('');
  return (
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(doc.title.zh)} ${escapeHtml(doc.title.en)}</title>` +
    `<style>${STYLE}</style></head><body><main><h1>${escapeHtml(doc.title.zh)}<br>${escapeHtml(doc.title.en)}</h1>` +
    `<p class="muted">${escapeHtml(doc.subtitle)}</p>${sections}</main></body></html>`
  );
}
