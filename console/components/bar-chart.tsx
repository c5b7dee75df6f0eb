/**
 * Grouped bars drawn as SVG (no chart library: a few rectangles, no inline styles for the CSP), with
 * the same figures as a table behind a toggle. The chart itself is one labelled image for screen
 * readers; the table is what they read.
 */
import { useEffect, useId } from 'preact/hooks';
import { DataTable, TableToggle } from './data-table.tsx';

export interface BarSeries {
  label: string;
  values: number[];
}

export interface BarChartProps {
  /** Names the chart and its table, and the performance mark when it is drawn. */
  name: string;
  caption: string;
  categories: string[];
  series: BarSeries[];
  format: (value: number) => string;
}

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { top: 10, right: 10, bottom: 28, left: 10 };

export function BarChart({ name, caption, categories, series, format }: BarChartProps) {
  const id = useId();
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const band = plotWidth / Math.max(1, categories.length);
  const barWidth = Math.max(2, (band * 0.8) / Math.max(1, series.length));

  useEffect(() => {
    // Read by the browser test: time from navigation to the chart on screen.
    if (performance.getEntriesByName(`chart:${name}`).length === 0) performance.mark(`chart:${name}`);
  }, [name]);

  return (
    <figure class="chart" data-chart={name}>
      <figcaption id={`${id}-caption`}>{caption}</figcaption>
      <ul class="legend" aria-hidden="true">
        {series.map((s, i) => (
          <li key={s.label}>
            <svg width="12" height="12" class={`series-${i}`}>
              <rect width="12" height="12" />
            </svg>{' '}
            {s.label}
          </li>
        ))}
      </ul>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-caption`} class="bars">
        {categories.map((category, c) => (
          <g key={category}>
            {series.map((s, i) => {
              const value = s.values[c] ?? 0;
              const h = (value / max) * plotHeight;
              return (
                <rect
                  key={s.label}
                  class={`series-${i}`}
                  x={PAD.left + c * band + band * 0.1 + i * barWidth}
                  y={PAD.top + plotHeight - h}
                  width={barWidth - 1}
                  height={h}
                >
                  <title>{`${category} · ${s.label}: ${format(value)}`}</title>
                </rect>
              );
            })}
            <text x={PAD.left + c * band + band / 2} y={HEIGHT - 8} text-anchor="middle" class="axis">
              {category}
            </text>
          </g>
        ))}
      </svg>
      <TableToggle id={`${id}-table`}>
        <DataTable
          name={name}
          caption={caption}
          columns={['', ...series.map((s) => s.label)]}
          items={categories}
          row={(category, c) => (
            <tr key={category}>
              <th scope="row">{category}</th>
              {series.map((s) => (
                <td key={s.label} class="num">
                  {format(s.values[c] ?? 0)}
                </td>
              ))}
            </tr>
          )}
        />
      </TableToggle>
    </figure>
  );
}
