import * as z from 'zod';
import { Flag } from './warning-rules.ts';
import { BATCH_STATUSES, MAX_BATCH_ITEMS, totalWithin } from '../domain/batches.ts';
import { PURPOSES } from '../domain/disbursements.ts';
import { createBatchExamples, approveBatchExamples } from './examples.ts';
import { Amount, CountyCode, MAX_AMOUNT, NonBlank, Timestamp, Total, idOf } from './common.ts';
import { contractsOf, listQuery, pageResponse } from './contract.ts';
import { ApproveBody, closeContracts, createdPending } from './disbursements.ts';
import { BeneficiaryBody, Payout, PayoutStatus } from './payouts.ts';
import { VerificationCounts } from './verifications.ts';

const contract = contractsOf('Disbursement batches');

export const BatchStatus = z.enum(BATCH_STATUSES).meta({ id: 'BatchStatus' });

export const BatchItemBody = z
  .strictObject({ beneficiary: BeneficiaryBody, amount: Amount, memo: NonBlank(500).optional() })
  .meta({ id: 'BatchItemBody' });

export const CreateBatchBody = z
  .strictObject({
    fundId: idOf('fund'),
    countyCode: CountyCode,
    purpose: z.enum(PURPOSES),
    items: z.array(BatchItemBody).min(1).max(MAX_BATCH_ITEMS),
  })
  .superRefine((b, ctx) => {
    if (
      totalWithin(
        b.items.map((i) => i.amount),
        MAX_AMOUNT,
      ) === undefined
    ) {
      ctx.addIssue({ code: 'custom', path: ['items'], message: `the amounts add up to more than ${MAX_AMOUNT} fen` });
    }
  })
  .meta({ id: 'CreateBatchBody' });

const Count = z.number().int().min(0);

export const Batch = z
  .object({
    batchId: idOf('batch'),
    fundId: idOf('fund'),
    countyCode: CountyCode,
    purpose: z.enum(PURPOSES),
    itemCount: z.number().int().min(1).max(MAX_BATCH_ITEMS),
    totalAmount: Total,
    status: BatchStatus,
    requiredApprovals: z.number().int().min(1).max(2),
    approvals: z.array(z.object({ approver: z.string(), at: Timestamp, comment: z.string().nullable() })),
    requestedBy: z.string(),
    counts: z
      .object({ queued: Count, sent: Count, settled: Count, failed: Count, deliveryFailed: Count })
      .meta({ description: "The batch's payouts per status; all zero until the approved batch is expanded." }),
    flags: z.object({ count: Count, cleared: z.boolean() }).meta({
      description:
        'Row flags of the warning rules (listed by GET …/flags), and whether a fund-admin cleared them; a high one blocks the final approval until then.',
    }),
    notice: z
      .object({ noticeId: z.string(), startsAt: Timestamp, endsAt: Timestamp })
      .nullable()
      .meta({ description: "The public notice (公示) of the batch's farmer and cooperative rows, once its final approval opened one." }),
    verifications: VerificationCounts.nullable().meta({
      description:
        "Its rows counted by their account verification's status (null when its fund does not verify). While any is pending, the final approval is 409 account_unverified.",
    }),
    correctionOf: idOf('batch')
      .nullable()
      .meta({ description: 'The batch whose failed payouts this batch corrects (POST …/corrections), else null.' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Batch' });

export const BatchRowFlag = Flag.extend({
  row: z.number().int().min(0).meta({
    description:
      "The row's 0-based index in the batch's `items`, as a creation error names it (`items.17.amount`); counted from 1, as people read the rows they uploaded (the console's Row 18), it is row + 1.",
  }),
  matches: z.array(z.string()).meta({
    description:
      'What the flag points at: disbursement or batch ids paying the same account (the batch itself when rows repeat it), settled payouts, the block-list entry.',
  }),
}).meta({ id: 'BatchRowFlag' });

export const BatchParams = z.strictObject({ batchId: idOf('batch') });

export const createBatch = contract('createBatch', 'Request a batch of up to 5,000 disbursements under one approval', {
  description:
    'Every row is validated; errors name the row (`items.17.amount`). The amounts may add up to at most 10^13 fen. ' +
    'Needs an allocation of the fund for the county (409 insufficient_allocation); station beneficiaries must be active ' +
    "in that county (409 invalid_state). requiredApprovals follows the batch's totalAmount.",
  body: CreateBatchBody,
  bodyExample: createBatchExamples.body,
  ...createdPending(Batch, createBatchExamples.response),
});

export const getBatch = contract('getBatch', 'Get a batch with the counts of its payouts', {
  params: BatchParams,
  responses: { 200: { description: 'The batch', schema: Batch } },
});

export const listBatchPayouts = contract('listBatchPayouts', "List a batch's payouts, newest first", {
  params: BatchParams,
  query: listQuery({ status: PayoutStatus.optional() }),
  responses: pageResponse('A page of payouts', Payout, 'BatchPayoutPage'),
});

export const approveBatch = contract('approveBatch', 'Approve a batch', {
  description:
    'The approval that reaches requiredApprovals reserves totalAmount on the county allocation at once (409 ' +
    'insufficient_allocation and nothing changes when it does not fit); one payout per item is then created and queued ' +
    'in the background (status processing, then completed once every payout is settled or failed).',
  params: BatchParams,
  body: ApproveBody,
  bodyExample: approveBatchExamples.body,
  responses: { 200: { description: 'The batch after the approval', schema: Batch, example: approveBatchExamples.response } },
  errors: ['self_approval', 'duplicate_approval', 'invalid_state', 'insufficient_allocation', 'flagged'],
});

export const listBatchFlags = contract('listBatchFlags', "List a batch's screening flags, by row", {
  params: BatchParams,
  query: listQuery(),
  responses: pageResponse('A page of row flags', BatchRowFlag, 'BatchRowFlagPage'),
});

export const {
  clearFlags: clearBatchFlags,
  reject: rejectBatch,
  cancel: cancelBatch,
} = closeContracts(
  contract,
  'batch',
  BatchParams,
  Batch,
  'Clears every row flag with the reason, kept in the audit trail. Until then the final approval is 409 flagged.',
);

export const listBatches = contract('listBatches', 'List batches, newest first (1.2)', {
  description: 'A finance system sees only the batches of the funds it pays.',
  query: listQuery({ status: BatchStatus.optional(), fundId: idOf('fund').optional(), countyCode: CountyCode.optional() }),
  responses: pageResponse('A page of batches', Batch, 'BatchPage'),
});
