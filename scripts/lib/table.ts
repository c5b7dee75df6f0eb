/**
 * Plain-text tables for terminals, for the scripts and the bench: columns two spaces apart, padded by
 * display width (CJK characters take two cells).
 */

const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u;

export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += WIDE.test(ch) ? 2 : 1;
  return width;
}

function truncate(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  let out = '';
  for (const ch of text) {
    if (displayWidth(out + ch) > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Longer cells are cut with an ellipsis. */
  max?: number;
}

/** A header, a rule under it, then the rows; cells cut to each column's `max` (80 by default). */
export function formatTable(columns: Column[], rows: string[][]): string {
  const cells = rows.map((r) => columns.map((col, i) => truncate((r[i] ?? '').replace(/\s+/g, ' '), col.max ?? 80)));
  const widths = columns.map((col, i) => Math.max(displayWidth(col.header), ...cells.map((r) => displayWidth(r[i]!))));
  const rule = widths.map((w) => '-'.repeat(w));
  return alignColumns(
    [columns.map((c) => c.header), rule, ...cells],
    columns.map((c) => c.align),
  );
}

/** Rows as they are (the first is not special), each column as wide as its widest cell. */
export function alignColumns(rows: readonly (readonly string[])[], align: readonly (Column['align'] | undefined)[] = []): string {
  const count = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: count }, (_, i) => Math.max(0, ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const pad = (text: string, i: number) => {
    const space = ' '.repeat(widths[i]! - displayWidth(text));
    return align[i] === 'right' ? space + text : text + space;
  };
  return rows
    .map((r) =>
      widths
        .map((_, i) => pad(r[i] ?? '', i))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Fen as yuan with two decimals and thousands separators, by integer arithmetic only. */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const whole = Math.trunc(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${whole}.${String(abs % 100).padStart(2, '0')}`;
}
