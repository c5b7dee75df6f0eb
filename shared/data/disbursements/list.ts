import { type Disbursement, type DisbursementStatus } from '../../domain/disbursements.ts';
import { equalityFilter, queryPage, type Page } from '../platform/query.ts';
import { ALL_DISBURSEMENTS, statusIndexKey, countyIndexKey, toDisbursement, publicDisbursement } from './items.ts';

export async function listDisbursements(filter: {
  status?: DisbursementStatus;
  fundId?: string;
  countyCode?: string;
  /** Only the disbursements of the funds this finance system pays. */
  payer?: string;
  limit: number;
  cursor?: string;
}): Promise<Page<Disbursement>> {
  let pk: string;
  let index: 'gsi1' | 'gsi2' | 'gsi3';
  if (filter.countyCode !== undefined) {
    index = 'gsi3';
    pk = countyIndexKey(filter.countyCode);
  } else if (filter.status !== undefined) {
    index = 'gsi2';
    pk = statusIndexKey(filter.status);
  } else {
    index = 'gsi1';
    pk = ALL_DISBURSEMENTS;
  }
  // The status is the key of gsi2; on the other indexes it is a filter like the fund and the payer.
  const where = equalityFilter({ status: index === 'gsi2' ? undefined : filter.status, fundId: filter.fundId, payer: filter.payer });
  const page = await queryPage({
    index,
    keyCondition: `${index}pk = :pk`,
    filter: where.filter,
    names: where.names,
    values: { ':pk': pk, ...where.values },
    newestFirst: true,
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `disbursements|${filter.status ?? ''}|${filter.fundId ?? ''}|${filter.countyCode ?? ''}|${filter.payer ?? ''}`,
  });
  return { items: page.items.map((i) => publicDisbursement(toDisbursement(i))), nextCursor: page.nextCursor };
}
