/**
 * Payouts: one transfer of money to a beneficiary, told to the finance system by webhook and
 * settled by it. Pure rules only: the statuses, which moves are allowed, and what settlement does.
 */
import { DomainError, invalidState } from './errors.ts';
import { maskAccountNumber } from './masking.ts';
import type { FailureCode } from './failure-codes.ts';

export const PAYOUT_STATUSES = ['queued', 'sent', 'settled', 'failed', 'delivery_failed'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

export const BENEFICIARY_KINDS = ['county', 'station', 'cooperative', 'farmer'] as const;
export type BeneficiaryKind = (typeof BENEFICIARY_KINDS)[number];

export interface BankAccount {
  bankName: string;
  accountName: string;
  accountNumber: string;
}

export interface Beneficiary {
  kind: BeneficiaryKind;
  name: string;
  stationId?: string;
  account: BankAccount;
}

export interface Payout {
  payoutId: string;
  disbursementId: string | null;
  batchId: string | null;
  fundId: string;
  countyCode: string;
  amount: number;
  currency: 'CNY';
  beneficiary: Beneficiary;
  status: PayoutStatus;
  attempts: number;
  createdAt: string;
  sentAt: string | null;
  settledAt: string | null;
  bankReference: string | null;
  failureCode: FailureCode | null;
  failureReason: string | null;
  /** The disbursement or batch that corrects this failed payout (API.md 1.2), else null. */
  correctedBy: string | null;
}

/** A payout as an approval creates it: queued, nothing sent, settled or failed yet. */
export function queuedPayout(
  facts: Pick<Payout, 'payoutId' | 'disbursementId' | 'batchId' | 'fundId' | 'countyCode' | 'amount' | 'beneficiary'>,
  createdAt: string,
): Payout {
  return {
    ...facts,
    currency: 'CNY',
    status: 'queued',
    attempts: 0,
    createdAt,
    sentAt: null,
    settledAt: null,
    bankReference: null,
    failureCode: null,
    failureReason: null,
    correctedBy: null,
  };
}

export type SettlementOutcome = 'succeeded' | 'failed';

export interface Settlement {
  outcome: SettlementOutcome;
  bankReference?: string;
  failureCode?: FailureCode;
  failureReason?: string;
}

/** Statuses from which the finance system may report an outcome (it may have acted on a delivery whose reply was lost). */
export const SETTLEABLE: ReadonlySet<PayoutStatus> = new Set(['queued', 'sent', 'delivery_failed']);

export const outcomeStatus = (outcome: SettlementOutcome): PayoutStatus => (outcome === 'succeeded' ? 'settled' : 'failed');

/**
 * What a settlement report means for a payout in its current status:
 * `apply` (move it), `repeat` (the same final outcome again: answer with the payout unchanged).
 * A contradicting outcome after a final one is `invalid_state`.
 */
export function decideSettlement(status: PayoutStatus, outcome: SettlementOutcome): 'apply' | 'repeat' {
  if (SETTLEABLE.has(status)) return 'apply';
  if (status === outcomeStatus(outcome)) return 'repeat';
  throw invalidState(`The payout is already ${status}; a ${outcome} settlement contradicts it`);
}

/** A redelivery re-arms the `payout.requested` event; only once its retries ran out. */
export function assertRedeliverable(status: PayoutStatus): void {
  if (status !== 'delivery_failed') {
    throw invalidState(`Only a delivery_failed payout can be redelivered; this one is ${status}`);
  }
}

/** Whether the webhook worker's acknowledgement moves the payout to `sent` (idempotent otherwise). */
export const becomesSent = (status: PayoutStatus): boolean => status === 'queued' || status === 'delivery_failed';

export function maskBeneficiary(beneficiary: Beneficiary): Beneficiary {
  return { ...beneficiary, account: { ...beneficiary.account, accountNumber: maskAccountNumber(beneficiary.account.accountNumber) } };
}

export function maskPayout(payout: Payout): Payout {
  return { ...payout, beneficiary: maskBeneficiary(payout.beneficiary) };
}

export function assertSettlementComplete(s: Settlement): void {
  if (s.outcome === 'succeeded' && !s.bankReference) {
    throw new DomainError('validation_failed', 'bankReference is required when the outcome is succeeded', [
      { path: 'body.bankReference', message: 'required when outcome is succeeded' },
    ]);
  }
  if (s.outcome === 'failed' && !s.failureReason && !s.failureCode) {
    throw new DomainError('validation_failed', 'failureCode or failureReason is required when the outcome is failed', [
      { path: 'body.failureReason', message: 'failureCode or failureReason is required when outcome is failed' },
    ]);
  }
}
