import { type Disbursement, type DisbursementStatus } from '../../domain/disbursements.ts';
import { equalityFilter, queryPage, queryShardedPage, type Page } from '../platform/query.ts';
import { listPartitions, countyIndexKey, toDisbursement, publicDisbursement } from './items.ts';

export async function listDisbursements(filter: {
  status?: DisbursementStatus;
  fundId?: string;
  countyCode?: string;
  /** Only the disbursements of the funds this finance system pays. */
  payer?: string;
  limit: number;
  cursor?: string;
}): Promise<Page<Disbursement>> {
  const scope = `disbursements|${filter.status ?? ''}|${filter.fundId ?? ''}|${filter.countyCode ?? ''}|${filter.payer ?? ''}`;
  const paging = { newestFirst: true, limit: filter.limit, cursor: filter.cursor, scope };
  let page: Page<Record<string, unknown>>;
  if (filter.countyCode !== undefined) {
    // A county's listing is one partition; the status is a filter there like the fund and the payer.
    const where = equalityFilter({ status: filter.status, fundId: filter.fundId, payer: filter.payer });
    page = await queryPage({
      index: 'gsi3',
      keyCondition: 'gsi3pk = :pk',
      filter: where.filter,
      names: where.names,
      values: { ':pk': countyIndexKey(filter.countyCode), ...where.values },
      ...paging,
    });
  } else {
    // Every disbursement (gsi1) or one status (gsi2, the status its key): their shards read together.
    const where = equalityFilter({ fundId: filter.fundId, payer: filter.payer });
    page = await queryShardedPage({
      index: filter.status === undefined ? 'gsi1' : 'gsi2',
      unshardedBefore: true,
      partitions: listPartitions(filter.status),
      filter: where.filter,
      names: where.names,
      values: where.values,
      ...paging,
    });
  }
  return { items: page.items.map((i) => publicDisbursement(toDisbursement(i))), nextCursor: page.nextCursor };
}
