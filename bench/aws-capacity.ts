/**
 * AWS's billing rule for writes, applied to the items a request wrote (pure: ./meter.ts reads the items
 * before and after each write and asks this file what AWS would charge). DynamoDB Local's own figure
 * undercounts: it reports 2 units for a transaction of 1, 3 or 8 items alike.
 *
 * - An item's size is the sum of its attribute names' and values' lengths (AWS "Item sizes and formats").
 * - A write costs one unit per started KB of the larger of the item before and after; inside a
 *   transaction two (prepare and commit).
 * - Every global secondary index whose keys the item carries is written too, once per started KB of the
 *   projected entry (table keys + index keys + projected attributes + 100 bytes): a new entry is one write,
 *   a removed one one write, a moved one (its keys changed) two, an entry whose projected attributes changed
 *   one, an untouched entry none. Index writes are not part of a transaction's two phases.
 * - A failed attempt is charged too: a single write whose condition fails costs its write, a cancelled
 *   transaction its prepare phase (one unit per started KB of each item it would have written).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

export interface IndexShape {
  name: string;
  partitionKey: string;
  sortKey: string;
  /** Non-key attributes the index copies; 'KEYS_ONLY' for none. */
  projects: readonly string[] | 'KEYS_ONLY';
}

export interface TableShape {
  partitionKey: string;
  sortKey: string;
  indexes: readonly IndexShape[];
}

const KB = 1024;
/** AWS adds this to every index entry's size. */
export const INDEX_ENTRY_OVERHEAD_BYTES = 100;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** A number's size: one byte per two significant digits, plus one (leading and trailing zeroes trimmed). */
export function numberSize(n: string): number {
  const digits = n
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** The size of one value, without its attribute name. */
export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  // List and Map: 3 bytes, plus each element and one byte per element (a map's element also has its name).
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + valueSize(v) + 1, 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, v]) => sum + utf8(name) + valueSize(v) + 1, 0);
  return 0;
}

/** An item's size: every attribute's name length plus its value's size. */
export function itemSize(item: Item | undefined, only?: (name: string) => boolean): number {
  let size = 0;
  for (const [name, value] of Object.entries(item ?? {})) if (!only || only(name)) size += utf8(name) + valueSize(value);
  return size;
}

/** Units for `bytes` at one unit per started KB; anything written costs at least one. */
export const unitsPerKb = (bytes: number) => Math.max(1, Math.ceil(bytes / KB));

/** Where a write's units land: the partition key value (table) or `<index>:<value>` (an index partition). */
export type UnitsByPartition = Record<string, number>;

export interface WriteCharge {
  tableUnits: number;
  indexUnits: number;
  byPartition: UnitsByPartition;
}

function add(into: UnitsByPartition, key: string, units: number): void {
  into[key] = (into[key] ?? 0) + units;
}

const stringOf = (value: AttributeValue | undefined) =>
  value?.S ?? value?.N ?? (value?.B ? Buffer.from(value.B).toString('hex') : undefined);

function indexEntrySize(item: Item, table: TableShape, index: IndexShape): number {
  const keyNames = new Set([table.partitionKey, table.sortKey, index.partitionKey, index.sortKey]);
  const projected = index.projects === 'KEYS_ONLY' ? new Set<string>() : new Set(index.projects);
  return itemSize(item, (name) => keyNames.has(name) || projected.has(name)) + INDEX_ENTRY_OVERHEAD_BYTES;
}

function sameValue(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The index writes one item's change causes, per index partition. */
export function indexWrites(before: Item | undefined, after: Item | undefined, table: TableShape): UnitsByPartition {
  const out: UnitsByPartition = {};
  for (const index of table.indexes) {
    const carries = (item: Item | undefined): item is Item => item?.[index.partitionKey] !== undefined && item[index.sortKey] !== undefined;
    const partition = (item: Item) => `${index.name}:${stringOf(item[index.partitionKey])}`;
    const had = carries(before);
    const has = carries(after);
    if (had && !has) add(out, partition(before), unitsPerKb(indexEntrySize(before, table, index)));
    else if (!had && has) add(out, partition(after), unitsPerKb(indexEntrySize(after, table, index)));
    else if (had && has) {
      const moved =
        !sameValue(before[index.partitionKey], after[index.partitionKey]) || !sameValue(before[index.sortKey], after[index.sortKey]);
      if (moved) {
        add(out, partition(before), unitsPerKb(indexEntrySize(before, table, index)));
        add(out, partition(after), unitsPerKb(indexEntrySize(after, table, index)));
      } else {
        const names = index.projects === 'KEYS_ONLY' ? [] : index.projects;
        if (names.some((name) => !sameValue(before[name], after[name])))
          add(out, partition(after), unitsPerKb(indexEntrySize(after, table, index)));
      }
    }
  }
  return out;
}

/**
 * What one item's write costs: `before` is the item as it was (undefined: it did not exist), `after` as
 * the write left it (undefined: deleted). `transactional` doubles the table part.
 */
export function writeCharge(before: Item | undefined, after: Item | undefined, table: TableShape, transactional: boolean): WriteCharge {
  const pk = stringOf((after ?? before)?.[table.partitionKey]) ?? '?';
  const tableUnits = unitsPerKb(Math.max(itemSize(before), itemSize(after))) * (transactional ? 2 : 1);
  const byPartition: UnitsByPartition = { [pk]: tableUnits };
  let indexUnits = 0;
  for (const [key, units] of Object.entries(indexWrites(before, after, table))) {
    add(byPartition, key, units);
    indexUnits += units;
  }
  return { tableUnits, indexUnits, byPartition };
}

/**
 * A failed attempt: a single write whose condition did not hold (one write of the item as it is), or a
 * cancelled transaction's prepare phase (one write per item it would have written, no index writes).
 * `item` is what the request named (the stored item, or the new one when there was none).
 */
export function failedWriteCharge(item: Item | undefined, table: TableShape): WriteCharge {
  const pk = stringOf(item?.[table.partitionKey]) ?? '?';
  const tableUnits = unitsPerKb(itemSize(item));
  return { tableUnits, indexUnits: 0, byPartition: { [pk]: tableUnits } };
}

/** A transactional read (a ConditionCheck): two units per started 4 KB. */
export const conditionCheckReadUnits = (item: Item | undefined) => 2 * Math.max(1, Math.ceil(itemSize(item) / (4 * KB)));

/**
 * A partition key's shape for a report: literal upper-case segments stay, values become `…`
 * (`LEDGER#3f2c…` → `LEDGER#…`, `gsi4:OUTBOX#3` → `gsi4:OUTBOX#…`).
 */
export function partitionShape(key: string): string {
  const index = /^(gsi\d+):/.exec(key)?.[1];
  const segments = (index ? key.slice(index.length + 1) : key).split('#');
  const shaped = segments.map((segment) => (/^[A-Z][A-Z_~]*$/.test(segment) ? segment : '…')).join('#');
  return index ? `${index}:${shaped}` : shaped;
}
