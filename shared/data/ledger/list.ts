import { queryShardedPage, type Page } from '../platform/query.ts';
import { type LedgerEntry, ledgerPartitions } from './items.ts';
import { storedFields } from '../platform/fields.ts';

const entryFields = storedFields<LedgerEntry>();

function toEntry(item: Record<string, unknown>): LedgerEntry {
  return entryFields(item, ['entryId', 'at', 'countyCode', 'kind', 'amount', 'ref', 'actor', 'balance'], { ref: {} });
}

/**
 * A page of a fund's ledger, oldest first, optionally for one county and a time range [from, to): the fund's
 * shards (one county's: its shard) and the partition of entries stored before them, merged by sort key
 * (`<at>#<countyCode>#<seq>`), so the order is the one a single partition gave.
 */
export async function listLedger(
  fundId: string,
  filter: { countyCode?: string; from?: string; to?: string; limit: number; cursor?: string },
): Promise<Page<LedgerEntry>> {
  // Sort keys start with the entry's ISO time: a time range is a key range. `sk <= :to` ends before `to`: every
  // key at `to` is `<to>#…`, which sorts after `<to>`.
  const sortRange = {
    ...(filter.from ? { from: isoOf(filter.from) } : {}),
    ...(filter.to ? { to: isoOf(filter.to) } : {}),
  };
  const page = await queryShardedPage({
    partitions: ledgerPartitions(fundId, filter.countyCode),
    sortRange,
    ...(filter.countyCode ? { filter: 'countyCode = :county', values: { ':county': filter.countyCode } } : { values: {} }),
    limit: filter.limit,
    cursor: filter.cursor,
    unshardedBefore: true,
    scope: `ledger|${fundId}|${filter.countyCode ?? ''}|${filter.from ?? ''}|${filter.to ?? ''}`,
  });
  return { items: page.items.map(toEntry), nextCursor: page.nextCursor };
}

const isoOf = (time: string) => new Date(time).toISOString();
