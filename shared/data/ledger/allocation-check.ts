/**
 * A create's check that its fund has an allocation for its county, in the create's own transaction. The money is
 * reserved later, at the final approval (./move.ts); a create only needs the allocation to be there.
 */
import { DomainError, notFound } from '../../domain/errors.ts';
import { config } from '../../config.ts';
import { keys } from '../platform/keys.ts';
import { getItem } from '../platform/query.ts';
import { transact, type TxStep } from '../platform/transactions.ts';
import { readPosition } from './items.ts';

/** No allocation at its key: none at all, or one stored before the shards (transactWithAllocation tells them apart). */
class NoAllocationAtKey extends DomainError {}

/**
 * A create's check that the fund has an allocation for the county (the money is reserved later, at approval). It is
 * the check that the county exists, too: an allocation is only ever set for a county that exists (../funds/allocate.ts)
 * and counties are never deleted, so a create pays for one condition check (2 read units), not two. Which of the two
 * was missing is told only when it refuses (`transactWithAllocation`).
 */
export function allocationExistsStep(fundId: string, countyCode: string): TxStep {
  return {
    item: {
      ConditionCheck: {
        TableName: config().TABLE_NAME,
        Key: keys.allocation(fundId, countyCode),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
    onConditionFailed: () => new NoAllocationAtKey('insufficient_allocation', `Fund ${fundId} has no allocation for county ${countyCode}`),
  };
}

/**
 * Commits a transaction with the allocation's `allocationExistsStep`: when it finds no allocation at its key but
 * one stored before the shards is there, that one is moved (readPosition) and the transaction committed again. When
 * there is none at all, an unknown county is 404 `not_found` before a missing allocation's 409.
 */
export async function transactWithAllocation(fundId: string, countyCode: string, steps: TxStep[]): Promise<void> {
  try {
    return await transact(steps);
  } catch (error) {
    if (!(error instanceof NoAllocationAtKey)) throw error;
    if (!(await readPosition(fundId, countyCode))) {
      if (!(await getItem(keys.county(countyCode)))) throw notFound(`County ${countyCode}`);
      throw error;
    }
  }
  await transact(steps);
}
