import * as z from 'zod';
import { CAMPAIGN_STATUSES, CHANNELS, launchShapeErrors, MAX_PRODUCTS } from '../domain/campaigns.ts';
import { Amount, CountyCode, MAX_AMOUNT, NonBlank, Reason, Timestamp, Total, idOf } from './common.ts';
import { contractsOf, listQuery, pageResponse } from './contract.ts';

const contract = contractsOf('Campaigns');

export const Channel = z.enum(CHANNELS).meta({ id: 'CampaignChannel' });
export const CampaignStatus = z.enum(CAMPAIGN_STATUSES).meta({ id: 'CampaignStatus' });

const Sku = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a sku of 1 to 64 letters, digits, dots, dashes or underscores');

export const Product = z
  .strictObject({
    sku: Sku,
    name: NonBlank(200),
    unitPrice: Amount,
    promoPrice: Amount,
  })
  .meta({ id: 'CampaignProduct', description: 'Prices in fen; promoPrice ≤ unitPrice.' });

export const Subsidy = z
  .strictObject({ fundId: idOf('fund'), amount: Amount })
  .meta({ id: 'CampaignSubsidyBody', description: "Reserved on the fund's allocation for the county at launch, all or nothing." });

export const CampaignSubsidy = z
  .object({
    fundId: idOf('fund'),
    amount: Amount,
    drawn: z.number().int().min(0).meta({ description: 'Fen drawn by the final approvals of disbursements that name the campaign.' }),
    released: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Fen given back to the allocation (on cancel, or after endsAt + SUBSIDY_CLAIM_PERIOD).' }),
    status: z.enum(['reserved', 'released']),
  })
  .meta({
    id: 'CampaignSubsidy',
    description:
      'Disbursements with this campaignId draw on it (409 insufficient_allocation when amount − drawn − released cannot cover them); ' +
      'a failed payout of such a disbursement gives its amount back while the subsidy is reserved. The undrawn rest is released ' +
      '(event campaign.subsidy_released, a ledger entry) when the campaign is cancelled, or once endsAt + SUBSIDY_CLAIM_PERIOD (default P30D) has passed.',
  });

const Count = z.number().int().min(0).max(1_000_000_000_000);

export const LaunchCampaignBody = z
  .strictObject({
    countyCode: CountyCode,
    title: NonBlank(200),
    channel: Channel,
    products: z.array(Product).min(1).max(MAX_PRODUCTS),
    startsAt: Timestamp,
    endsAt: Timestamp,
    subsidy: Subsidy.optional(),
  })
  .superRefine((body, ctx) => {
    for (const e of launchShapeErrors(body)) {
      ctx.addIssue({ code: 'custom', path: e.path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), message: e.message });
    }
  })
  .meta({
    id: 'LaunchCampaignBody',
    description:
      '1..100 products with unique skus; endsAt after startsAt and at most 90 days later; startsAt not more than 5 minutes in the past.',
  });

export type LaunchCampaignInput = z.infer<typeof LaunchCampaignBody>;

export const CampaignResultsBody = z
  .strictObject({
    reportedAt: Timestamp,
    orders: Count,
    unitsSold: Count,
    grossSales: z.number().int().min(0).max(MAX_AMOUNT),
  })
  .meta({
    id: 'CampaignResultsBody',
    description: 'Cumulative figures up to reportedAt; a snapshot not newer than the stored one is ignored.',
  });

export const CampaignResults = z
  .object({ orders: Count, unitsSold: Count, grossSales: Total, reportedAt: Timestamp.nullable() })
  .meta({ id: 'CampaignResults' });

export const Campaign = z
  .object({
    campaignId: idOf('campaign'),
    countyCode: CountyCode,
    title: z.string(),
    channel: Channel,
    products: z.array(Product),
    startsAt: Timestamp,
    endsAt: Timestamp,
    subsidy: CampaignSubsidy.nullable(),
    status: CampaignStatus,
    createdBy: z.string(),
    results: CampaignResults,
    cancelledAt: Timestamp.nullable(),
    cancelReason: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Campaign' });

const CampaignParams = z.strictObject({ campaignId: idOf('campaign') });

export const launchCampaign = contract('launchCampaign', 'Launch a county promotion campaign', {
  description:
    'Fails with 409 campaign_overlap when a scheduled or active campaign of the same county and channel overlaps in time, ' +
    'and with 409 insufficient_allocation when the subsidy cannot be reserved; nothing changes then.',
  body: LaunchCampaignBody,
  responses: { 201: { description: 'Launched', schema: Campaign } },
  errors: ['campaign_overlap', 'insufficient_allocation', 'not_found'],
});

export const listCampaigns = contract('listCampaigns', 'List campaigns, newest first', {
  query: listQuery({ countyCode: CountyCode.optional(), status: CampaignStatus.optional(), channel: Channel.optional() }),
  responses: pageResponse('A page of campaigns', Campaign, 'CampaignPage'),
});

export const getCampaign = contract('getCampaign', 'Get a campaign', {
  params: CampaignParams,
  responses: { 200: { description: 'The campaign', schema: Campaign } },
});

export const cancelCampaign = contract('cancelCampaign', 'Cancel a campaign before it ends; its subsidy reservation is released', {
  params: CampaignParams,
  body: Reason,
  responses: { 200: { description: 'The cancelled campaign', schema: Campaign } },
  errors: ['invalid_state'],
});

export const reportCampaignResults = contract('reportCampaignResults', 'Report cumulative sales figures', {
  description: 'A snapshot older than (or as old as) the stored one is ignored: 200 with the campaign unchanged.',
  params: CampaignParams,
  body: CampaignResultsBody,
  responses: { 200: { description: 'The campaign', schema: Campaign } },
  errors: ['invalid_state'],
});
