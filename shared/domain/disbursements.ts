/**
 * Disbursements under maker-checker rules, as pure decisions: who may approve, reject or cancel,
 * when an approval completes the set, and which status a settlement leads to. The data layer turns
 * these decisions into conditional transactions; conditions re-check them at commit time.
 */
import { DomainError, invalidState } from './errors.ts';
import type { Role } from './roles.ts';
import { maskBeneficiary, type Beneficiary, type SettlementOutcome } from './payouts.ts';
import { hasBlockingFlag, type Flag } from './warning-rules.ts';
import { verificationPending, type ItemVerification, type VerificationCounts } from './account-verification.ts';

export const DISBURSEMENT_STATUSES = [
  'pending_approval',
  'in_notice',
  'approved',
  'paid',
  'payout_failed',
  'rejected',
  'cancelled',
] as const;
export type DisbursementStatus = (typeof DISBURSEMENT_STATUSES)[number];

export const PURPOSES = ['infrastructure', 'training', 'produce-subsidy', 'logistics', 'station-setup', 'other'] as const;
export type Purpose = (typeof PURPOSES)[number];

export const FINAL_STATUSES: ReadonlySet<DisbursementStatus> = new Set(['paid', 'payout_failed', 'rejected', 'cancelled']);

/** Every transition the state machine allows; anything else is `invalid_state`. */
export const TRANSITIONS: Readonly<Record<DisbursementStatus, readonly DisbursementStatus[]>> = {
  pending_approval: ['approved', 'in_notice', 'rejected', 'cancelled'],
  // The public notice (公示): it ends (approved) or an upheld objection withdraws it (rejected).
  in_notice: ['approved', 'rejected'],
  approved: ['paid', 'payout_failed'],
  // Stryker disable ArrayDeclaration: a placeholder in a final status's list is no status, so canMove stays false
  paid: [],
  payout_failed: [],
  rejected: [],
  cancelled: [],
  // Stryker restore ArrayDeclaration
};

export function canMove(from: DisbursementStatus, to: DisbursementStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export interface Approval {
  approver: string;
  at: string;
  comment: string | null;
}

export type HistoryAction =
  | 'created'
  | 'approval'
  | 'approved'
  | 'notice_opened'
  | 'notice_ended'
  | 'rejected'
  | 'cancelled'
  | 'paid'
  | 'payout_failed'
  | 'flags_cleared';

export interface HistoryEntry {
  at: string;
  actor: string;
  action: HistoryAction;
  fromStatus: DisbursementStatus | null;
  toStatus: DisbursementStatus;
  reason?: string;
}

export interface Disbursement {
  disbursementId: string;
  fundId: string;
  countyCode: string;
  amount: number;
  currency: 'CNY';
  purpose: Purpose;
  beneficiary: Beneficiary;
  memo: string | null;
  /** The campaign whose subsidy this disbursement draws on, if any. */
  campaignId: string | null;
  status: DisbursementStatus;
  requiredApprovals: number;
  approvals: Approval[];
  requestedBy: string;
  payoutId: string | null;
  /** The public notice the disbursement is posted on (公示), if its fund has a notice period. */
  notice: { noticeId: string; startsAt: string; endsAt: string } | null;
  /** Flags of the warning rules (预警), duplicate screening and account verification among them. */
  flags: ScreeningFlag[];
  /** The account verification the disbursement waits for or passed (null when its fund does not verify). */
  verification: ItemVerification | null;
  /** The failed disbursement this one corrects, and the correction of this one when its payout failed. */
  correctionOf: string | null;
  correctedBy: string | null;
  createdAt: string;
  updatedAt: string;
  history: HistoryEntry[];
}

/** A flag of the warning rules (duplicate screening is one of them): severity, due time, who cleared it. */
export type ScreeningFlag = Flag;

/** Maker-checker: a second approver from the fund's dual-approval threshold on (inclusive). */
export function requiredApprovals(amount: number, dualApprovalThreshold: number): number {
  return amount >= dualApprovalThreshold ? 2 : 1;
}

export interface ApprovalDecision {
  approval: Approval;
  approvals: Approval[];
  /** This approval completes the set: reserve, create the payout, move to `approved`. */
  completes: boolean;
}

type Deciding = Pick<Disbursement, 'status' | 'requestedBy' | 'approvals' | 'requiredApprovals'> & {
  /** Flags: an uncleared `high` one blocks the approval that would complete the set; medium and low do not. */
  flags?: readonly Pick<ScreeningFlag, 'severity' | 'clearedAt'>[];
  /** The account verification (a batch: its rows' counts): pending blocks the approval that would complete the set. */
  verification?: Pick<ItemVerification, 'status'> | Pick<VerificationCounts, 'pending'> | null;
};

export function decideApproval(d: Deciding, approver: string, now: Date, comment?: string): ApprovalDecision {
  if (approver === d.requestedBy) throw new DomainError('self_approval', 'You cannot approve a disbursement you requested');
  if (d.status !== 'pending_approval') throw invalidState(`The disbursement is ${d.status}; only pending_approval can be approved`);
  if (d.approvals.some((a) => a.approver === approver)) {
    throw new DomainError('duplicate_approval', 'You have already approved this disbursement');
  }
  const approval: Approval = { approver, at: now.toISOString(), comment: comment ?? null };
  const approvals = [...d.approvals, approval];
  const completes = approvals.length >= d.requiredApprovals;
  if (completes && verificationPending(d.verification ?? null)) {
    throw new DomainError('account_unverified', 'The account verification this request needs is still pending');
  }
  if (completes && hasBlockingFlag(d.flags ?? [])) {
    throw new DomainError('flagged', 'The request has a high flag that a fund-admin must clear before the final approval');
  }
  return { approval, approvals, completes };
}

export function decideRejection(d: Pick<Disbursement, 'status' | 'requestedBy'>, approver: string): void {
  if (approver === d.requestedBy) throw new DomainError('self_approval', 'You cannot reject a disbursement you requested');
  if (d.status !== 'pending_approval') throw invalidState(`The disbursement is ${d.status}; only pending_approval can be rejected`);
}

export function decideCancellation(d: Pick<Disbursement, 'status' | 'requestedBy'>, caller: { sub: string; roles: readonly Role[] }): void {
  if (caller.sub !== d.requestedBy && !caller.roles.includes('fund-admin')) {
    throw new DomainError('forbidden', 'Only its requester or a fund admin may cancel a disbursement');
  }
  if (d.status !== 'pending_approval') throw invalidState(`The disbursement is ${d.status}; only pending_approval can be cancelled`);
}

export const settlementStatus = (outcome: SettlementOutcome): DisbursementStatus => (outcome === 'succeeded' ? 'paid' : 'payout_failed');

/** Statuses the county report counts, with their attribute stem. */
const STATS_NAME: Partial<Record<DisbursementStatus, string>> = {
  pending_approval: 'pendingApproval',
  in_notice: 'inNotice',
  approved: 'approved',
  paid: 'paid',
  payout_failed: 'payoutFailed',
};

/** Count and amount deltas for the county report when a disbursement moves `from → to` (null: created). */
export function statsMove(from: DisbursementStatus | null, to: DisbursementStatus, amount: number): Record<string, number> {
  const deltas: Record<string, number> = {};
  const out = from ? STATS_NAME[from] : undefined;
  const into = STATS_NAME[to];
  if (out) {
    deltas[`${out}Count`] = -1;
    deltas[`${out}Amount`] = -amount;
  }
  if (into) {
    deltas[`${into}Count`] = 1;
    deltas[`${into}Amount`] = amount;
  }
  return deltas;
}

export function maskDisbursement(d: Disbursement): Disbursement {
  return { ...d, beneficiary: maskBeneficiary(d.beneficiary) };
}

/**
 * Who asked for a stored disbursement or batch: `requestedBy`, or on a disbursement stored without it (its stored
 * form leaves it out), the actor of its history's first entry, which is always its creation.
 */
export function requesterOf(item: { requestedBy?: unknown; history?: unknown }): string | undefined {
  if (typeof item.requestedBy === 'string') return item.requestedBy;
  const first = Array.isArray(item.history) ? (item.history[0] as { action?: unknown; actor?: unknown } | undefined) : undefined;
  return first?.action === 'created' && typeof first.actor === 'string' ? first.actor : undefined;
}
