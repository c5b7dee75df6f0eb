/**
 * County promotion campaigns.
 *
 * Items:
 * - campaign `CMP#<id> / CMP`, with its audit trail in the same collection. Listings:
 *   all campaigns `gsi1pk = CAMPAIGNS`, `gsi1sk = <campaignId>`; per county `gsi2pk = COUNTY#<code>#CMP`,
 *   `gsi2sk = <campaignId>` (ULIDs, so newest first is descending). `cancelledAt` exists only once cancelled.
 * - live index `COUNTY#<code> / CMPLIVE#<channel>`: the windows of the county's live (not cancelled, not
 *   yet ended) campaigns on that channel, with a `version`. Every launch and cancel rewrites it under a
 *   version condition inside its own transaction, so two overlapping launches cannot both commit: the
 *   loser's transaction fails, it re-reads, and now sees the winner's window (409 campaign_overlap).
 *   It also counts the lane's `launched` and `cancelled` campaigns. The county report reads the four
 *   lane items in one TransactGetItems (a consistent snapshot: windows and counts always agree) and
 *   splits launched campaigns into scheduled / active / ended by the clock, without scanning.
 *
 * County aggregates (topic `campaigns`): `launched`, `cancelled`, `orders`, `unitsSold`, `grossSales`,
 * all moved in the transactions that change them; the report takes the results figures from there.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactGetCommand } from '@aws-sdk/lib-dynamodb';
import {
  acceptsResults,
  campaignCounts,
  campaignStatus,
  CHANNELS,
  decideResults,
  firstOverlap,
  NO_RESULTS,
  stillLive,
  type CampaignResults,
  type CampaignStatus,
  type Channel,
  type LiveInterval,
  type Product,
} from '../../domain/campaigns.ts';
import { DomainError, invalidState, notFound, validationFailed } from '../../domain/errors.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { retrying } from '../../retry.ts';
import { auditStep } from '../platform/audit.ts';
import { claimSteps, createdEarlier, type IdempotencyClaim } from '../platform/idempotency-claims.ts';
import { documents } from '../platform/clients.ts';
import { countyExistsStep } from '../counties/items.ts';
import { enqueueEvents, eventStep } from '../platform/events.ts';
import type { Actor } from '../funds/items.ts';
import { ledgerMoveSteps, requirePosition } from '../ledger/items.ts';
import { newSubsidy, subsidyPayer, subsidyRelease, toSubsidy, type StoredSubsidy, type Subsidy } from './subsidies.ts';
import { keys } from '../platform/keys.ts';
import { getItem, queryPage, requireItem, type Page } from '../platform/query.ts';
import { statsStep } from '../counties/stats.ts';
import { LEDGER_ATTEMPTS, retryOnConflict, transact, TransactionConflict, type TxStep } from '../platform/transactions.ts';

export interface Campaign {
  campaignId: string;
  countyCode: string;
  title: string;
  channel: Channel;
  products: Product[];
  startsAt: string;
  endsAt: string;
  subsidy: Subsidy | null;
  status: CampaignStatus;
  createdBy: string;
  results: CampaignResults;
  cancelledAt: string | null;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Launch input with instants already normalised to UTC (`toISOString`), so stored strings compare in time order. */
export interface LaunchInput {
  countyCode: string;
  title: string;
  channel: Channel;
  products: Product[];
  startsAt: string;
  endsAt: string;
  subsidy?: { fundId: string; amount: number };
}

const liveIndexKey = (countyCode: string, channel: string) => ({ pk: keys.county(countyCode).pk, sk: `CMPLIVE#${channel}` });
/** Every concurrent launch of a county and channel rewrites one index item; each round commits at least one. */
const LAUNCH_ATTEMPTS = LEDGER_ATTEMPTS;

export function toCampaign(item: Record<string, unknown>, now: Date): Campaign {
  const c = {
    startsAt: item.startsAt as string,
    endsAt: item.endsAt as string,
    cancelledAt: (item.cancelledAt as string | undefined) ?? null,
  };
  return {
    campaignId: item.campaignId as string,
    countyCode: item.countyCode as string,
    title: item.title as string,
    channel: item.channel as Channel,
    products: item.products as Product[],
    startsAt: c.startsAt,
    endsAt: c.endsAt,
    subsidy: toSubsidy(item.subsidy as Partial<StoredSubsidy> | undefined),
    status: campaignStatus(c, now),
    createdBy: item.createdBy as string,
    results: (item.results as CampaignResults | undefined) ?? NO_RESULTS,
    cancelledAt: c.cancelledAt,
    cancelReason: (item.cancelReason as string | undefined) ?? null,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

interface LiveIndex {
  version: number;
  live: LiveInterval[];
  launched: number;
  cancelled: number;
}

function toLiveIndex(item: Record<string, unknown> | undefined): LiveIndex {
  return {
    version: (item?.version as number | undefined) ?? 0,
    live: (item?.live as LiveInterval[] | undefined) ?? [],
    launched: (item?.launched as number | undefined) ?? 0,
    cancelled: (item?.cancelled as number | undefined) ?? 0,
  };
}

async function readLiveIndex(countyCode: string, channel: string): Promise<LiveIndex> {
  const Item = await getItem(liveIndexKey(countyCode, channel));
  return toLiveIndex(Item);
}

/** Rewrites the live index, only if nobody else did since `read` (else the whole transaction is retried). */
function liveIndexStep(
  countyCode: string,
  channel: string,
  read: LiveIndex,
  change: { live: LiveInterval[]; launched?: number; cancelled?: number },
  now: Date,
): TxStep {
  return {
    item: {
      Put: {
        TableName: config().TABLE_NAME,
        Item: {
          ...liveIndexKey(countyCode, channel),
          type: 'campaign-live-index',
          countyCode,
          channel,
          live: change.live,
          launched: read.launched + (change.launched ?? 0),
          cancelled: read.cancelled + (change.cancelled ?? 0),
          version: read.version + 1,
          updatedAt: now.toISOString(),
        },
        ConditionExpression: read.version === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
        ...(read.version === 0 ? {} : { ExpressionAttributeValues: { ':version': read.version } }),
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
}

function campaignItem(campaignId: string): Promise<Record<string, unknown>> {
  return requireItem(keys.campaign(campaignId), `Campaign ${campaignId}`);
}

export async function getCampaign(campaignId: string, now: Date): Promise<Campaign> {
  return toCampaign(await campaignItem(campaignId), now);
}

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
    gsi1pk: 'CAMPAIGNS',
    gsi1sk: campaignId,
    gsi2pk: `COUNTY#${input.countyCode}#CMP`,
    gsi2sk: campaignId,
  };
  const campaign = toCampaign(item, now);
  // A subsidised campaign concerns its fund: its paying finance system reads the event too.
  const payer = input.subsidy ? await subsidyPayer(input.subsidy.fundId) : undefined;
  const event = eventStep('campaign.launched', campaignId, { ...campaign }, now, { payer });

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
    const steps: TxStep[] = [
      ...claimSteps(claim, campaignId, now),
      countyExistsStep(input.countyCode),
      liveIndexStep(input.countyCode, input.channel, index, { live: [...stillLive(index.live, now), window], launched: 1 }, now),
      { item: { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } } },
    ];
    if (input.subsidy) {
      const { fundId, amount } = input.subsidy;
      steps.push(
        {
          item: { ConditionCheck: { TableName: table, Key: keys.fund(fundId), ConditionExpression: 'attribute_exists(pk)' } },
          onConditionFailed: () => notFound(`Fund ${fundId}`),
        },
        ...ledgerMoveSteps(await subsidySource(fundId, input.countyCode), 'reserve', amount, { campaignId }, actor.sub, now),
      );
    }
    steps.push(
      statsStep(input.countyCode, 'campaigns', { launched: 1 }, campaignId),
      auditStep(item.pk as string, {
        actor: actor.sub,
        action: 'campaign.launched',
        at: now,
        correlationId: actor.correlationId,
        toStatus: campaign.status,
        details: { countyCode: input.countyCode, channel: input.channel, subsidy: input.subsidy ?? null },
      }),
      event.step,
    );
    // A retry after a conflict writes the same ids: the campaign and its event are one decision.
    await transact(steps);
  }, LAUNCH_ATTEMPTS);
  await enqueueEvents([event.messageId]);
  return campaign;
}

/** The allocation a subsidy is reserved on: an unknown fund is 404, a fund without the county's allocation 409. */
async function subsidySource(fundId: string, countyCode: string) {
  if (!(await getItem(keys.fund(fundId)))) throw notFound(`Fund ${fundId}`);
  return requirePosition(fundId, countyCode);
}

/** Cancel before the end: frees the window, releases the subsidy reservation, all in one transaction. */
export async function cancelCampaign(campaignId: string, reason: string, actor: Actor, now: Date): Promise<Campaign> {
  const table = config().TABLE_NAME;
  const at = now.toISOString();
  const { campaign, messageIds } = await retryOnConflict(async () => {
    const item = await campaignItem(campaignId);
    const before = toCampaign(item, now);
    if (before.status === 'cancelled' || before.status === 'ended') {
      throw invalidState(`Campaign ${campaignId} is ${before.status}; only a scheduled or active campaign can be cancelled`);
    }
    const index = await readLiveIndex(before.countyCode, before.channel);
    const live = stillLive(index.live, now).filter((i) => i.campaignId !== campaignId);
    // The subsidy's release is part of the cancellation: the same update of the campaign, one transaction.
    const release = await subsidyRelease(item, 'cancelled', actor, now);
    const subsidy = item.subsidy as StoredSubsidy | undefined;
    const released =
      release && subsidy ? { ...subsidy, released: subsidy.released + release.released, remaining: 0, status: 'released' } : subsidy;
    const after = toCampaign({ ...item, subsidy: released, cancelledAt: at, cancelReason: reason, updatedAt: at }, now);
    const payer = release ? release.payer : subsidy?.fundId !== undefined ? await subsidyPayer(subsidy.fundId) : undefined;
    const event = eventStep('campaign.cancelled', campaignId, { ...after }, now, { payer });
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
      auditStep(item.pk as string, {
        actor: actor.sub,
        action: 'campaign.cancelled',
        at: now,
        correlationId: actor.correlationId,
        fromStatus: before.status,
        toStatus: 'cancelled',
        reason,
        details: { released: release?.released ?? 0 },
      }),
      event.step,
    );
    await transact(steps);
    return { campaign: after, messageIds: [event.messageId, ...(release ? [release.messageId] : [])] };
  }, LEDGER_ATTEMPTS);
  await enqueueEvents(messageIds);
  return campaign;
}

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
      auditStep(item.pk as string, {
        actor: actor.sub,
        action: 'campaign.results-reported',
        at: now,
        correlationId: actor.correlationId,
        details: { ...report },
      }),
    );
    await transact(steps);
    return { ...current, results, updatedAt: at };
  });
}

const STATUS_FILTERS: Record<CampaignStatus, string> = {
  scheduled: 'attribute_not_exists(cancelledAt) AND startsAt > :now',
  active: 'attribute_not_exists(cancelledAt) AND startsAt <= :now AND endsAt > :now',
  ended: 'attribute_not_exists(cancelledAt) AND endsAt <= :now',
  cancelled: 'attribute_exists(cancelledAt)',
};

export async function listCampaigns(
  filter: { countyCode?: string; status?: CampaignStatus; channel?: Channel; limit: number; cursor?: string },
  now: Date,
): Promise<Page<Campaign>> {
  const conditions: string[] = [];
  const values: Record<string, unknown> = {};
  if (filter.status) {
    conditions.push(STATUS_FILTERS[filter.status]);
    if (filter.status !== 'cancelled') values[':now'] = now.toISOString();
  }
  if (filter.channel) {
    conditions.push('channel = :channel');
    values[':channel'] = filter.channel;
  }
  const byCounty = filter.countyCode !== undefined;
  if (byCounty) values[':list'] = `COUNTY#${filter.countyCode}#CMP`;
  else values[':list'] = 'CAMPAIGNS';
  const page = await queryPage({
    index: byCounty ? 'gsi2' : 'gsi1',
    keyCondition: byCounty ? 'gsi2pk = :list' : 'gsi1pk = :list',
    filter: conditions.length ? conditions.join(' AND ') : undefined,
    values,
    newestFirst: true,
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `campaigns|${filter.countyCode ?? ''}|${filter.status ?? ''}|${filter.channel ?? ''}`,
  });
  return { items: page.items.map((i) => toCampaign(i, now)), nextCursor: page.nextCursor };
}

/**
 * The county's lanes (one item per channel) in one TransactGetItems: a serializable snapshot, so a
 * launch or cancel committing meanwhile is either wholly in it or wholly out (a plain Query could see
 * its window without its count, and report an ended count of -1 for a moment).
 */
async function countyLanes(countyCode: string): Promise<LiveIndex[]> {
  // A transaction writing one of these items right now cancels the read: read again in a moment.
  return retrying(
    { attempts: 5, baseMs: 10 },
    (error) => error instanceof TransactionCanceledException,
    async () => {
      const { Responses = [] } = await documents.send(
        new TransactGetCommand({
          TransactItems: CHANNELS.map((channel) => ({ Get: { TableName: config().TABLE_NAME, Key: liveIndexKey(countyCode, channel) } })),
        }),
      );
      return Responses.map((r) => toLiveIndex(r.Item));
    },
  );
}

/** The campaigns part of the county report: counts by clock from the lanes, results from the aggregates. */
export async function countyCampaignReport(countyCode: string, aggregates: Record<string, number>, now: Date) {
  const lanes = await countyLanes(countyCode);
  const totals = lanes.reduce((t, l) => ({ launched: t.launched + l.launched, cancelled: t.cancelled + l.cancelled }), {
    launched: 0,
    cancelled: 0,
  });
  const counts = campaignCounts(
    totals,
    lanes.flatMap((l) => l.live),
    now,
  );
  return {
    ...counts,
    orders: aggregates.orders ?? 0,
    unitsSold: aggregates.unitsSold ?? 0,
    grossSales: aggregates.grossSales ?? 0,
  };
}
