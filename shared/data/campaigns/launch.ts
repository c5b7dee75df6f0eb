import { firstOverlap, NO_RESULTS, stillLive, type LiveInterval } from '../../domain/campaigns.ts';
import { DomainError, notFound } from '../../domain/errors.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { actorAuditStep } from '../platform/audit.ts';
import { claimSteps, createdEarlier, type IdempotencyClaim } from '../platform/idempotency-claims.ts';
import { countyExistsStep } from '../counties/items.ts';
import { enqueueEvents, eventStep, queuedIds, type PendingEvent } from '../platform/events.ts';
import { subscribedEventTypes } from '../webhook-endpoints/subscriptions.ts';
import type { Actor } from '../funds/items.ts';
import {
  newSubsidy,
  subsidyPayer,
  Campaign,
  LaunchInput,
  toCampaign,
  readLiveIndex,
  liveIndexStep,
  getCampaign,
  assertSubsidyFund,
  ALL_CAMPAIGNS,
  countyCampaigns,
} from './items.ts';
import { keys } from '../platform/keys.ts';
import { statsStep } from '../counties/stats.ts';
import { LEDGER_ATTEMPTS, retryOnConflict, type TxStep } from '../platform/transactions.ts';
import { ALLOCATION, commitMoney, type MoneyMove } from '../ledger/move.ts';

/** Every concurrent launch of a county and channel rewrites one index item; each round commits at least one. */
const LAUNCH_ATTEMPTS = LEDGER_ATTEMPTS;

/**
 * Launch: one transaction with the county check, the live index (version condition = the overlap
 * rule), the campaign, the subsidy reservation (fund check + ledger `reserve`), the county aggregate,
 * the audit entry and the `campaign.launched` event.
 */
export async function launchCampaign(input: LaunchInput, actor: Actor, now: Date, claim?: IdempotencyClaim): Promise<Campaign> {
  const earlier = await createdEarlier(claim, now, (campaignId) => getCampaign(campaignId, now));
  if (earlier) return earlier;
  const campaignId = newId('campaign', now.getTime());
  const at = now.toISOString();
  const table = config().TABLE_NAME;
  const window: LiveInterval = { campaignId, startsAt: Date.parse(input.startsAt), endsAt: Date.parse(input.endsAt) };
  const item: Record<string, unknown> = {
    ...keys.campaign(campaignId),
    type: 'campaign',
    campaignId,
    countyCode: input.countyCode,
    title: input.title,
    channel: input.channel,
    products: input.products,
    startsAt: input.startsAt,
    endsAt: input.endsAt,
    ...(input.subsidy ? newSubsidy(input.subsidy, campaignId, input.endsAt) : { subsidy: null }),
    createdBy: actor.sub,
    results: NO_RESULTS,
    version: 1,
    createdAt: at,
    updatedAt: at,
    gsi1pk: ALL_CAMPAIGNS,
    gsi1sk: campaignId,
    gsi2pk: countyCampaigns(input.countyCode),
    gsi2sk: campaignId,
  };
  const campaign = toCampaign(item, now);
  // A subsidised campaign concerns its fund: its paying finance system reads the event too.
  const payer = input.subsidy ? await subsidyPayer(input.subsidy.fundId) : undefined;
  // Made once the launch is admissible, then kept: a retry after a conflict writes the same ids.
  let event: PendingEvent | undefined;

  await retryOnConflict(async () => {
    const index = await readLiveIndex(input.countyCode, input.channel);
    const clash = firstOverlap(window, index.live, now);
    if (clash) {
      throw new DomainError(
        'campaign_overlap',
        `Campaign ${clash.campaignId} of county ${input.countyCode} on ${input.channel} runs from ` +
          `${new Date(clash.startsAt).toISOString()} to ${new Date(clash.endsAt).toISOString()}`,
      );
    }
    // Nobody subscribed to the type (one read): the event is written finished, with no delivery job.
    event ??= eventStep('campaign.launched', campaignId, { ...campaign }, now, {
      payer,
      subscribed: (await subscribedEventTypes())('campaign.launched'),
    });
    const steps: TxStep[] = [
      ...claimSteps(claim, campaignId, now),
      countyExistsStep(input.countyCode),
      liveIndexStep(input.countyCode, input.channel, index, { live: [...stillLive(index.live, now), window], launched: 1 }, now),
      { item: { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } } },
    ];
    let reservation: MoneyMove | undefined;
    if (input.subsidy) {
      const { fundId, amount } = input.subsidy;
      steps.push({
        item: { ConditionCheck: { TableName: table, Key: keys.fund(fundId), ConditionExpression: 'attribute_exists(pk)' } },
        onConditionFailed: () => notFound(`Fund ${fundId}`),
      });
      await assertSubsidyFund(fundId);
      reservation = {
        source: ALLOCATION,
        fundId,
        countyCode: input.countyCode,
        move: 'reserve',
        amount,
        ref: { campaignId },
        actor: actor.sub,
        now,
      };
    }
    steps.push(
      statsStep(input.countyCode, 'campaigns', { launched: 1 }, campaignId),
      actorAuditStep(item.pk as string, actor, 'campaign.launched', now, {
        toStatus: campaign.status,
        details: { countyCode: input.countyCode, channel: input.channel, subsidy: input.subsidy ?? null },
      }),
      event.step,
    );
    // A retry after a conflict writes the same ids: the campaign and its event are one decision.
    await commitMoney(reservation, (money) => [...steps, ...money]);
  }, LAUNCH_ATTEMPTS);
  await enqueueEvents(queuedIds(event ? [event] : []));
  return campaign;
}
