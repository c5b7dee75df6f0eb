/**
 * The console's tables: one header row of column names (`<th scope="col">`, so a screen reader names every cell),
 * a row per record, an optional caption and footer. With `empty`, no records show that line instead of a bare table.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { useI18n } from '../i18n/index.ts';

/** A column's name; `hidden` keeps its place in the header but hides it (as its cells are hidden). */
export type Column = string | { label: string; hidden: boolean };

export function DataTable<T>({
  name,
  caption,
  columns,
  items,
  row,
  foot,
  empty,
}: {
  /** `data-table`, by which tests and styles find the table. */
  name: string;
  caption?: string;
  columns: Column[];
  items: readonly T[];
  /** One `<tr>` per record. */
  row: (item: T, index: number) => ComponentChildren;
  /** The `<tfoot>` rows, e.g. totals. */
  foot?: ComponentChildren;
  /** Shown in a paragraph instead of the table when there are no records. */
  empty?: string;
}) {
  if (empty !== undefined && items.length === 0) return <p>{empty}</p>;
  return (
    <table data-table={name}>
      {caption !== undefined && <caption>{caption}</caption>}
      <thead>
        <tr>
          {columns.map((column, i) =>
            typeof column === 'string' ? (
              <th key={i} scope="col">
                {column}
              </th>
            ) : (
              <th key={i} scope="col" hidden={column.hidden}>
                {column.label}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{items.map(row)}</tbody>
      {foot !== undefined && <tfoot>{foot}</tfoot>}
    </table>
  );
}

/**
 * A chart's table (its same figures) behind a "show table" button, shown from the start when `open`; `id` names the
 * region the button controls.
 */
export function TableToggle({ id, open = false, children }: { id: string; open?: boolean; children: ComponentChildren }) {
  const { t } = useI18n();
  const [shown, setShown] = useState(open);
  return (
    <>
      <button type="button" class="link" aria-expanded={shown} aria-controls={id} onClick={() => setShown(!shown)}>
        {shown ? t('common.hideTable') : t('common.showTable')}
      </button>
      <div id={id} hidden={!shown}>
        {children}
      </div>
    </>
  );
}
