/**
 * Account verification (API.md 1.2), as pure rules. A fund with `accountVerification: required` has each
 * distinct account it is asked to pay (bank name, account name, account number) checked by its paying
 * finance system before the final approval: one verification per distinct account, an answer reused for
 * 180 days, `pending` blocks the final approval (`account_unverified`), and any answer but `match`
 * becomes a high flag on every item that waits for it.
 *
 * Accounts are looked up under a secret key only (`verificationKey`, an HMAC), never a plain hash: an
 * account number has too little entropy for an unkeyed hash to hide it.
 */
import { createHmac } from 'node:crypto';
import { VERIFICATION_COUNT_NAMES, type VerificationCounts, type VerificationStatus } from './check-codes.ts';
import { DomainError, invalidState, notFound } from './errors.ts';
import { maskAccountNumber } from './masking.ts';
import type { BankAccount } from './payouts.ts';
import { normalizeAccountNumber } from './screening.ts';
import { accountNameKey, raiseFlag, type Flag, type VerificationFlagCode } from './warning-rules.ts';

// The statuses and their count names live where the console can read them too (no Node there).
export { VERIFICATION_STATUSES, type VerificationCounts, type VerificationStatus } from './check-codes.ts';
export type VerificationResult = Exclude<VerificationStatus, 'pending'>;

export const ACCOUNT_VERIFICATION_SETTINGS = ['required', 'off'] as const;
export type AccountVerificationSetting = (typeof ACCOUNT_VERIFICATION_SETTINGS)[number];

/** An answer is reused for this long after the bank gave it. */
export const REUSE_DAYS = 180;

/**
 * The one status in which a batch's verifications are still asked for: before its final approval. A rejected or
 * cancelled batch is never paid, so its request job stops (and a batch cannot pass its final approval while rows
 * are still being requested).
 */
export const VERIFIABLE_BATCH_STATUS = 'pending_approval';
const DAY_MS = 86_400_000;

export interface AccountVerification {
  verificationId: string;
  fundId: string;
  status: VerificationStatus;
  /** The account in full: only the paying finance system ever reads it so. */
  account: BankAccount;
  /** The name the bank holds (required with `close_match`). */
  bankAccountName: string | null;
  requestedAt: string;
  checkedAt: string | null;
}

/** A disbursement's (or batch row's) `verification`. */
export interface ItemVerification {
  verificationId: string;
  status: VerificationStatus;
  bankAccountName: string | null;
  checkedAt: string | null;
}

/**
 * The secret-keyed lookup key of a distinct account: bank name and account name trimmed and case-folded,
 * the number without layout. Two requests typing one account differently share one verification.
 */
export function verificationKey(account: BankAccount, secretKey: string): string {
  const canonical = [accountNameKey(account.bankName), accountNameKey(account.accountName), normalizeAccountNumber(account.accountNumber)];
  return createHmac('sha256', secretKey)
    .update(`account-verification:${JSON.stringify(canonical)}`)
    .digest('hex');
}

/**
 * What a new request does about an account the fund may have asked about before: reuse the earlier
 * verification while it is pending (the bank was asked; asking again would only duplicate the work) or
 * while its answer is at most 180 days old; otherwise request a new one.
 */
export function verificationNeed(
  earlier: Pick<AccountVerification, 'status' | 'requestedAt' | 'checkedAt'> | null,
  now: Date,
): 'reuse' | 'request' {
  if (earlier === null) return 'request';
  const cutoff = new Date(now.getTime() - REUSE_DAYS * DAY_MS).toISOString();
  if (earlier.status === 'pending') return earlier.requestedAt >= cutoff ? 'reuse' : 'request';
  // Stryker disable next-line ConditionalExpression: equivalent; an answered verification has its checkedAt, and null >= a date is false anyway
  return earlier.checkedAt !== null && earlier.checkedAt >= cutoff ? 'reuse' : 'request';
}

export function pendingVerification(
  verificationId: string,
  fundId: string,
  account: BankAccount,
  requestedAt: string,
): AccountVerification {
  return { verificationId, fundId, status: 'pending', account: { ...account }, bankAccountName: null, requestedAt, checkedAt: null };
}

export interface VerificationAnswer {
  result: VerificationResult;
  bankAccountName?: string;
}

/** Only the fund's paying finance system answers; to anyone else the verification does not exist. */
export function assertAnswerer(financeSystem: string, caller: string, verificationId: string): void {
  if (caller !== financeSystem) throw notFound(`Account verification ${verificationId}`);
}

/**
 * An answer to a verification in its current status: `apply` the first answer, `repeat` (a no-op 200) the
 * same result again, anything else after an answer is `invalid_state`.
 */
export function decideAnswer(current: Pick<AccountVerification, 'status'>, answer: VerificationAnswer): 'apply' | 'repeat' {
  if (answer.result === 'close_match' && !answer.bankAccountName?.trim()) {
    throw new DomainError('validation_failed', 'bankAccountName is required when the result is close_match', [
      { path: 'body.bankAccountName', message: 'required when result is close_match' },
    ]);
  }
  if (current.status === 'pending') return 'apply';
  if (current.status === answer.result) return 'repeat';
  throw invalidState(`The verification was already answered ${current.status}; ${answer.result} contradicts it`);
}

export function answered(v: AccountVerification, answer: VerificationAnswer, at: Date): AccountVerification {
  return { ...v, status: answer.result, bankAccountName: answer.bankAccountName ?? null, checkedAt: at.toISOString() };
}

const FLAG_OF: Readonly<Record<VerificationResult, VerificationFlagCode | null>> = {
  match: null,
  close_match: 'account_close_match',
  no_match: 'account_no_match',
  not_possible: 'account_not_verified',
};

/** The flag an answer adds to each item waiting for it: high, for every answer but `match`. */
export function flagOfAnswer(v: Pick<AccountVerification, 'verificationId' | 'status'>, at: Date): Flag | null {
  if (v.status === 'pending') return null;
  const code = FLAG_OF[v.status];
  return code === null ? null : raiseFlag(code, 'high', [v.verificationId], at);
}

export const itemVerification = (v: AccountVerification): ItemVerification => ({
  verificationId: v.verificationId,
  status: v.status,
  bankAccountName: v.bankAccountName,
  checkedAt: v.checkedAt,
});

/** The verification as a reader sees it: the paying finance system in full, everyone else masked. */
export function verificationView(v: AccountVerification, fullAccount: boolean): AccountVerification {
  if (fullAccount) return v;
  return { ...v, account: { ...v.account, accountNumber: maskAccountNumber(v.account.accountNumber) } };
}

/** `account.verification_requested`: one account, in full, for the paying finance system's endpoints only. */
export function verificationRequestedData(v: AccountVerification): Record<string, unknown> {
  return {
    verificationId: v.verificationId,
    fundId: v.fundId,
    bankName: v.account.bankName,
    accountName: v.account.accountName,
    accountNumber: v.account.accountNumber,
  };
}

export const emptyVerificationCounts = (): VerificationCounts => ({ pending: 0, match: 0, closeMatch: 0, noMatch: 0, notPossible: 0 });

export function countVerifications(statuses: Iterable<VerificationStatus>): VerificationCounts {
  const counts = emptyVerificationCounts();
  for (const s of statuses) counts[VERIFICATION_COUNT_NAMES[s]] += 1;
  return counts;
}

/** `rows` rows of a batch whose verification moved `from → to`, as deltas on its counts. */
export function verificationCountsMove(from: VerificationStatus, to: VerificationStatus, rows: number): Partial<VerificationCounts> {
  if (from === to || rows === 0) return {};
  return { [VERIFICATION_COUNT_NAMES[from]]: -rows, [VERIFICATION_COUNT_NAMES[to]]: rows };
}

/** Whether the final approval must wait: a single item's verification, or any row of a batch, still pending. */
export const verificationPending = (v: Pick<ItemVerification, 'status'> | Pick<VerificationCounts, 'pending'> | null): boolean =>
  v !== null && ('status' in v ? v.status === 'pending' : v.pending > 0);
