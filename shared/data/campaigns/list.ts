import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactGetCommand } from '@aws-sdk/lib-dynamodb';
import { campaignCounts, CHANNELS, type CampaignStatus, type Channel } from '../../domain/campaigns.ts';
import { config } from '../../config.ts';
import { retrying } from '../../retry.ts';
import { documents } from '../platform/clients.ts';
import { queryPage, type Page } from '../platform/query.ts';
import { Campaign, liveIndexKey, toCampaign, LiveIndex, toLiveIndex, ALL_CAMPAIGNS, countyCampaigns } from './items.ts';

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
  values[':list'] = filter.countyCode !== undefined ? countyCampaigns(filter.countyCode) : ALL_CAMPAIGNS;
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
