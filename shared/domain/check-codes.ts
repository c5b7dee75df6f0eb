/**
 * The codes of the checks on an item the fund is asked to pay: the flags its warning rules and its account
 * verification raise, and the verification's statuses with the names a batch counts them under. Plain lists,
 * imported by nothing else, so that the console (a browser bundle, no Node) labels exactly the codes the API
 * can give: ./warning-rules.ts and ./account-verification.ts re-export them.
 */

export const RULE_CODES = ['duplicate_beneficiary', 'large_amount', 'repeat_payee', 'shared_account', 'blocked_account'] as const;
export type RuleCode = (typeof RULE_CODES)[number];

/** Flags that account verification raises (always `high`). */
export const VERIFICATION_FLAG_CODES = ['account_close_match', 'account_no_match', 'account_not_verified'] as const;
export type VerificationFlagCode = (typeof VERIFICATION_FLAG_CODES)[number];

/** Every flag code an item can carry. */
export const FLAG_CODES = [...RULE_CODES, ...VERIFICATION_FLAG_CODES] as const;
export type FlagCode = (typeof FLAG_CODES)[number];

export const VERIFICATION_STATUSES = ['pending', 'match', 'close_match', 'no_match', 'not_possible'] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

/** A batch's `verifications`: its rows counted by the status of their account's verification. */
export interface VerificationCounts {
  pending: number;
  match: number;
  closeMatch: number;
  noMatch: number;
  notPossible: number;
}

/** The name a batch's `verifications` counts each status under. */
export const VERIFICATION_COUNT_NAMES: Readonly<Record<VerificationStatus, keyof VerificationCounts>> = {
  pending: 'pending',
  match: 'match',
  close_match: 'closeMatch',
  no_match: 'noMatch',
  not_possible: 'notPossible',
};
