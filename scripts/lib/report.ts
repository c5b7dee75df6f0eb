/** `campaigns report`: every campaign (optionally of one county) with its latest results, as a table. */
import { problemOf, type Campaign, type ReliefFundClient } from '../../client/index.ts';
import { formatTable, yuan } from './table.ts';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(`${status} ${code}: ${detail}`);
    this.name = 'ApiFailure';
  }
}

export async function allCampaigns(client: ReliefFundClient, countyCode?: string): Promise<Campaign[]> {
  const out: Campaign[] = [];
  let cursor: string | undefined;
  do {
    const { data, error, response } = await client.GET('/v1/campaigns', {
      params: { query: { limit: 100, ...(countyCode ? { countyCode } : {}), ...(cursor ? { cursor } : {}) } },
    });
    if (!data) {
      const problem = problemOf(error, response.status);
      throw new ApiFailure(response.status, problem.code, problem.detail);
    }
    out.push(...data.items);
    cursor = data.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

const day = (iso: string) => iso.slice(0, 16).replace('T', ' ');

export function campaignTable(campaigns: Campaign[]): string {
  const rows = campaigns.map((c) => [
    c.campaignId,
    c.countyCode,
    c.channel,
    c.status,
    day(c.startsAt),
    day(c.endsAt),
    c.title,
    String(c.results.orders),
    String(c.results.unitsSold),
    yuan(c.results.grossSales),
  ]);
  const sum = (pick: (c: Campaign) => number) => campaigns.reduce((t, c) => t + pick(c), 0);
  rows.push([
    'total',
    '',
    '',
    '',
    '',
    '',
    `${campaigns.length} campaigns`,
    String(sum((c) => c.results.orders)),
    String(sum((c) => c.results.unitsSold)),
    yuan(sum((c) => c.results.grossSales)),
  ]);
  return formatTable(
    [
      { header: 'campaign' },
      { header: 'county' },
      { header: 'channel' },
      { header: 'status' },
      { header: 'starts (UTC)' },
      { header: 'ends (UTC)' },
      { header: 'title', max: 32 },
      { header: 'orders', align: 'right' },
      { header: 'units', align: 'right' },
      { header: 'gross sales (CNY)', align: 'right' },
    ],
    rows,
  );
}
