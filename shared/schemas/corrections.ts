/**
 * Corrections of a batch's failed payouts and the failures summary (API.md 1.2); a disbursement's correction is in
 * disbursements.ts. The contracts join
 * shared/schemas/index.ts with their routes.
 */
import * as z from 'zod';
import { MAX_BATCH_ITEMS } from '../domain/batches.ts';
import { AGE_BUCKETS } from '../domain/failures.ts';
import { CountyCode, NonBlank, Total, idOf } from './common.ts';
import { contractsOf } from './contract.ts';
import { Batch, BatchParams } from './batches.ts';
import { BeneficiaryBody, FailureCode } from './payouts.ts';

const batchContract = contractsOf('Disbursement batches');
const payoutContract = contractsOf('Payouts');

export const CorrectBatchBody = z
  .strictObject({
    items: z
      .array(z.strictObject({ payoutId: idOf('payout'), beneficiary: BeneficiaryBody }))
      .min(1)
      .max(MAX_BATCH_ITEMS),
    reason: NonBlank(500),
  })
  .meta({ id: 'CorrectBatchBody' });

export const correctBatch = batchContract('correctBatch', 'Correct failed payouts of a batch with a new, linked batch', {
  description:
    'Each item names a `failed` payout of the batch not corrected before (else 409 invalid_state naming it). The new batch ' +
    "has one row per item with the failed row's amount and memo, `correctionOf` = the batch, under every rule of a new batch.",
  params: BatchParams,
  body: CorrectBatchBody,
  responses: { 201: { description: 'The correcting batch, pending approval', schema: Batch } },
  errors: ['invalid_state', 'insufficient_allocation'],
});

const Sum = { count: z.number().int().min(0), amount: Total };

export const FailureSummary = z
  .object({
    total: z.object(Sum),
    byCode: z.array(z.object({ failureCode: FailureCode, ...Sum })),
    byAge: z
      .array(z.object({ age: z.enum(AGE_BUCKETS), ...Sum }))
      .meta({ description: 'Age since the failure; every bucket, youngest first.' }),
  })
  .meta({ id: 'FailureSummary' });

export const getPayoutFailures = payoutContract('getPayoutFailures', 'The failed payouts not yet corrected, by failure code and by age', {
  description:
    'Counts and amounts of the failed payouts that no correction links yet (`correctedBy` null), for every fund, a fund, ' +
    'a county or a county of a fund. Age is in whole UTC days since the day of the failure. A finance system names a ' +
    'fund it pays (`fundId`, else 400; another system’s fund is 404). Payouts failed before revision 1.2 are not counted.',
  errors: ['not_found'],
  query: z.strictObject({ fundId: idOf('fund').optional(), countyCode: CountyCode.optional() }),
  responses: { 200: { description: 'The failures summary', schema: FailureSummary } },
});
