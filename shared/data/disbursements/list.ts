import { type Disbursement, type DisbursementStatus } from '../../domain/disbursements.ts';
import { queryPage, type Page } from '../platform/query.ts';
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
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  const filters: string[] = [];
  let index: 'gsi1' | 'gsi2' | 'gsi3';
  if (filter.countyCode !== undefined) {
    index = 'gsi3';
    values[':pk'] = countyIndexKey(filter.countyCode);
  } else if (filter.status !== undefined) {
    index = 'gsi2';
    values[':pk'] = statusIndexKey(filter.status);
  } else {
    index = 'gsi1';
    values[':pk'] = ALL_DISBURSEMENTS;
  }
  if (filter.status !== undefined && index !== 'gsi2') {
    filters.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = filter.status;
  }
  if (filter.fundId !== undefined) {
    filters.push('fundId = :fundId');
    values[':fundId'] = filter.fundId;
  }
  if (filter.payer !== undefined) {
    filters.push('payer = :payer');
    values[':payer'] = filter.payer;
  }
  const page = await queryPage({
    index,
    keyCondition: `${index}pk = :pk`,
    filter: filters.length ? filters.join(' AND ') : undefined,
    names: Object.keys(names).length ? names : undefined,
    values,
    newestFirst: true,
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `disbursements|${filter.status ?? ''}|${filter.fundId ?? ''}|${filter.countyCode ?? ''}|${filter.payer ?? ''}`,
  });
  return { items: page.items.map((i) => publicDisbursement(toDisbursement(i))), nextCursor: page.nextCursor };
}
