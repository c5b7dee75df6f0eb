import type { VerificationStatus } from '../../domain/account-verification.ts';
import { notFound } from '../../domain/errors.ts';
import { payerScope, type MoneyReader } from '../../domain/roles.ts';
import { fundItem } from '../funds/items.ts';
import { equalityFilter, queryShardedPage, type Page } from '../platform/query.ts';
import { toVerification, verificationPartitions, verificationReply, type VerificationReply } from './items.ts';

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
  const partitions =
    query.fundId === undefined
      ? verificationPartitions.all()
      : query.status === undefined
        ? verificationPartitions.fund(query.fundId)
        : verificationPartitions.fundStatus(query.fundId, query.status);
  const index = !byFund ? 'gsi3' : query.status === undefined ? 'gsi1' : 'gsi2';
  const filters = equalityFilter(byFund ? {} : { status: query.status, payer });
  // Sharded (../verifications/items.ts): one Query per partition per page, merged oldest first.
  const result = await queryShardedPage<Record<string, unknown>>({
    index,
    partitions,
    values: { ...filters.values },
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
