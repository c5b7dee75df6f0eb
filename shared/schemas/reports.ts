/**
 * The half-year report (`GET /v1/funds/{fundId}/reports/{yyyy}-H1|H2`) and the fund's public view
 * (`GET /public/funds/{fundId}`, the page `GET /transparency/{fundId}`).
 */
import * as z from 'zod';
import { SNAPSHOT_KINDS } from '../domain/snapshots.ts';
import { FIGURES_SOURCES } from '../domain/half-year-report.ts';
import { DEFAULT_PUBLIC_COUNTIES, MAX_PUBLIC_COUNTIES } from '../domain/transparency.ts';
import { CountyCode, FundTotals, MAX_CURSOR_LENGTH, Timestamp, Total, idOf } from './common.ts';
import { contractsOf } from './contract.ts';
import { CalendarDate, FundPeriod, FundParams } from './funds.ts';

const fundContract = contractsOf('Funds');
const publicContract = contractsOf('Public');

const Share = z.number().min(0).max(1);
const Count = z.number().int().min(0);
const Hash = z.string().regex(/^[0-9a-f]{64}$/);
const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);
export const HALF_PATTERN = /^\d{4}-H[12]$/;

export const HalfYearReport = z
  .object({
    fundId: idOf('fund'),
    fundName: z.string(),
    half: z.string().regex(HALF_PATTERN),
    from: CalendarDate.meta({ description: "The half's first day (China time)" }),
    to: CalendarDate.meta({ description: "The half's last day (China time)" }),
    asOf: CalendarDate.meta({ description: "The day progress is read at: the half's last day, or today while the half runs" }),
    generatedAt: Timestamp,
    period: FundPeriod,
    budget: z.object({
      ...FundTotals,
      paidInHalf: Total.meta({ description: "What the ledger's `paid` entries dated inside the half add up to" }),
    }),
    timeElapsed: Share,
    counties: z.array(
      z.object({
        countyCode: CountyCode,
        name: z.string(),
        province: z.string(),
        allocated: Total,
        paid: Total,
        paidInHalf: Total,
        progress: Share,
        lagPoints: z.number(),
      }),
    ),
    failures: z
      .array(z.object({ code: z.string(), count: Count, amount: Total }))
      .meta({ description: 'Payouts failed in the half, by code' }),
    flags: z
      .array(z.object({ code: z.string(), raised: Count, cleared: Count }))
      .meta({ description: 'Flags raised and cleared in the half' }),
    objections: z.object({ upheld: Count, dismissed: Count }),
    notices: z.object({ published: Count }),
    snapshots: z.array(
      z.object({ snapshotId: idOf('snapshot'), kind: z.enum(SNAPSHOT_KINDS), month: Month.nullable(), takenAt: Timestamp, hash: Hash }),
    ),
    figuresFrom: z
      .object({
        source: z.enum(FIGURES_SOURCES),
        snapshot: z.object({ snapshotId: idOf('snapshot'), takenAt: Timestamp, hash: Hash }).nullable(),
      })
      .meta({
        description:
          'Where the balances (allocated, reserved, paid, available per county, and progress from them) come from: `live`, ' +
          "today's, while the half runs; `snapshot`, for a half that has ended, the snapshot taken at its end or the first " +
          "after it (named in `snapshot`); `live_no_snapshot`, today's, for a half that has ended with no snapshot taken " +
          'at or after its end. `paidInHalf` always comes from the ledger entries dated inside the half.',
      }),
  })
  .meta({ id: 'HalfYearReport' });

export const getHalfYearReport = fundContract(
  'getHalfYearReport',
  'The half-year work report: JSON, a printable page (Accept: text/html) or a PDF (Accept: application/pdf)',
  {
    description:
      'One template for all three. `{half}` is `yyyy-H1` (January–June) or `yyyy-H2` (July–December), China time. ' +
      'A half that is not of that form, that has not started yet, or that ended before the fund existed is 404 `not_found`: ' +
      'there is no such report (yet), as for any id that names nothing.',
    params: z.strictObject({ fundId: idOf('fund'), half: z.string().regex(HALF_PATTERN) }),
    responses: {
      200: {
        description: 'The report',
        schema: HalfYearReport,
        alternatives: [
          { contentType: 'text/html', description: 'Printable page, Chinese and English, charts with their data tables' },
          { contentType: 'application/pdf', description: 'The same as a PDF (A4)' },
        ],
      },
    },
  },
);

export const PublicFund = z
  .object({
    fundId: idOf('fund'),
    name: z.string(),
    currency: z.literal('CNY'),
    period: FundPeriod,
    asOf: CalendarDate,
    timeElapsed: Share,
    totalBudget: Total,
    allocated: Total,
    paid: Total,
    unallocated: Total,
    progress: Share,
    counties: z.array(
      z.object({ countyCode: CountyCode, countyName: z.string(), province: z.string(), allocated: Total, paid: Total, progress: Share }),
    ),
    notices: z.object({ published: Count }),
    objections: z.object({ upheld: Count }),
    latestSnapshot: z.object({ snapshotId: idOf('snapshot'), month: Month.nullable(), takenAt: Timestamp, hash: Hash }).nullable(),
    nextCursor: z.string().nullable().meta({ description: 'Opaque cursor for the next page of counties, null on the last' }),
  })
  .meta({ id: 'PublicFund' });

const PublicQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PUBLIC_COUNTIES).default(DEFAULT_PUBLIC_COUNTIES),
  cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).optional(),
});

export const getPublicFund = publicContract(
  'getPublicFund',
  "The fund's public view (公告公示): budget, each county's allocation, paid and progress; aggregates only",
  {
    description:
      'No authentication. No name, account or person: figures only. Counties come a page at a time in county-code order ' +
      `(\`limit\` 1..${MAX_PUBLIC_COUNTIES}, default ${DEFAULT_PUBLIC_COUNTIES}). Notices published and objections upheld count the fund's whole life.`,
    params: FundParams,
    query: PublicQuery,
    responses: { 200: { description: 'The public view', schema: PublicFund } },
  },
);

export const getTransparencyPage = publicContract(
  'getTransparencyPage',
  "The fund's public page (公告公示), the same figures as `GET /public/funds/{fundId}`",
  {
    params: FundParams,
    query: PublicQuery,
    responses: { 200: { description: 'HTML page', contentType: 'text/html' } },
  },
);
