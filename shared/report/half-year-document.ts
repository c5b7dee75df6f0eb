/**
 * The one template of the half-year report: the report's JSON laid out as sections of facts, charts and tables, every
 * label in Chinese and English, every figure already formatted. The HTML page and the PDF only draw this document, so
 * they cannot show a figure the JSON does not hold, nor format one differently. Every chart carries the table of its
 * own figures.
 */
import type { HalfYearReport } from '../domain/half-year-report.ts';

export interface Bilingual {
  zh: string;
  en: string;
}

export interface ReportTable {
  caption: Bilingual;
  columns: { label: Bilingual; numeric: boolean }[];
  rows: string[][];
}

export interface ReportChart {
  title: Bilingual;
  /** One bar per row of `table`, in the same order; `value` is the bar's length on a 0..`max` axis. */
  bars: { label: string; value: number; display: string }[];
  max: number;
  /** Axis values, as shown under the bars. */
  axis: { value: number; display: string }[];
  /** A reference line across the bars (time elapsed, on the progress chart). */
  marker: { value: number; label: Bilingual } | null;
  table: ReportTable;
}

export type ReportBlock =
  | { kind: 'facts'; rows: { label: Bilingual; value: string }[] }
  | { kind: 'chart'; chart: ReportChart }
  | { kind: 'table'; table: ReportTable };

export interface ReportSection {
  heading: Bilingual;
  blocks: ReportBlock[];
}

export interface ReportDocument {
  title: Bilingual;
  subtitle: string;
  sections: ReportSection[];
}

/** Fen as yuan with two decimals and thousands separators, from integers only. */
export function formatYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const whole = Math.trunc(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${whole}.${String(abs % 100).padStart(2, '0')}`;
}

/** A share (0..1) as a percentage with two decimals. */
export const formatShare = (share: number): string => `${(share * 100).toFixed(2)}%`;
export const formatPoints = (points: number): string => points.toFixed(2);
export const formatCount = (n: number): string => n.toLocaleString('en-US');

const t = (zh: string, en: string): Bilingual => ({ zh, en });
const KIND = { monthly: t('月度', 'monthly'), on_demand: t('即时', 'on demand') } as const;

/** Which balances the report shows (`figuresFrom`), in both languages: a fact's value is one string. */
function figuresFromText(from: HalfYearReport['figuresFrom']): string {
  if (from.snapshot) return `半年末快照 half-end snapshot ${from.snapshot.snapshotId} (${from.snapshot.takenAt})`;
  return from.source === 'live_no_snapshot'
    ? "当前余额（半年末无快照） today's balances (no snapshot at the half's end)"
    : "当前余额 today's balances";
}

function amountAxis(max: number): ReportChart['axis'] {
  return [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const value = Math.round(max * f);
    return { value, display: formatYuan(value) };
  });
}

/** The report laid out; counties on the progress chart most lagging first. */
export function halfYearDocument(report: HalfYearReport): ReportDocument {
  const b = report.budget;
  const budgetRows: [Bilingual, number][] = [
    [t('总预算', 'Total budget'), b.totalBudget],
    [t('已分配', 'Allocated'), b.allocated],
    [t('已支付', 'Paid'), b.paid],
    [t('本半年支付', 'Paid this half-year'), b.paidInHalf],
    [t('已预留', 'Reserved'), b.reserved],
    [t('可用', 'Available'), b.available],
    [t('未分配', 'Unallocated'), b.unallocated],
  ];
  const budgetMax = Math.max(1, ...budgetRows.map(([, v]) => v));
  const budgetChart: ReportChart = {
    title: t('预算与支出', 'Budget and spending'),
    bars: budgetRows.map(([label, value]) => ({ label: `${label.zh} ${label.en}`, value, display: formatYuan(value) })),
    max: budgetMax,
    axis: amountAxis(budgetMax),
    marker: null,
    table: {
      caption: t('预算与支出（元）', 'Budget and spending (yuan)'),
      columns: [
        { label: t('项目', 'Item'), numeric: false },
        { label: t('金额', 'Amount'), numeric: true },
      ],
      rows: budgetRows.map(([label, value]) => [`${label.zh} ${label.en}`, formatYuan(value)]),
    },
  };

  const byLag = [...report.counties].sort((x, y) => y.lagPoints - x.lagPoints || (x.countyCode < y.countyCode ? -1 : 1));
  const countyLabel = (c: HalfYearReport['counties'][number]) => `${c.name} ${c.countyCode}`;
  const progressChart: ReportChart = {
    title: t('各县支出进度（落后最多者在前）', 'Spending progress per county (most lagging first)'),
    bars: byLag.map((c) => ({ label: countyLabel(c), value: c.progress, display: formatShare(c.progress) })),
    max: 1,
    axis: [0, 0.25, 0.5, 0.75, 1].map((value) => ({ value, display: formatShare(value) })),
    marker: {
      value: report.timeElapsed,
      label: t(`时间进度 ${formatShare(report.timeElapsed)}`, `time elapsed ${formatShare(report.timeElapsed)}`),
    },
    table: {
      caption: t('各县分配、支付与进度', 'Allocation, payments and progress per county'),
      columns: [
        { label: t('县', 'County'), numeric: false },
        { label: t('省', 'Province'), numeric: false },
        { label: t('已分配', 'Allocated'), numeric: true },
        { label: t('已支付', 'Paid'), numeric: true },
        { label: t('本半年支付', 'Paid this half'), numeric: true },
        { label: t('进度', 'Progress'), numeric: true },
        { label: t('落后（点）', 'Lag (points)'), numeric: true },
      ],
      rows: byLag.map((c) => [
        countyLabel(c),
        c.province,
        formatYuan(c.allocated),
        formatYuan(c.paid),
        formatYuan(c.paidInHalf),
        formatShare(c.progress),
        formatPoints(c.lagPoints),
      ]),
    },
  };

  const failureMax = Math.max(1, ...report.failures.map((f) => f.count));
  const failureChart: ReportChart = {
    title: t('支付失败（按原因）', 'Failed payouts by code'),
    bars: report.failures.map((f) => ({ label: f.code, value: f.count, display: formatCount(f.count) })),
    max: failureMax,
    axis: [0, 0.5, 1].map((f) => ({ value: Math.round(failureMax * f), display: formatCount(Math.round(failureMax * f)) })),
    marker: null,
    table: {
      caption: t('支付失败（按原因）', 'Failed payouts by code'),
      columns: [
        { label: t('原因', 'Code'), numeric: false },
        { label: t('笔数', 'Count'), numeric: true },
        { label: t('金额', 'Amount'), numeric: true },
      ],
      rows: report.failures.map((f) => [f.code, formatCount(f.count), formatYuan(f.amount)]),
    },
  };

  return {
    title: t(`${report.fundName} ${report.half} 半年工作报告`, `${report.fundName}: half-year report ${report.half}`),
    subtitle: `${report.from} – ${report.to} · ${report.fundId}`,
    sections: [
      {
        heading: t('概况', 'Summary'),
        blocks: [
          {
            kind: 'facts',
            rows: [
              { label: t('报告期', 'Reporting period'), value: `${report.from} – ${report.to}` },
              { label: t('资金期限', 'Fund period'), value: `${report.period.startsOn} – ${report.period.endsOn}` },
              { label: t('统计日', 'As of'), value: report.asOf },
              { label: t('余额来源', 'Balances from'), value: figuresFromText(report.figuresFrom) },
              { label: t('时间进度', 'Time elapsed'), value: formatShare(report.timeElapsed) },
              { label: t('生成时间', 'Generated at'), value: report.generatedAt },
            ],
          },
          { kind: 'chart', chart: budgetChart },
        ],
      },
      { heading: t('支出进度', 'Spending progress'), blocks: [{ kind: 'chart', chart: progressChart }] },
      { heading: t('支付失败', 'Failures'), blocks: [{ kind: 'chart', chart: failureChart }] },
      {
        heading: t('预警、异议与公示', 'Flags, objections and notices'),
        blocks: [
          {
            kind: 'table',
            table: {
              caption: t('预警（按规则）', 'Flags by rule'),
              columns: [
                { label: t('规则', 'Rule'), numeric: false },
                { label: t('触发', 'Raised'), numeric: true },
                { label: t('已解除', 'Cleared'), numeric: true },
              ],
              rows: report.flags.map((f) => [f.code, formatCount(f.raised), formatCount(f.cleared)]),
            },
          },
          {
            kind: 'facts',
            rows: [
              { label: t('异议成立', 'Objections upheld'), value: formatCount(report.objections.upheld) },
              { label: t('异议驳回', 'Objections dismissed'), value: formatCount(report.objections.dismissed) },
              { label: t('发布公示', 'Notices published'), value: formatCount(report.notices.published) },
            ],
          },
        ],
      },
      {
        heading: t('账目快照', 'Snapshots of the books'),
        blocks: [
          {
            kind: 'table',
            table: {
              caption: t('快照及其哈希（SHA-256）', 'Snapshots and their hashes (SHA-256)'),
              columns: [
                { label: t('快照', 'Snapshot'), numeric: false },
                { label: t('类型', 'Kind'), numeric: false },
                { label: t('月份', 'Month'), numeric: false },
                { label: t('时间', 'Taken at'), numeric: false },
                { label: t('哈希', 'Hash'), numeric: false },
              ],
              rows: report.snapshots.map((s) => [s.snapshotId, `${KIND[s.kind].zh} ${KIND[s.kind].en}`, s.month ?? '—', s.takenAt, s.hash]),
            },
          },
        ],
      },
    ],
  };
}
