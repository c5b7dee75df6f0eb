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
import { notFound } from '../../domain/errors.ts';
import { config } from '../../config.ts';
import { allocationMoveSteps, type MoneyMove } from '../ledger/move.ts';
import { toSubsidy } from './subsidies.ts';
import { type StoredSubsidy, type Subsidy } from '../ledger/items.ts';
import { keys } from '../platform/keys.ts';
import { getItem, requireItem } from '../platform/query.ts';
import { TransactionConflict, type TxStep } from '../platform/transactions.ts';

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

/** A subsidy's reservation on its allocation: an unknown fund is 404, a fund without the county's allocation 409. */
export async function subsidyReservationSteps(m: MoneyMove): Promise<TxStep[]> {
  if (!(await getItem(keys.fund(m.fundId)))) throw notFound(`Fund ${m.fundId}`);
  return allocationMoveSteps(m);
}
