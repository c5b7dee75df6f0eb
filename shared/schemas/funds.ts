import * as z from 'zod';
import { createFundExamples } from './examples.ts';
import { DAY_MS, durationMs } from '../domain/durations.ts';
import { LEDGER_KINDS } from '../domain/ledger.ts';
import { periodProblem } from '../domain/fund-period.ts';
import { ACCOUNT_VERIFICATION_SETTINGS } from '../domain/account-verification.ts';
import { Amount, Balances, CountyCode, Currency, NonBlank, Timestamp, Total, idOf } from './common.ts';
import { contractsOf, listQuery, pageResponse } from './contract.ts';

const contract = contractsOf('Funds');

export const DEFAULT_DUAL_APPROVAL_THRESHOLD = 100_000_000;
export const DEFAULT_NOTICE_PERIOD = 'P0D';
const MAX_NOTICE_PERIOD_MS = 30 * DAY_MS;

/** The `sub` of the finance-system machine client that pays a fund's payouts. */
export const FinanceSystem = NonBlank(128).meta({
  id: 'FinanceSystem',
  description: "The `sub` of a finance-system machine client: the one that pays a fund's payouts.",
  example: 'ledger-bot',
});

export const NoticePeriod = z
  .string()
  .max(32)
  .refine((text) => {
    const ms = durationMs(text);
    return ms !== undefined && ms <= MAX_NOTICE_PERIOD_MS;
  }, 'an ISO 8601 duration from PT0S to P30D (weeks, days, hours, minutes, seconds)')
  .meta({ id: 'NoticePeriod', description: 'ISO 8601 duration, PT0S .. P30D. P0D: no public notice.', example: 'P7D' });

/** A calendar date, `yyyy-mm-dd`. */
export const CalendarDate = z.iso.date().meta({ description: 'A calendar date (yyyy-mm-dd), China time', example: '2026-01-01' });

export const FundPeriod = z
  .strictObject({ startsOn: CalendarDate, endsOn: CalendarDate })
  .superRefine((period, ctx) => {
    const problem = periodProblem(period);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['endsOn'] });
  })
  .meta({
    id: 'FundPeriod',
    description:
      "The span the fund's money is meant to be spent in, both dates included (China time): `endsOn` after `startsOn`, at most 5 years. " +
      'Default: the calendar year of creation in China time.',
    example: { startsOn: '2026-01-01', endsOn: '2026-12-31' },
  });

export const AccountVerificationSetting = z.enum(ACCOUNT_VERIFICATION_SETTINGS).meta({
  id: 'AccountVerificationSetting',
  description:
    '`required`: every account the fund is asked to pay is verified by its paying finance system before the final approval ' +
    '(see Account verification). Default `off`.',
});

export const Fund = z
  .object({
    fundId: idOf('fund'),
    name: z.string(),
    currency: Currency,
    totalBudget: Amount,
    allocated: Total,
    reserved: Total,
    paid: Total,
    unallocated: Total,
    financeSystem: FinanceSystem,
    dualApprovalThreshold: Amount,
    noticePeriod: NoticePeriod,
    period: FundPeriod,
    accountVerification: AccountVerificationSetting,
    createdAt: Timestamp,
  })
  .meta({ id: 'Fund' });

export const Allocation = z
  .object({
    fundId: idOf('fund'),
    countyCode: CountyCode,
    ...Balances,
  })
  .meta({ id: 'Allocation' });

export const CreateFundBody = z
  .strictObject({
    name: NonBlank(200),
    currency: Currency,
    totalBudget: Amount,
    financeSystem: FinanceSystem,
    dualApprovalThreshold: Amount.optional(),
    noticePeriod: NoticePeriod.optional(),
    period: FundPeriod.optional(),
    accountVerification: AccountVerificationSetting.optional(),
  })
  .meta({ id: 'CreateFundBody' });

/** 0 is allowed here: an allocation may be withdrawn down to what is already committed. */
export const PutAllocationBody = z
  .strictObject({ amount: z.number().int().min(0).max(10_000_000_000_000) })
  .meta({ id: 'PutAllocationBody' });

export const FundParams = z.strictObject({ fundId: idOf('fund') });

export const createFund = contract('createFund', 'Create a fund', {
  body: CreateFundBody,
  bodyExample: createFundExamples.body,
  responses: { 201: { description: 'Created', schema: Fund, example: createFundExamples.response } },
});

export const listFunds = contract('listFunds', 'List funds, newest first', {
  query: listQuery(),
  responses: pageResponse('A page of funds', Fund, 'FundPage'),
});

export const getFund = contract('getFund', 'Get a fund with its running totals', {
  params: FundParams,
  responses: { 200: { description: 'The fund', schema: Fund } },
});

export const putAllocation = contract('putAllocation', "Set a county's allocation of a fund", {
  params: z.strictObject({ fundId: idOf('fund'), countyCode: CountyCode }),
  body: PutAllocationBody,
  responses: { 200: { description: 'The allocation', schema: Allocation } },
  errors: ['insufficient_fund_budget', 'allocation_below_commitments'],
});

export const listAllocations = contract('listAllocations', "List a fund's allocations", {
  params: FundParams,
  query: listQuery(),
  responses: pageResponse('A page of allocations', Allocation, 'AllocationPage'),
});

export const LedgerEntry = z
  .object({
    entryId: z.string(),
    at: Timestamp,
    countyCode: CountyCode,
    kind: z.enum(LEDGER_KINDS),
    amount: z.number().int().meta({ description: 'Fen; negative only for an allocation_set that lowered the allocation.' }),
    ref: z.object({
      disbursementId: idOf('disbursement').optional(),
      batchId: idOf('batch').optional(),
      payoutId: idOf('payout').optional(),
      campaignId: idOf('campaign').optional(),
    }),
    actor: z.string(),
    balance: z.object(Balances),
  })
  .meta({ id: 'LedgerEntry' });

export const getFundLedger = contract('getFundLedger', "A fund's ledger: every change of an allocation's balances, oldest first", {
  description:
    "Replaying a county's entries from zero gives its allocation exactly: allocation_set adds amount to allocated; reserved adds it to reserved; " +
    'released takes it off reserved; paid moves it from reserved to paid. `balance` is the allocation right after the entry. ' +
    'fund-admin and auditor read every fund; a finance system only the funds it pays (others are 404). `from` is inclusive, `to` exclusive.',
  params: FundParams,
  query: listQuery({ countyCode: CountyCode.optional(), from: Timestamp.optional(), to: Timestamp.optional() }),
  responses: pageResponse('A page of ledger entries', LedgerEntry, 'LedgerEntryPage'),
});
