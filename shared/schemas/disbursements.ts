import * as z from 'zod';
import type { ErrorCode } from '../domain/errors.ts';
import { DISBURSEMENT_STATUSES, PURPOSES } from '../domain/disbursements.ts';
import { createDisbursementExamples, approveDisbursementExamples } from './examples.ts';
import { Amount, CountyCode, Currency, NonBlank, Reason, Timestamp, idOf } from './common.ts';
import { contractsOf, listQuery, pageResponse, type Contracts } from './contract.ts';
import { Beneficiary, BeneficiaryBody } from './payouts.ts';
import { Flag } from './warning-rules.ts';
import { ItemVerification } from './verifications.ts';

const contract = contractsOf('Disbursements');

export const DisbursementStatus = z.enum(DISBURSEMENT_STATUSES).meta({ id: 'DisbursementStatus' });

export const CreateDisbursementBody = z
  .strictObject({
    fundId: idOf('fund'),
    countyCode: CountyCode,
    amount: Amount,
    currency: Currency,
    purpose: z.enum(PURPOSES),
    beneficiary: BeneficiaryBody,
    memo: NonBlank(500).optional(),
    campaignId: idOf('campaign').optional().meta({
      description:
        "A campaign of the same county whose subsidy comes from the same fund; purpose must be produce-subsidy. The final approval draws on the campaign's subsidy instead of the allocation's available.",
    }),
  })
  .superRefine((body, ctx) => {
    if (body.campaignId !== undefined && body.purpose !== 'produce-subsidy') {
      ctx.addIssue({
        code: 'custom',
        path: ['purpose'],
        message: 'a disbursement that draws on a campaign subsidy has purpose produce-subsidy',
      });
    }
  })
  .meta({ id: 'CreateDisbursementBody' });

export const ApproveBody = z.strictObject({ comment: NonBlank(500).optional() }).meta({ id: 'ApproveDisbursementBody' });

export const Disbursement = z
  .object({
    disbursementId: idOf('disbursement'),
    fundId: idOf('fund'),
    countyCode: CountyCode,
    amount: Amount,
    currency: Currency,
    purpose: z.enum(PURPOSES),
    beneficiary: Beneficiary,
    memo: z.string().nullable(),
    campaignId: idOf('campaign').nullable(),
    status: DisbursementStatus,
    requiredApprovals: z.number().int().min(1).max(2),
    approvals: z.array(z.object({ approver: z.string(), at: Timestamp, comment: z.string().nullable() })),
    requestedBy: z.string(),
    payoutId: idOf('payout').nullable(),
    notice: z.object({ noticeId: z.string(), startsAt: Timestamp, endsAt: Timestamp }).nullable(),
    flags: z.array(Flag).meta({
      description: 'Flags of the warning rules (预警), duplicate screening among them; a high one blocks the final approval until cleared.',
    }),
    verification: ItemVerification.nullable().meta({
      description:
        'The account verification this disbursement needs (null when its fund does not verify accounts). While `pending`, the final approval is 409 account_unverified.',
    }),
    correctionOf: idOf('disbursement').nullable().meta({ description: 'The payout_failed disbursement this one corrects, else null.' }),
    correctedBy: idOf('disbursement').nullable().meta({ description: 'The disbursement that corrects this one, else null.' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    history: z.array(
      z.object({
        at: Timestamp,
        actor: z.string(),
        action: z.string(),
        // A union, not .nullable(): that renders as allOf [the enum, string or null], which null can never pass.
        fromStatus: z.union([DisbursementStatus, z.null()]),
        toStatus: DisbursementStatus,
        reason: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'Disbursement' });

const DisbursementParams = z.strictObject({ disbursementId: idOf('disbursement') });

/** What creating a request (a disbursement, a batch) answers: the request pending approval, or why it cannot be made. */
export function createdPending(schema: z.ZodType, example: unknown) {
  return {
    responses: { 201: { description: 'Created, pending approval', schema, example } },
    errors: ['not_found', 'insufficient_allocation', 'invalid_state'] satisfies ErrorCode[],
  };
}

export const createDisbursement = contract('createDisbursement', 'Request a disbursement', {
  description:
    'Needs an allocation of the fund for the county (409 insufficient_allocation otherwise); a station beneficiary ' +
    'must be active in that county (409 invalid_state). Two approvals are required from the fund’s dual-approval threshold on. ' +
    'Screening: an account number that another disbursement or batch row of the fund, created in the last 365 days and ' +
    'not rejected or cancelled, also pays gets a `duplicate_beneficiary` flag (compared under a secret key).',
  body: CreateDisbursementBody,
  bodyExample: createDisbursementExamples.body,
  ...createdPending(Disbursement, createDisbursementExamples.response),
});

export const listDisbursements = contract('listDisbursements', 'List disbursements, newest first', {
  query: listQuery({ status: DisbursementStatus.optional(), fundId: idOf('fund').optional(), countyCode: CountyCode.optional() }),
  responses: pageResponse('A page of disbursements', Disbursement, 'DisbursementPage'),
});

export const getDisbursement = contract('getDisbursement', 'Get a disbursement', {
  params: DisbursementParams,
  responses: { 200: { description: 'The disbursement', schema: Disbursement } },
});

export const approveDisbursement = contract('approveDisbursement', 'Approve a disbursement', {
  description:
    'The approval that reaches requiredApprovals reserves the amount on the county allocation, creates the payout ' +
    '(queued) and queues it, all or nothing.',
  params: DisbursementParams,
  body: ApproveBody,
  bodyExample: approveDisbursementExamples.body,
  responses: {
    200: { description: 'The disbursement after the approval', schema: Disbursement, example: approveDisbursementExamples.response },
  },
  errors: ['self_approval', 'duplicate_approval', 'invalid_state', 'insufficient_allocation', 'flagged'],
});

/**
 * Clear the flags of, reject and cancel a pending request, a disbursement or a batch: the same rules (a reason, kept
 * in the audit trail; neither clearing nor rejection by the requester) and the same answers, worded for the request.
 */
export function closeContracts<P>(
  contract: Contracts,
  request: 'disbursement' | 'batch',
  params: z.ZodType<P>,
  schema: z.ZodType,
  clearFlagsDescription: string,
) {
  const name = `${request[0]!.toUpperCase()}${request.slice(1)}`;
  const closing = (operationId: string, summary: string, answer: string, errors: ErrorCode[], description?: string) =>
    contract(operationId, summary, {
      ...(description ? { description } : {}),
      params,
      body: Reason,
      responses: { 200: { description: answer, schema } },
      errors,
    });
  return {
    clearFlags: closing(
      `clear${name}Flags`,
      `Clear the screening flags of a pending ${request} (a fund-admin other than its requester)`,
      `The ${request} with its flags cleared`,
      ['self_approval', 'invalid_state'],
      clearFlagsDescription,
    ),
    reject: closing(`reject${name}`, `Reject a pending ${request}`, `The rejected ${request}`, ['self_approval', 'invalid_state']),
    cancel: closing(`cancel${name}`, `Cancel a pending ${request} (its requester or a fund admin)`, `The cancelled ${request}`, [
      'invalid_state',
    ]),
  };
}

export const {
  clearFlags: clearDisbursementFlags,
  reject: rejectDisbursement,
  cancel: cancelDisbursement,
} = closeContracts(
  contract,
  'disbursement',
  DisbursementParams,
  Disbursement,
  'Clears every screening flag with the reason, which the flags, the history (`flags_cleared`) and the audit trail ' +
    'keep. Until then the approval that would reach requiredApprovals is 409 flagged.',
);

export const CorrectDisbursementBody = z
  .strictObject({ beneficiary: BeneficiaryBody, reason: NonBlank(500) })
  .meta({ id: 'CorrectDisbursementBody' });

export const correctDisbursement = contract('correctDisbursement', 'Correct a payout_failed disbursement with a new, linked request', {
  description:
    'Creates a new disbursement with the same fund, county, amount, purpose, memo and campaign, the corrected beneficiary ' +
    'and `correctionOf`, pending approval under every rule of a new request. The failed one gets `correctedBy`; a second ' +
    'correction of it is 409 invalid_state. Its failed payout is never paid again.',
  params: DisbursementParams,
  body: CorrectDisbursementBody,
  responses: { 201: { description: 'The correction, pending approval', schema: Disbursement } },
  errors: ['invalid_state', 'insufficient_allocation'],
});
