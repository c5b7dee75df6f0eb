import type { VerificationStatus } from '../../domain/account-verification.ts';
import { notFound } from '../../domain/errors.ts';
import { payerScope, type MoneyReader } from '../../domain/roles.ts';
import { fundItem } from '../funds/items.ts';
import { equalityFilter, queryPage, type Page } from '../platform/query.ts';
import { ALL_VERIFICATIONS, fundIndexKey, fundStatusIndexKey, toVerification, verificationReply, type VerificationReply } from './items.ts';

/**
 * `GET /v1/account-verifications?fundId=&status=`: oldest first (a finance system works through what waits
 * longest), paged within the read budget. A finance system sees only the funds it pays, with the accounts in
 * full; fund-admin and auditor see every fund's, masked.
 */
export async function listVerifications(
  query: { fundId?: string; status?: VerificationStatus; limit: number; cursor?: string },
  reader: MoneyReader,
): Promise<Page<VerificationReply>> {
  const payer = payerScope(reader);
  if (query.fundId !== undefined) {
    const fund = await fundItem(query.fundId);
    if (payer !== undefined && fund.financeSystem !== payer) throw notFound(`Fund ${query.fundId}`);
  }
  const byFund = query.fundId !== undefined;
  const partition =
    query.fundId === undefined
      ? ALL_VERIFICATIONS
      : query.status === undefined
        ? fundIndexKey(query.fundId)
        : fundStatusIndexKey(query.fundId, query.status);
  const index = !byFund ? 'gsi3' : query.status === undefined ? 'gsi1' : 'gsi2';
  const filters = equalityFilter(byFund ? {} : { status: query.status, payer });
  const result = await queryPage<Record<string, unknown>>({
    index,
    keyCondition: `${index}pk = :pk`,
    values: { ':pk': partition, ...filters.values },
    filter: filters.filter,
    names: filters.names,
    limit: query.limit,
    cursor: query.cursor,
    scope: `verifications|${query.fundId ?? ''}|${query.status ?? ''}|${payer ?? ''}`,
  });
  return {
    items: result.items.map(toVerification).map((v) => verificationReply(v, payer !== undefined && v.payer === payer)),
    nextCursor: result.nextCursor,
  };
}
