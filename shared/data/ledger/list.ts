import { queryPage, type Page } from '../platform/query.ts';
import { type LedgerEntry, ledgerPartition } from './items.ts';
import { storedFields } from '../platform/fields.ts';

const entryFields = storedFields<LedgerEntry>();

function toEntry(item: Record<string, unknown>): LedgerEntry {
  return entryFields(item, ['entryId', 'at', 'countyCode', 'kind', 'amount', 'ref', 'actor', 'balance'], { ref: {} });
}

/** A page of a fund's ledger, oldest first, optionally for one county and a time range [from, to). */
export async function listLedger(
  fundId: string,
  filter: { countyCode?: string; from?: string; to?: string; limit: number; cursor?: string },
): Promise<Page<LedgerEntry>> {
  const values: Record<string, unknown> = { ':pk': ledgerPartition(fundId) };
  let keyCondition = 'pk = :pk';
  // Sort keys start with the entry's ISO time: a time range is a key range.
  if (filter.from && filter.to) {
    keyCondition += ' AND sk BETWEEN :from AND :to';
    Object.assign(values, { ':from': isoOf(filter.from), ':to': isoOf(filter.to) });
  } else if (filter.from) {
    keyCondition += ' AND sk >= :from';
    values[':from'] = isoOf(filter.from);
  } else if (filter.to) {
    keyCondition += ' AND sk < :to';
    values[':to'] = isoOf(filter.to);
  }
  if (filter.countyCode) values[':county'] = filter.countyCode;
  const page = await queryPage({
    keyCondition,
    values,
    ...(filter.countyCode ? { filter: 'countyCode = :county' } : {}),
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `ledger|${fundId}|${filter.countyCode ?? ''}|${filter.from ?? ''}|${filter.to ?? ''}`,
  });
  // `BETWEEN :from AND :to` ends before `to`: every key at `to` is `<to>#…`, which sorts after `<to>`.
  return { items: page.items.map(toEntry), nextCursor: page.nextCursor };
}

const isoOf = (time: string) => new Date(time).toISOString();
