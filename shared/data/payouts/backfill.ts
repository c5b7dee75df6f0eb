/**
 * Puts payouts written before the listings were sorted by creation time, and before the settlement-time
 * index, in place: their gsi1sk/gsi2sk/gsi3sk become `<createdAt>#<payoutId>` (they were the payout id,
 * which a created range cannot find and which sorts after every new key), and a settled or failed payout
 * without gsi5 keys gets them from its settledAt. The same items, updated in place; running it again, or
 * while payouts move, changes nothing more (../platform/backfill.ts). Status moves touch neither the sort keys nor,
 * once set, the gsi5 keys, so a payout moving meanwhile keeps both the backfill's and the move's writes.
 */
import type { PayoutStatus } from '../../domain/payouts.ts';
import { backfillItems, type BackfillCounts, type BackfillOptions } from '../platform/backfill.ts';
import { keys } from '../platform/keys.ts';
import { payoutCreatedSortKey, payoutSettledKeys, toPayout } from './items.ts';

/** Every payout id starts so; every new sort key starts with a year. */
const OLD_SORT_KEY = 'pay_';
const SETTLEMENT_INDEXED: PayoutStatus[] = ['settled', 'failed'];

export async function backfillPayouts(options: BackfillOptions = {}): Promise<BackfillCounts> {
  return backfillItems(
    {
      filter:
        '#type = :payout AND (begins_with(gsi1sk, :old) OR begins_with(gsi2sk, :old) OR begins_with(gsi3sk, :old) ' +
        'OR (#status IN (:settled, :failed) AND attribute_not_exists(gsi5pk)))',
      names: { '#type': 'type', '#status': 'status' },
      values: { ':payout': 'payout', ':old': OLD_SORT_KEY, ':settled': 'settled', ':failed': 'failed' },
    },
    async (item) => rewrite(item),
    options,
  );
}

function rewrite(item: Record<string, unknown>) {
  const payout = toPayout(item);
  const sortKey = payoutCreatedSortKey(payout);
  const sortKeys = ['gsi1sk', 'gsi2sk', ...(item.gsi3pk !== undefined ? ['gsi3sk'] : [])];
  const sets = sortKeys.map((name) => `${name} = :sk`);
  // Still to do: a sort key not yet in the new form, or (below) the settlement-time keys missing.
  const toDo = sortKeys.map((name) => `${name} <> :sk`);
  const values: Record<string, unknown> = { ':sk': sortKey, ':createdAt': payout.createdAt };
  if (SETTLEMENT_INDEXED.includes(payout.status) && typeof payout.settledAt === 'string' && item.gsi5pk === undefined) {
    const settled = payoutSettledKeys(payout.payoutId, payout.settledAt);
    sets.push('gsi5pk = if_not_exists(gsi5pk, :gsi5pk)', 'gsi5sk = if_not_exists(gsi5sk, :gsi5sk)');
    toDo.push('attribute_not_exists(gsi5pk)');
    Object.assign(values, { ':gsi5pk': settled.gsi5pk, ':gsi5sk': settled.gsi5sk });
  }
  return {
    Key: keys.payout(payout.payoutId),
    UpdateExpression: `SET ${sets.join(', ')}`,
    // createdAt never changes: the new sort key stays the item's own.
    ConditionExpression: `attribute_exists(pk) AND createdAt = :createdAt AND (${toDo.join(' OR ')})`,
    ExpressionAttributeValues: values,
  };
}
