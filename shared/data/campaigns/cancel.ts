import { stillLive } from '../../domain/campaigns.ts';
import { invalidState } from '../../domain/errors.ts';
import { config } from '../../config.ts';
import { actorAuditStep } from '../platform/audit.ts';
import { enqueueEvents, eventStep, queuedIds } from '../platform/events.ts';
import { subscriptionsOnce } from '../webhook-endpoints/subscriptions.ts';
import type { Actor } from '../funds/items.ts';
import { subsidyPayer, subsidyRelease, Campaign, toCampaign, readLiveIndex, liveIndexStep, campaignItem } from './items.ts';
import { type StoredSubsidy } from '../ledger/items.ts';
import { keys } from '../platform/keys.ts';
import { statsStep } from '../counties/stats.ts';
import { LEDGER_ATTEMPTS, retryOnConflict, TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { commitMoney } from '../ledger/move.ts';

/** Cancel before the end: frees the window, releases the subsidy reservation, all in one transaction. */
export async function cancelCampaign(campaignId: string, reason: string, actor: Actor, now: Date): Promise<Campaign> {
  const table = config().TABLE_NAME;
  const at = now.toISOString();
  // Which types anyone listens to, read once for the request (retries included), only if an event is written.
  const subscriptions = subscriptionsOnce();
  const { campaign, messageIds } = await retryOnConflict(async () => {
    const item = await campaignItem(campaignId);
    const before = toCampaign(item, now);
    if (before.status === 'cancelled' || before.status === 'ended') {
      throw invalidState(`Campaign ${campaignId} is ${before.status}; only a scheduled or active campaign can be cancelled`);
    }
    const index = await readLiveIndex(before.countyCode, before.channel);
    const live = stillLive(index.live, now).filter((i) => i.campaignId !== campaignId);
    // The subsidy's release is part of the cancellation: the same update of the campaign, one transaction.
    const release = await subsidyRelease(item, 'cancelled', actor, now, subscriptions);
    const subsidy = item.subsidy as StoredSubsidy | undefined;
    const released =
      release && subsidy ? { ...subsidy, released: subsidy.released + release.released, remaining: 0, status: 'released' } : subsidy;
    const after = toCampaign({ ...item, subsidy: released, cancelledAt: at, cancelReason: reason, updatedAt: at }, now);
    const payer = release ? release.payer : subsidy?.fundId !== undefined ? await subsidyPayer(subsidy.fundId) : undefined;
    const event = eventStep('campaign.cancelled', campaignId, { ...after }, now, {
      payer,
      subscribed: (await subscriptions())('campaign.cancelled'),
    });
    const u = release?.campaignUpdate;
    const steps: TxStep[] = [
      {
        item: {
          Update: {
            TableName: table,
            Key: keys.campaign(campaignId),
            UpdateExpression:
              `SET ${['cancelledAt = :at', 'cancelReason = :reason', 'updatedAt = :at', 'version = version + :one', ...(u?.set ?? [])].join(', ')}` +
              (u ? ` REMOVE ${u.remove.join(', ')}` : ''),
            ConditionExpression: 'version = :version AND attribute_not_exists(cancelledAt) AND endsAt > :at',
            ...(u ? { ExpressionAttributeNames: u.names } : {}),
            ExpressionAttributeValues: { ':at': at, ':reason': reason, ':one': 1, ':version': item.version, ...u?.values },
          },
        },
        onConditionFailed: () => new TransactionConflict(),
      },
      liveIndexStep(before.countyCode, before.channel, index, { live, cancelled: 1 }, now),
    ];
    if (release) steps.push(...release.steps);
    steps.push(
      statsStep(before.countyCode, 'campaigns', { cancelled: 1 }, campaignId),
      actorAuditStep(item.pk as string, actor, 'campaign.cancelled', now, {
        fromStatus: before.status,
        toStatus: 'cancelled',
        reason,
        details: { released: release?.released ?? 0 },
      }),
      event.step,
    );
    await commitMoney(release?.money, (money) => [...steps, ...money]);
    return { campaign: after, messageIds: queuedIds(release ? [event, release.event] : [event]) };
  }, LEDGER_ATTEMPTS);
  await enqueueEvents(messageIds);
  return campaign;
}
