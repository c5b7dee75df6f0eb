/**
 * Counties as sorted horizontal bars, readable with hundreds of them: one row per county (its name beside its
 * bar, the figure at the bar's end), value axes above and below, a page of 50 at a time with "show all", and
 * the same rows as a table of the same figures (give it a new `key` when its rows change, to start at page one). Flagged rows say so in words (and with a mark on the bar), not
 * by colour alone. The chart is one labelled image for screen readers; the table is what they read.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { useI18n } from '../i18n/index.ts';
import { axisTicks, PAGE_ROWS, pageOf } from '../standing.ts';
import { DataTable, TableToggle } from './data-table.tsx';

export interface CountyRow {
  countyCode: string;
  label: string;
  /** One value per bar segment (stacked left to right). */
  segments: number[];
  /** Written at the end of the bar. */
  barText: string;
  /** Words for what is wrong with this county (lagging, idle), shown beside its name and in the table. */
  flags: string[];
  /** The table's cells after the county, one per column. */
  cells: string[];
}

export interface CountyBarsProps {
  name: string;
  caption: string;
  segments: string[];
  columns: string[];
  rows: CountyRow[];
  /** The axis runs from 0 to at least this. */
  max: number;
  formatAxis: (value: number) => string;
  /** A vertical line across every bar (e.g. the time elapsed). */
  marker?: { value: number; label: string };
  /** Show the table without pressing the toggle. */
  tableOpen?: boolean;
  /** Text of the flags column header; without it, no flags column. */
  flagsColumn?: string;
}

const WIDTH = 760;
const LABEL = 230;
const RIGHT = 110;
const ROW = 22;
const AXIS = 22;

export function CountyBars({
  name,
  caption,
  segments,
  columns,
  rows,
  max,
  formatAxis,
  marker,
  tableOpen = false,
  flagsColumn,
}: CountyBarsProps) {
  const { t } = useI18n();
  const id = useId();
  const [start, setStart] = useState(0);
  const [all, setAll] = useState(false);
  useEffect(() => {
    // Read by the browser test: time from navigation to the chart on screen.
    if (performance.getEntriesByName(`chart:${name}`).length === 0) performance.mark(`chart:${name}`);
  }, [name]);

  const page = pageOf(rows, start, all ? null : PAGE_ROWS);
  const ticks = axisTicks(Math.max(max, marker?.value ?? 0));
  const top = ticks[ticks.length - 1]!;
  const plot = WIDTH - LABEL - RIGHT;
  const x = (v: number) => LABEL + (Math.max(0, v) / top) * plot;
  const height = AXIS * 2 + page.rows.length * ROW;

  const axis = (y: number, baseline: 'auto' | 'hanging') =>
    ticks.map((tick) => (
      <text key={`${y}-${tick}`} x={x(tick)} y={y} text-anchor="middle" dominant-baseline={baseline} class="axis">
        {formatAxis(tick)}
      </text>
    ));

  return (
    <figure class="chart county-bars" data-chart={name}>
      <figcaption id={`${id}-caption`}>{caption}</figcaption>
      {segments.length > 1 && (
        <ul class="legend" aria-hidden="true">
          {segments.map((s, i) => (
            <li key={s}>
              <svg width="12" height="12" class={`series-${i}`}>
                <rect width="12" height="12" />
              </svg>{' '}
              {s}
            </li>
          ))}
        </ul>
      )}
      <p class="pager-status" role="status" data-pager={name}>
        {t('bars.showing', { first: page.first, last: page.last, total: page.total })}
      </p>
      {page.rows.length > 0 && (
        <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby={`${id}-caption`} class="hbars">
          {ticks.map((tick) => (
            <line key={tick} x1={x(tick)} x2={x(tick)} y1={AXIS - 4} y2={height - AXIS + 4} class="grid" />
          ))}
          {axis(AXIS - 8, 'auto')}
          {page.rows.map((row, r) => {
            const y = AXIS + r * ROW;
            let left = 0;
            const flagged = row.flags.length > 0;
            return (
              <g key={row.countyCode} data-county={row.countyCode} class={flagged ? 'flagged' : undefined}>
                <text x={LABEL - 6} y={y + ROW / 2} text-anchor="end" dominant-baseline="middle" class="label">
                  {flagged ? `▲ ${row.label}` : row.label}
                </text>
                {row.segments.map((value, i) => {
                  const from = x(left);
                  left += value;
                  return (
                    <rect
                      key={i}
                      class={`series-${i}${flagged ? ' hatched' : ''}`}
                      x={from}
                      y={y + 4}
                      width={Math.max(0, x(left) - from)}
                      height={ROW - 8}
                    >
                      <title>{`${row.label} · ${segments[i]}`}</title>
                    </rect>
                  );
                })}
                <text x={x(left) + 4} y={y + ROW / 2} dominant-baseline="middle" class="value">
                  {flagged ? `${row.barText} · ${row.flags.join(' · ')}` : row.barText}
                </text>
              </g>
            );
          })}
          {marker && (
            <g class="marker">
              <line x1={x(marker.value)} x2={x(marker.value)} y1={AXIS - 2} y2={height - AXIS + 2} />
            </g>
          )}
          {axis(height - AXIS + 8, 'hanging')}
        </svg>
      )}
      {marker && <p class="marker-note">{marker.label}</p>}
      <div class="pager">
        <button
          type="button"
          class="secondary"
          disabled={all || !page.hasPrevious}
          onClick={() => setStart(Math.max(0, start - PAGE_ROWS))}
        >
          {t('bars.previous', { n: PAGE_ROWS })}
        </button>
        <button type="button" class="secondary" disabled={all || !page.hasNext} onClick={() => setStart(start + PAGE_ROWS)}>
          {t('bars.next', { n: PAGE_ROWS })}
        </button>
        {rows.length > PAGE_ROWS && (
          <button type="button" class="secondary" onClick={() => setAll(!all)}>
            {all ? t('bars.showPages', { n: PAGE_ROWS }) : t('bars.showAll', { total: rows.length })}
          </button>
        )}
      </div>
      <TableToggle id={`${id}-table`} open={tableOpen}>
        <DataTable
          name={name}
          caption={caption}
          columns={[t('common.county'), ...columns, ...(flagsColumn ? [flagsColumn] : [])]}
          items={page.rows}
          row={(row) => (
            <tr key={row.countyCode} data-county={row.countyCode} class={row.flags.length > 0 ? 'attention' : undefined}>
              <th scope="row">{row.label}</th>
              {row.cells.map((cell, i) => (
                <td key={i} class="num">
                  {cell}
                </td>
              ))}
              {flagsColumn && <td>{row.flags.join(' · ')}</td>}
            </tr>
          )}
        />
      </TableToggle>
    </figure>
  );
}
