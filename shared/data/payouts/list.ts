import { type Payout, type PayoutStatus } from '../../domain/payouts.ts';
import { queryShardedPage, type Page } from '../platform/query.ts';
import { SHARDS, allPayouts, byStatus, ofBatch, settledList, toPayout, publicPayout } from './items.ts';
import { type MoneyReader } from '../../domain/roles.ts';
import { readBatchFor } from '../batches/items.ts';

/** An RFC 3339 filter bound as stored timestamps are written (`toISOString`), so strings compare as times. */
const asStored = (t: string) => new Date(t).toISOString();

/**
 * A time range on a `<time>#<payoutId>` sort key, both ends inclusive: `~` sorts after every payout id,
 * so the whole last instant is in.
 */
function timeRange(from: string | undefined, to: string | undefined): { from?: string; to?: string } {
  return { ...(from !== undefined ? { from: asStored(from) } : {}), ...(to !== undefined ? { to: `${asStored(to)}#~` } : {}) };
}

export interface PayoutFilter {
  status?: PayoutStatus;
  batchId?: string;
  fundId?: string;
  /** Created in [createdFrom, createdTo], both inclusive: the listing's own sort key. */
  createdFrom?: string;
  createdTo?: string;
  /** Settled (or failed) in [settledFrom, settledTo], both inclusive: read by the settlement-time index. */
  settledFrom?: string;
  settledTo?: string;
  /** Only the payouts of the funds this finance system pays. */
  payer?: string;
}

/** A filter expression over the attributes a payout listing's index carries. */
class ListFilter {
  readonly parts: string[] = [];
  readonly values: Record<string, unknown> = {};
  readonly names: Record<string, string> = {};

  equals(attribute: string, value: string | undefined): this {
    if (value === undefined) return this;
    this.parts.push(`#${attribute} = :${attribute}`);
    this.names[`#${attribute}`] = attribute;
    this.values[`:${attribute}`] = value;
    return this;
  }

  /** createdAt within the range (gsi5 carries it; the created listings take the range as their key condition). */
  created(from: string | undefined, to: string | undefined): this {
    if (from === undefined && to === undefined) return this;
    this.names['#createdAt'] = 'createdAt';
    if (from !== undefined) {
      this.parts.push('#createdAt >= :createdFrom');
      this.values[':createdFrom'] = asStored(from);
    }
    if (to !== undefined) {
      this.parts.push('#createdAt <= :createdTo');
      this.values[':createdTo'] = asStored(to);
    }
    return this;
  }

  query(): { values: Record<string, unknown>; filter?: string; names?: Record<string, string> } {
    return this.parts.length ? { values: this.values, filter: this.parts.join(' AND '), names: this.names } : { values: this.values };
  }
}

/**
 * Newest first. The index follows the filters: a settled range → the settlement-time index (gsi5), everything
 * else a filter on it; else a batch → its listing (gsi3), a status → by status (gsi2), else all (gsi1), with a
 * created range as the key condition on the creation-time sort key.
 */
export async function listPayouts(filter: PayoutFilter & { limit: number; cursor?: string }): Promise<Page<Payout>> {
  const { batchId, status, payer, fundId } = filter;
  // `v2`: a cursor from the payout-id sort keys is refused rather than read against the new ones.
  const scope = ['payouts-v2', status, batchId, payer, fundId, filter.createdFrom, filter.createdTo, filter.settledFrom, filter.settledTo]
    .map((v) => v ?? '')
    .join('|');
  const page = { newestFirst: true, limit: filter.limit, cursor: filter.cursor, scope };
  const bySettlement = filter.settledFrom !== undefined || filter.settledTo !== undefined;
  const found = bySettlement
    ? await queryShardedPage({
        index: 'gsi5',
        partitions: SHARDS.map(settledList),
        sortRange: timeRange(filter.settledFrom, filter.settledTo),
        ...new ListFilter()
          .equals('status', status)
          .equals('batchId', batchId)
          .equals('payer', payer)
          .equals('fundId', fundId)
          .created(filter.createdFrom, filter.createdTo)
          .query(),
        ...page,
      })
    : await queryShardedPage({
        index: batchId ? 'gsi3' : status ? 'gsi2' : 'gsi1',
        partitions: SHARDS.map((n) => (batchId ? ofBatch(batchId, n) : status ? byStatus(status, n) : allPayouts(n))),
        sortRange: timeRange(filter.createdFrom, filter.createdTo),
        // The batch listing holds every status: there the status is a filter.
        ...new ListFilter()
          .equals('status', batchId ? status : undefined)
          .equals('payer', payer)
          .equals('fundId', fundId)
          .query(),
        ...page,
      });
  return { items: found.items.map((i) => publicPayout(toPayout(i))), nextCursor: found.nextCursor };
}

export async function listBatchPayouts(
  batchId: string,
  filter: { status?: PayoutStatus; limit: number; cursor?: string },
  reader: MoneyReader,
): Promise<Page<Payout>> {
  // A batch's payouts are paid by the batch's payer: the head decides for all of them.
  await readBatchFor(batchId, reader);
  return listPayouts({ ...filter, batchId });
}
