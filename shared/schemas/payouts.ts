import * as z from 'zod';
import { BENEFICIARY_KINDS, PAYOUT_STATUSES } from '../domain/payouts.ts';
import { FAILURE_CODES } from '../domain/failure-codes.ts';
import { settlePayoutExamples } from './examples.ts';
import { Amount, CountyCode, Currency, NonBlank, Timestamp, idOf } from './common.ts';
import { contractsOf, listQuery, pageResponse } from './contract.ts';

const contract = contractsOf('Payouts');

/** 8..30 digits, as Chinese bank card and account numbers are. */
export const AccountNumber = z.string().regex(/^\d{8,30}$/, '8 to 30 digits');

export const BankAccountBody = z
  .strictObject({
    bankName: NonBlank(100),
    accountName: NonBlank(200),
    accountNumber: AccountNumber,
  })
  .meta({ id: 'BankAccountBody' });

export const BeneficiaryBody = z
  .strictObject({
    kind: z.enum(BENEFICIARY_KINDS),
    name: NonBlank(200),
    stationId: idOf('station').optional(),
    account: BankAccountBody,
  })
  .superRefine((b, ctx) => {
    if (b.kind === 'station' && b.stationId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['stationId'], message: 'required when kind is station' });
    }
    if (b.kind !== 'station' && b.stationId !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['stationId'], message: 'only allowed when kind is station' });
    }
  })
  .meta({ id: 'BeneficiaryBody' });

/** As responses show it: the account number masked (`****1234`). */
export const Beneficiary = z
  .object({
    kind: z.enum(BENEFICIARY_KINDS),
    name: z.string(),
    stationId: idOf('station').optional(),
    account: z.object({
      bankName: z.string(),
      accountName: z.string(),
      accountNumber: z.string().meta({ description: 'Masked: `****` and the last four digits.', example: '****1234' }),
    }),
  })
  .meta({ id: 'Beneficiary' });

export const PayoutStatus = z.enum(PAYOUT_STATUSES).meta({ id: 'PayoutStatus' });

export const FailureCode = z.enum(FAILURE_CODES).meta({ id: 'FailureCode' });

export const Payout = z
  .object({
    payoutId: idOf('payout'),
    disbursementId: idOf('disbursement').nullable(),
    batchId: idOf('batch').nullable(),
    fundId: idOf('fund'),
    countyCode: CountyCode,
    amount: Amount,
    currency: Currency,
    beneficiary: Beneficiary,
    status: PayoutStatus,
    attempts: z.number().int().min(0),
    createdAt: Timestamp,
    sentAt: Timestamp.nullable(),
    settledAt: Timestamp.nullable(),
    bankReference: z.string().nullable(),
    failureCode: FailureCode.nullable().meta({ description: 'Why a failed payout failed (null unless failed).' }),
    failureReason: z.string().nullable(),
    correctedBy: z
      .string()
      .regex(/^(dsb|bat)_[0-9A-HJKMNP-TV-Z]{26}$/)
      .nullable()
      .meta({ description: 'The disbursement or batch that corrects this failed payout, else null.' }),
  })
  .meta({ id: 'Payout' });

export const SettlementBody = z
  .strictObject({
    outcome: z.enum(['succeeded', 'failed']),
    bankReference: NonBlank(100).optional().meta({ description: 'Required when succeeded; allowed when failed (a returned transfer).' }),
    failureCode: FailureCode.optional().meta({ description: 'Failed only; default `unspecified`.' }),
    failureReason: NonBlank(500).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.outcome === 'succeeded' && s.bankReference === undefined) {
      ctx.addIssue({ code: 'custom', path: ['bankReference'], message: 'required when outcome is succeeded' });
    }
    if (s.outcome === 'failed' && s.failureReason === undefined && s.failureCode === undefined) {
      ctx.addIssue({ code: 'custom', path: ['failureReason'], message: 'failureCode or failureReason is required when outcome is failed' });
    }
    if (s.outcome === 'succeeded' && s.failureReason !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['failureReason'], message: 'only allowed when outcome is failed' });
    }
    if (s.outcome === 'succeeded' && s.failureCode !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['failureCode'], message: 'only allowed when outcome is failed' });
    }
  })
  .meta({ id: 'SettlementBody' });

const PayoutParams = z.strictObject({ payoutId: idOf('payout') });

export const listPayouts = contract('listPayouts', 'List payouts, newest first', {
  description:
    'Newest created first; with a settled range, newest settlement first. Every filter combines with every other, ' +
    'both ends of a range inclusive. A finance system sees only the payouts of the funds it pays. With `Accept: text/csv` the answer is a CSV file ' +
    '(RFC 4180, header row first) of every matching payout in the same order, accounts masked, without paging ' +
    "(`limit` and `cursor` are ignored); cells a spreadsheet would read as a formula start with `'`.",
  query: listQuery({
    status: PayoutStatus.optional(),
    batchId: idOf('batch').optional(),
    fundId: idOf('fund').optional(),
    createdFrom: Timestamp.optional().meta({ description: 'Created at or after this time.' }),
    createdTo: Timestamp.optional().meta({ description: 'Created at or before this time.' }),
    settledFrom: Timestamp.optional().meta({
      description: 'Settled (or failed) at or after this time; the list is then in settlement order.',
    }),
    settledTo: Timestamp.optional().meta({
      description: 'Settled (or failed) at or before this time; the list is then in settlement order.',
    }),
  }).superRefine((q, ctx) => {
    for (const [from, to] of [
      ['createdFrom', 'createdTo'],
      ['settledFrom', 'settledTo'],
    ] as const) {
      const [start, end] = [q[from], q[to]];
      if (start !== undefined && end !== undefined && Date.parse(start) > Date.parse(end)) {
        ctx.addIssue({ code: 'custom', path: [to], message: `must not be before ${from}` });
      }
    }
  }),
  responses: pageResponse('A page of payouts (or, with Accept: text/csv, the CSV file described above)', Payout, 'PayoutPage'),
});

export const getPayout = contract('getPayout', 'Get a payout', {
  description:
    "The account number is masked for every reader except the finance system that pays the payout's fund, which reads it " +
    'in full here (and only here): it is the instruction that system pays, and a receiver checks each signed ' +
    '`payout.requested` against this read before paying.',
  params: PayoutParams,
  responses: { 200: { description: 'The payout', schema: Payout } },
});

export const settlePayout = contract('settlePayout', "Report a payout's outcome (finance system)", {
  description:
    'Accepted from queued, sent or delivery_failed. succeeded: the payout is settled, its disbursement paid and the ' +
    'reservation becomes paid; failed: the payout fails, its disbursement becomes payout_failed and the reservation is ' +
    'released. The same outcome again is a no-op answered with the payout; a different one after a final outcome is 409.',
  params: PayoutParams,
  body: SettlementBody,
  bodyExample: settlePayoutExamples.body,
  responses: { 200: { description: 'The payout after settlement', schema: Payout, example: settlePayoutExamples.response } },
  errors: ['invalid_state'],
});

export const redeliverPayout = contract('redeliverPayout', 'Queue a delivery_failed payout again (same webhook message id)', {
  params: PayoutParams,
  responses: { 202: { description: 'The payout, queued again', schema: Payout } },
  errors: ['invalid_state'],
});
