/**
 * `PUT /v1/funds/{fundId}/allocations/{countyCode}`: a county's allocation set to an amount. One transaction: the
 * county exists, the fund's unallocated budget covers the increase, the allocation never drops below reserved +
 * paid, its ledger entry (`allocation_set`, the change as `amount`, committed through ledger/move.ts) and the audit
 * entry. Optimistic on the allocation's ledger position: read again and decided again when another move got in.
 */
import type { Actor } from '../../domain/roles.ts';
import { actorAuditStep } from '../platform/audit.ts';
import { keys } from '../platform/keys.ts';
import { LEDGER_ATTEMPTS, retryOnConflict } from '../platform/transactions.ts';
import { countyExistsStep } from '../counties/items.ts';
import { readPosition } from '../ledger/items.ts';
import { commitAllocationSet } from '../ledger/move.ts';
import { allocationAttributes, fundBudgetStep, fundItem, toAllocation, type Allocation } from './items.ts';

export async function setAllocation(fundId: string, countyCode: string, amount: number, actor: Actor, now: Date): Promise<Allocation> {
  return retryOnConflict(async () => {
    await fundItem(fundId);
    const current = await readPosition(fundId, countyCode);
    if (current && amount === current.allocated) return toAllocation({ ...current });
    const previous = current?.allocated ?? 0;
    const balance = await commitAllocationSet(
      { fundId, countyCode, current, amount, actor: actor.sub, now, create: allocationAttributes(fundId, countyCode, now) },
      (money, delta) => [
        countyExistsStep(countyCode),
        fundBudgetStep(fundId, delta),
        ...money,
        actorAuditStep(keys.fund(fundId).pk, actor, 'allocation.set', now, {
          details: { countyCode, previous, allocated: amount },
        }),
      ],
    );
    return { fundId, countyCode, ...balance };
  }, LEDGER_ATTEMPTS);
}
