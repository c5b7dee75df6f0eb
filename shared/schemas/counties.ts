import * as z from 'zod';
import { Balances, CountyCode, NonBlank, QueryBoolean, Timestamp, Total, idOf } from './common.ts';
import { contractsOf, listQuery, pageResponse } from './contract.ts';

const contract = contractsOf('Counties');

export const County = z
  .object({
    countyCode: CountyCode,
    name: z.string(),
    province: z.string(),
    modelCounty: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'County' });

export const PutCountyBody = z
  .strictObject({
    name: NonBlank(100),
    province: NonBlank(100),
    modelCounty: z.boolean().optional(),
  })
  .meta({ id: 'PutCountyBody' });

const CountyParams = z.strictObject({ countyCode: CountyCode });

const CountAmount = z.object({ count: z.number().int(), amount: Total });

export const CountyReport = z
  .object({
    countyCode: CountyCode,
    allocations: z.array(z.object({ fundId: idOf('fund'), ...Balances })),
    disbursements: z.object({
      pendingApproval: CountAmount,
      inNotice: CountAmount,
      approved: CountAmount,
      paid: CountAmount,
      payoutFailed: CountAmount,
    }),
    campaigns: z.object({
      scheduled: z.number().int(),
      active: z.number().int(),
      ended: z.number().int(),
      cancelled: z.number().int(),
      orders: z.number().int(),
      unitsSold: z.number().int(),
      grossSales: Total,
    }),
    stations: z.object({ applied: z.number().int(), active: z.number().int(), suspended: z.number().int() }),
  })
  .meta({ id: 'CountyReport' });

export const putCounty = contract('putCounty', 'Create or replace a county', {
  params: CountyParams,
  body: PutCountyBody,
  invalidParams: 'validation_failed',
  responses: { 200: { description: 'Updated', schema: County }, 201: { description: 'Created', schema: County } },
});

export const listCounties = contract('listCounties', 'List counties', {
  query: listQuery({ province: NonBlank(100).optional(), modelCounty: QueryBoolean.optional() }),
  responses: pageResponse('A page of counties', County, 'CountyPage'),
});

export const getCounty = contract('getCounty', 'Get a county', {
  params: CountyParams,
  responses: { 200: { description: 'The county', schema: County } },
});

export const getCountyReport = contract(
  'getCountyReport',
  "A county's allocations, disbursements, campaigns and stations, from running aggregates",
  {
    params: CountyParams,
    responses: { 200: { description: 'The report', schema: CountyReport } },
  },
);
