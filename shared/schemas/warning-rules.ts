/** Warning rules (预警), flags and the block list (API.md 1.2). */
import * as z from 'zod';
import { FLAG_CODES, MAX_REPEAT_COUNT, MAX_REPEAT_DAYS, RULE_CODES, SEVERITIES } from '../domain/warning-rules.ts';
import { Amount, NonBlank, Timestamp, idOf } from './common.ts';
import { contractsOf, listQuery, pageResponse } from './contract.ts';
import { FundParams } from './funds.ts';
import { AccountNumber } from './payouts.ts';

const contract = contractsOf('Warning rules');

export const Severity = z
  .enum(SEVERITIES)
  .meta({ id: 'Severity', description: 'high blocks the final approval until cleared; medium and low are shown.' });

export const FlagCode = z.enum(FLAG_CODES).meta({ id: 'FlagCode' });

/** A flag on a disbursement (or, with `row`, on a batch row). */
export const Flag = z
  .object({
    code: FlagCode,
    severity: Severity,
    matches: z.array(z.string()).meta({
      description: 'What the flag points at: earlier disbursements or batches, settled payouts, the block-list entry, the verification.',
    }),
    dueAt: Timestamp.meta({ description: 'When the flag should be cleared: 3 days after it was raised (high), 7 (medium), 30 (low).' }),
    clearedBy: z.string().nullable(),
    clearedAt: Timestamp.nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'Flag' });

const NoParams = z.strictObject({});

export const WarningRule = z
  .discriminatedUnion('code', [
    z.strictObject({ code: z.literal('duplicate_beneficiary'), severity: Severity, params: NoParams }),
    z.strictObject({ code: z.literal('large_amount'), severity: Severity, params: z.strictObject({ minAmount: Amount }) }),
    z.strictObject({
      code: z.literal('repeat_payee'),
      severity: Severity,
      params: z.strictObject({
        count: z
          .number()
          .int()
          .min(0)
          .max(MAX_REPEAT_COUNT - 1),
        days: z.number().int().min(1).max(MAX_REPEAT_DAYS),
      }),
    }),
    z.strictObject({ code: z.literal('shared_account'), severity: Severity, params: NoParams }),
    z.strictObject({ code: z.literal('blocked_account'), severity: Severity, params: NoParams }),
  ])
  .meta({ id: 'WarningRule' });

export const WarningRules = z
  .strictObject({
    rules: z
      .array(WarningRule)
      .max(RULE_CODES.length)
      .superRefine((rules, ctx) => {
        const seen = new Set<string>();
        rules.forEach((rule, i) => {
          if (seen.has(rule.code)) ctx.addIssue({ code: 'custom', path: [i, 'code'], message: `${rule.code} appears more than once` });
          seen.add(rule.code);
        });
      }),
  })
  .meta({ id: 'WarningRules' });

export const putWarningRules = contract('putWarningRules', "Set a fund's warning rules (预警)", {
  description:
    'Rules run at the creation of each disbursement and batch row; changing them does not re-run them on existing items. ' +
    'Each code at most once. A fund starts with `duplicate_beneficiary` (high) alone.',
  params: FundParams,
  body: WarningRules,
  responses: { 200: { description: 'The rules now in force', schema: WarningRules } },
});

export const getWarningRules = contract('getWarningRules', "Read a fund's warning rules", {
  params: FundParams,
  responses: { 200: { description: 'The rules in force', schema: WarningRules } },
});

export const BlockedAccountsBody = z
  .strictObject({
    accounts: z
      .array(z.strictObject({ accountNumber: AccountNumber, reason: NonBlank(500) }))
      .min(1)
      .max(10_000),
  })
  .meta({ id: 'BlockedAccountsBody' });

export const BlockedAccount = z
  .object({
    entryId: idOf('blockedAccount'),
    fundId: idOf('fund'),
    accountNumber: z
      .string()
      .meta({ description: 'Masked: `****` and the last four digits. Kept under a secret key only.', example: '****1234' }),
    reason: z.string(),
    addedBy: z.string(),
    addedAt: Timestamp,
  })
  .meta({ id: 'BlockedAccount' });

export const addBlockedAccounts = contract('addBlockedAccounts', "Add accounts to a fund's block list", {
  params: FundParams,
  body: BlockedAccountsBody,
  responses: {
    200: {
      description: 'How many entries were added',
      schema: z.object({ added: z.number().int().min(0) }).meta({ id: 'BlockedAccountsAdded' }),
    },
  },
});

export const listBlockedAccounts = contract('listBlockedAccounts', "List a fund's block list, accounts masked", {
  params: FundParams,
  query: listQuery(),
  responses: pageResponse('A page of block-list entries', BlockedAccount, 'BlockedAccountPage'),
});

export const deleteBlockedAccount = contract(
  'deleteBlockedAccount',
  'Remove a block-list entry (a fund-admin other than the one who added it)',
  {
    params: z.strictObject({ fundId: idOf('fund'), entryId: idOf('blockedAccount') }),
    responses: { 204: { description: 'Removed' } },
    errors: ['self_approval'],
  },
);
