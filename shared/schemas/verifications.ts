/**
 * Account verification (API.md 1.2): the listing a finance system polls and its answer, both served by the payouts
 * function (functions/http/payouts.ts).
 */
import * as z from 'zod';
import { VERIFICATION_STATUSES } from '../domain/account-verification.ts';
import { NonBlank, Timestamp, idOf } from './common.ts';
import { contractsOf, listQuery, pageResponse } from './contract.ts';

const contract = contractsOf('Account verification');

export const VerificationStatus = z.enum(VERIFICATION_STATUSES).meta({ id: 'VerificationStatus' });

/** A disbursement's `verification` (null when its fund does not verify). */
export const ItemVerification = z
  .object({
    verificationId: idOf('verification'),
    status: VerificationStatus,
    bankAccountName: z.string().nullable(),
    checkedAt: Timestamp.nullable(),
  })
  .meta({ id: 'ItemVerification' });

const Count = z.number().int().min(0);

/** A batch's `verifications`: its rows counted by the status of their account's verification (null when the fund does not verify). */
export const VerificationCounts = z
  .object({ pending: Count, match: Count, closeMatch: Count, noMatch: Count, notPossible: Count })
  .meta({ id: 'VerificationCounts' });

export const AccountVerification = z
  .object({
    verificationId: idOf('verification'),
    fundId: idOf('fund'),
    status: VerificationStatus,
    bankName: z.string(),
    accountName: z.string(),
    accountNumber: z
      .string()
      .meta({ description: "In full for the fund's paying finance system, masked (`****1234`) for every other reader." }),
    bankAccountName: z.string().nullable(),
    requestedAt: Timestamp,
    checkedAt: Timestamp.nullable(),
  })
  .meta({ id: 'AccountVerification' });

export const listAccountVerifications = contract(
  'listAccountVerifications',
  'List account verifications (a finance system polls its funds’ pending ones)',
  {
    query: listQuery({ fundId: idOf('fund').optional(), status: VerificationStatus.optional() }),
    responses: pageResponse('A page of verifications', AccountVerification, 'AccountVerificationPage'),
  },
);

export const AnswerVerificationBody = z
  .strictObject({
    result: z.enum(['match', 'close_match', 'no_match', 'not_possible']),
    bankAccountName: NonBlank(200).optional().meta({ description: 'The name the bank holds; required with close_match.' }),
  })
  .superRefine((b, ctx) => {
    if (b.result === 'close_match' && b.bankAccountName === undefined) {
      ctx.addIssue({ code: 'custom', path: ['bankAccountName'], message: 'required when result is close_match' });
    }
  })
  .meta({ id: 'AnswerVerificationBody' });

export const answerAccountVerification = contract(
  'answerAccountVerification',
  'Answer an account verification (the fund’s paying finance system)',
  {
    description:
      'Any answer but `match` adds a high flag to every item waiting for it. The same result again is a no-op; another ' +
      'result is 409 invalid_state. To anyone but the paying finance system the verification is 404 not_found.',
    params: z.strictObject({ verificationId: idOf('verification') }),
    body: AnswerVerificationBody,
    responses: { 200: { description: 'The verification with its answer', schema: AccountVerification } },
    errors: ['invalid_state'],
  },
);
