/**
 * Campaign subsidies: money reserved on a county allocation at a campaign's launch, drawn on by the
 * disbursements that name the campaign, and released when the campaign is cancelled or its claim
 * period (`endsAt` + SUBSIDY_CLAIM_PERIOD) is over. Nothing stays reserved forever.
 *
 * The subsidy lives on the campaign item: `subsidy = { fundId, amount, drawn, released, remaining,
 * status }` with `remaining = amount − drawn − released` kept explicitly (conditions cannot do
 * arithmetic). Every change bumps the campaign's `version`. While reserved, the campaign sits in the
 * keys-only work index: `gsi4pk = SUBSIDY#RELEASE`, `gsi4sk = <release time>#<campaignId>`, which the
 * outbox sweeper reads to release what is due.
 */
import { config } from '../../config.ts';
import { enqueueEvents, queuedIds } from '../platform/events.ts';
import { subscriptionsOnce } from '../webhook-endpoints/subscriptions.ts';
import { keys } from '../platform/keys.ts';
import { overdueSource } from '../platform/sweep.ts';
import { getItem } from '../platform/query.ts';
import { LEDGER_ATTEMPTS, retryOnConflict, TransactionConflict } from '../platform/transactions.ts';
import { commitMoney } from '../ledger/move.ts';
import { SUBSIDY_RELEASE_INDEX, subsidyRelease } from './items.ts';
const SYSTEM_ACTOR = 'system:subsidy-release';

/** The claim period is over: release what is left (a no-op when it was released already). */
export async function releaseExpiredSubsidy(campaignId: string, now: Date): Promise<number> {
  // Which types anyone listens to: one read for this release (retries included), only when there is one.
  const subscriptions = subscriptionsOnce();
  const result = await retryOnConflict(async () => {
    const item = await getItem(keys.campaign(campaignId));
    if (!item) return undefined;
    const sortKey = item.gsi4sk as string | undefined;
    if (sortKey && sortKey.slice(0, sortKey.indexOf('#')) > now.toISOString()) return undefined;
    const release = await subsidyRelease(item, 'claim_period_ended', { sub: SYSTEM_ACTOR }, now, subscriptions);
    if (!release) return undefined;
    const u = release.campaignUpdate;
    await commitMoney(release.money, (money) => [
      {
        item: {
          Update: {
            TableName: config().TABLE_NAME,
            Key: keys.campaign(campaignId),
            UpdateExpression: `SET ${[...u.set, 'updatedAt = :at', 'version = version + :one'].join(', ')} REMOVE ${u.remove.join(', ')}`,
            ConditionExpression: 'version = :version',
            ExpressionAttributeNames: u.names,
            ExpressionAttributeValues: { ...u.values, ':at': now.toISOString(), ':one': 1, ':version': item.version },
          },
        },
        onConditionFailed: () => new TransactionConflict(),
      },
      ...release.steps,
      ...money,
    ]);
    return release;
  }, LEDGER_ATTEMPTS);
  if (!result) return 0;
  await enqueueEvents(queuedIds([result.event]));
  return result.released;
}

/** Sweeper source: subsidies whose claim period is over. */
export const subsidyReleaseSource = overdueSource({
  name: 'subsidy-release',
  partition: SUBSIDY_RELEASE_INDEX,
  // Due by the clock, not by the sweeper's cutoff: a release is due the moment its period ends.
  dueBy: 'clock',
  async each(campaignId, now) {
    await releaseExpiredSubsidy(campaignId, now);
    return true;
  },
});
