/** Why a payout failed, as the paying finance system reports it (API 1.2, Payouts and settlement). */
export const FAILURE_CODES = [
  'account_closed',
  'account_frozen',
  'invalid_account',
  'name_mismatch',
  'beneficiary_deceased',
  'limit_exceeded',
  'bank_rejected',
  'technical',
  'unspecified',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/** A failed settlement that names no code. */
export const DEFAULT_FAILURE_CODE: FailureCode = 'unspecified';
