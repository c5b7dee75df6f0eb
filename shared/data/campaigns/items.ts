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
import {
  campaignStatus,
  NO_RESULTS,
  type CampaignResults,
  type CampaignStatus,
  type Channel,
  type LiveInterval,
  type Product,
} from '../../domain/campaigns.ts';
import { notFound, DomainError } from '../../domain/errors.ts';
import { config } from '../../config.ts';
import { ALLOCATION, type MoneyMove } from '../ledger/move.ts';
import { type StoredSubsidy, type Subsidy, remainingOf } from '../ledger/items.ts';
import { keys } from '../platform/keys.ts';
import { getItem, requireItem } from '../platform/query.ts';
import { TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { actorAuditStep } from '../platform/audit.ts';
import { eventStep, type PendingEvent } from '../platform/events.ts';
import type { Subscribed } from '../webhook-endpoints/subscriptions.ts';
import { getFundSettings } from '../funds/items.ts';

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

/** gsi1pk of every campaign; gsi2pk of a county's campaigns. */
export const ALL_CAMPAIGNS = 'CAMPAIGNS';
export const countyCampaigns = (countyCode: string) => `COUNTY#${countyCode}#CMP`;

export const liveIndexKey = (countyCode: string, channel: string) => ({ pk: keys.county(countyCode).pk, sk: `CMPLIVE#${channel}` });

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

export interface LiveIndex {
  version: number;
  live: LiveInterval[];
  launched: number;
  cancelled: number;
}

export function toLiveIndex(item: Record<string, unknown> | undefined): LiveIndex {
  return {
    version: (item?.version as number | undefined) ?? 0,
    live: (item?.live as LiveInterval[] | undefined) ?? [],
    launched: (item?.launched as number | undefined) ?? 0,
    cancelled: (item?.cancelled as number | undefined) ?? 0,
  };
}

export async function readLiveIndex(countyCode: string, channel: string): Promise<LiveIndex> {
  const Item = await getItem(liveIndexKey(countyCode, channel));
  return toLiveIndex(Item);
}

/** Rewrites the live index, only if nobody else did since `read` (else the whole transaction is retried). */
export function liveIndexStep(
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

export function campaignItem(campaignId: string): Promise<Record<string, unknown>> {
  return requireItem(keys.campaign(campaignId), `Campaign ${campaignId}`);
}

export async function getCampaign(campaignId: string, now: Date): Promise<Campaign> {
  return toCampaign(await campaignItem(campaignId), now);
}

/** The fund of a subsidy's reservation exists: an unknown fund is 404 (a fund without the county's allocation is 409 at the move). */
export async function assertSubsidyFund(fundId: string): Promise<void> {
  if (!(await getItem(keys.fund(fundId)))) throw notFound(`Fund ${fundId}`);
}

export const SUBSIDY_RELEASE_INDEX = 'SUBSIDY#RELEASE';

export const releaseSortKey = (releaseAt: Date, campaignId: string) => `${releaseAt.toISOString()}#${campaignId}`;

/** When the undrawn rest of a campaign's subsidy is released if nothing else ends it first. */
export function releaseTime(endsAt: string): Date {
  return new Date(Date.parse(endsAt) + config().SUBSIDY_CLAIM_PERIOD);
}

/** A new campaign's subsidy, all of it still to draw, and its place in the release index. */
export function newSubsidy(input: { fundId: string; amount: number }, campaignId: string, endsAt: string): Record<string, unknown> {
  const subsidy: StoredSubsidy = {
    fundId: input.fundId,
    amount: input.amount,
    drawn: 0,
    released: 0,
    remaining: input.amount,
    status: 'reserved',
  };
  return { subsidy, gsi4pk: SUBSIDY_RELEASE_INDEX, gsi4sk: releaseSortKey(releaseTime(endsAt), campaignId) };
}

/** The response form (no `remaining`: it is amount − drawn − released). Items from before 1.1 had only fund and amount. */
export function toSubsidy(stored: Partial<StoredSubsidy> | undefined | null): Subsidy | null {
  if (!stored || stored.fundId === undefined || stored.amount === undefined) return null;
  return {
    fundId: stored.fundId,
    amount: stored.amount,
    drawn: stored.drawn ?? 0,
    released: stored.released ?? 0,
    status: stored.status ?? 'reserved',
  };
}

/**
 * The finance system that pays the subsidy's fund (a fund's `financeSystem` never changes): the subsidy's
 * events are that system's to read in the event log. Undefined for an unknown fund.
 */
export async function subsidyPayer(fundId: string): Promise<string | undefined> {
  try {
    return (await getFundSettings(fundId)).financeSystem || undefined;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'not_found') return undefined;
    throw error;
  }
}

export interface SubsidyRelease {
  /** The campaign item's part of the release: merge into the caller's update of the campaign. */
  campaignUpdate: { set: string[]; remove: string[]; names: Record<string, string>; values: Record<string, unknown> };
  /** The event and the audit entry. */
  steps: TxStep[];
  /** The ledger move of the released money (none when nothing is left to release), for `commitMoney`. */
  money: MoneyMove | undefined;
  released: number;
  /** `campaign.subsidy_released`: queued after the commit unless written finished (nobody subscribes to it). */
  event: PendingEvent;
  /** The paying finance system of the subsidy's fund, written on the release event. */
  payer: string | undefined;
}

/**
 * Releases the undrawn rest of a read campaign's subsidy: the subsidy `released` (the campaign's own
 * update, for the caller to merge: cancellation changes the same item), its ledger move (for the caller's
 * `commitMoney`), the `campaign.subsidy_released` event and the audit entry. Undefined when there is nothing to release.
 */
export async function subsidyRelease(
  campaign: Record<string, unknown>,
  reason: 'cancelled' | 'claim_period_ended',
  actor: { sub: string; correlationId?: string },
  now: Date,
  subscriptions: () => Promise<Subscribed>,
): Promise<SubsidyRelease | undefined> {
  const stored = campaign.subsidy as Partial<StoredSubsidy> | undefined;
  if (!stored || stored.fundId === undefined || stored.status === 'released') return undefined;
  const remaining = remainingOf(stored);
  const campaignId = campaign.campaignId as string;
  const countyCode = campaign.countyCode as string;
  const after: Subsidy = { ...toSubsidy(stored)!, released: (stored.released ?? 0) + remaining, status: 'released' };
  const payer = await subsidyPayer(stored.fundId);
  const event = eventStep(
    'campaign.subsidy_released',
    campaignId,
    { campaignId, countyCode, reason, releasedAmount: remaining, subsidy: after },
    now,
    { payer, subscribed: (await subscriptions())('campaign.subsidy_released') },
  );
  const steps: TxStep[] = [
    actorAuditStep(keys.campaign(campaignId).pk, actor, 'campaign.subsidy_released', now, {
      reason,
      details: { fundId: stored.fundId, released: remaining, drawn: stored.drawn ?? 0 },
    }),
    event.step,
  ];
  const money: MoneyMove | undefined =
    remaining > 0
      ? {
          source: ALLOCATION,
          fundId: stored.fundId,
          countyCode,
          move: 'release',
          amount: remaining,
          ref: { campaignId },
          actor: actor.sub,
          now,
        }
      : undefined;
  return {
    campaignUpdate: {
      set: ['subsidy.released = :subsidyReleased', 'subsidy.remaining = :subsidyZero', 'subsidy.#subsidyStatus = :subsidyReleasedStatus'],
      remove: ['gsi4pk', 'gsi4sk'],
      names: { '#subsidyStatus': 'status' },
      values: { ':subsidyReleased': after.released, ':subsidyZero': 0, ':subsidyReleasedStatus': 'released' },
    },
    steps,
    money,
    released: remaining,
    event,
    payer,
  };
}
