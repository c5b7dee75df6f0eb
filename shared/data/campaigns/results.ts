import { acceptsResults, decideResults, type CampaignResults } from '../../domain/campaigns.ts';
import { invalidState, validationFailed } from '../../domain/errors.ts';
import { config } from '../../config.ts';
import { actorAuditStep } from '../platform/audit.ts';
import type { Actor } from '../funds/items.ts';
import { keys } from '../platform/keys.ts';
import { statsStep } from '../counties/stats.ts';
import { retryOnConflict, transact, TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { Campaign, toCampaign, campaignItem } from './items.ts';

/**
 * Stores a cumulative snapshot when it is newer than the stored one (version condition: a concurrent
 * report makes this one re-read and decide again) and moves the county aggregates by the difference.
 */
export async function reportResults(
  campaignId: string,
  report: { reportedAt: string; orders: number; unitsSold: number; grossSales: number },
  actor: Actor,
  now: Date,
): Promise<Campaign> {
  return retryOnConflict(async () => {
    const item = await campaignItem(campaignId);
    const current = toCampaign(item, now);
    if (!acceptsResults(current, now)) {
      throw invalidState(`Campaign ${campaignId} has not started; there are no results to report yet`);
    }
    if (Date.parse(report.reportedAt) < Date.parse(current.startsAt)) {
      throw validationFailed([{ path: 'body.reportedAt', message: 'reportedAt must not be before the campaign starts' }]);
    }
    const decision = decideResults(current.results, report);
    if (decision.kind === 'ignore') return current;
    const at = now.toISOString();
    const results: CampaignResults = { ...report };
    const steps: TxStep[] = [
      {
        item: {
          Update: {
            TableName: config().TABLE_NAME,
            Key: keys.campaign(campaignId),
            UpdateExpression: 'SET results = :results, updatedAt = :at, version = version + :one',
            ConditionExpression: 'version = :version',
            ExpressionAttributeValues: { ':results': results, ':at': at, ':one': 1, ':version': item.version },
          },
        },
        onConditionFailed: () => new TransactionConflict(),
      },
    ];
    if (Object.values(decision.deltas).some((d) => d !== 0)) {
      steps.push(statsStep(current.countyCode, 'campaigns', decision.deltas, campaignId));
    }
    steps.push(
      actorAuditStep(item.pk as string, actor, 'campaign.results-reported', now, {
        details: { ...report },
      }),
    );
    await transact(steps);
    return { ...current, results, updatedAt: at };
  });
}
