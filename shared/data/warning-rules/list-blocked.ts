import { queryPage, type Page } from '../platform/query.ts';
import { getFundSettings } from '../funds/items.ts';
import { blockListIndex, toBlockedAccount } from './items.ts';

export interface BlockedAccountView {
  entryId: string;
  fundId: string;
  /** Masked: `****` and the last four digits. */
  accountNumber: string;
  reason: string;
  addedBy: string;
  addedAt: string;
}

/** `GET /v1/funds/{fundId}/blocked-accounts`: the block list in the order entries were added, accounts masked. */
export async function listBlockedAccounts(fundId: string, page: { limit: number; cursor?: string }): Promise<Page<BlockedAccountView>> {
  await getFundSettings(fundId);
  const result = await queryPage<Record<string, unknown>>({
    index: 'gsi1',
    keyCondition: 'gsi1pk = :pk',
    values: { ':pk': blockListIndex(fundId) },
    limit: page.limit,
    cursor: page.cursor,
    scope: `blocked-accounts|${fundId}`,
  });
  return {
    items: result.items.map((item) => {
      const entry = toBlockedAccount(item);
      return {
        entryId: entry.entryId,
        fundId: entry.fundId,
        accountNumber: entry.accountNumberMasked,
        reason: entry.reason,
        addedBy: entry.addedBy,
        addedAt: entry.addedAt,
      };
    }),
    nextCursor: result.nextCursor,
  };
}
