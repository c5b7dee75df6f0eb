/**
 * What the console shows and allows, decided from API data alone (pure, unit-tested). The API keeps
 * every rule; these only disable what it would refuse, with the reason, so nobody clicks into a 403.
 */
import type { components } from '../client/api.d.ts';
import { FLAG_CODES, VERIFICATION_COUNT_NAMES, VERIFICATION_STATUSES, type VerificationCounts } from '../shared/domain/check-codes.ts';
import { FAILURE_CODES } from '../shared/domain/failure-codes.ts';
import type { MessageKey } from './i18n/en.ts';

type Schemas = components['schemas'];
export type Disbursement = Schemas['Disbursement'];
export type Payout = Schemas['Payout'];
export type Role =
  'fund-admin' | 'requester' | 'approver' | 'campaign-operator' | 'station-officer' | 'finance-system' | 'auditor' | 'observer';

export interface Viewer {
  sub: string;
  roles: readonly string[];
}

export type BadgeTone = 'neutral' | 'progress' | 'success' | 'warning' | 'danger';

export interface StatusBadge {
  tone: BadgeTone;
  /** i18n key of the status label. */
  label: `status.${string}`;
}

const TONES: Record<string, BadgeTone> = {
  pending_approval: 'progress',
  applied: 'progress',
  scheduled: 'progress',
  queued: 'progress',
  processing: 'progress',
  sent: 'progress',
  approved: 'success',
  paid: 'success',
  settled: 'success',
  active: 'success',
  completed: 'success',
  ended: 'neutral',
  cancelled: 'neutral',
  rejected: 'neutral',
  suspended: 'warning',
  delivery_failed: 'danger',
  payout_failed: 'danger',
  failed: 'danger',
};

export function statusBadge(status: string): StatusBadge {
  return { tone: TONES[status] ?? 'neutral', label: `status.${status}` };
}

/** The i18n key of why a button is disabled, or null when it may be pressed. */
export type BlockReason = `blocked.${string}` | null;

/**
 * A disbursement or a batch: both follow the same maker-checker rules. `requiredApprovals` (absent: one) says which
 * approval is the final one; `verification` is a disbursement's account verification, `verifications` a batch's
 * counts of its rows' (API.md "Account verification").
 */
export type ApprovalSubject = Pick<Disbursement, 'requestedBy' | 'approvals'> & {
  status: string;
  flags?: unknown;
  requiredApprovals?: number;
  verification?: { status?: unknown } | null;
  verifications?: { pending?: unknown } | null;
  /** A batch's: what the console has read of its row flags' severities (BatchHighFlag). */
  highRowFlag?: BatchHighFlag;
};

/**
 * What the console knows of a batch's high row flags, which its list row (`flags: { count, cleared }`) does not say:
 * `checking` while it reads them, `found` once a row flag it read is high, `none` when it read every page without
 * one, `unknown` when it did not read them or the read failed.
 */
export type BatchHighFlag = 'checking' | 'found' | 'none' | 'unknown';

/** Mirrors the API's maker-checker checks for approve (and, with `action: 'reject'`, reject). */
export function approvalBlock(item: ApprovalSubject, viewer: Viewer, action: 'approve' | 'reject' = 'approve'): BlockReason {
  if (!viewer.roles.includes('approver')) return 'blocked.notApprover';
  if (item.status !== 'pending_approval') return 'blocked.notPending';
  if (item.requestedBy === viewer.sub) return 'blocked.ownRequest';
  if (action === 'reject') return null;
  if (item.approvals.some((a) => a.approver === viewer.sub)) return 'blocked.alreadyApproved';
  // Only the approval that completes the set is refused for these, as the API does (shared/domain/disbursements.ts).
  if (item.approvals.length + 1 < (item.requiredApprovals ?? 1)) return null;
  // The API's 409 `account_unverified`: the bank has not answered yet, so there is nothing to clear.
  if (verificationPending(item)) return 'blocked.verificationPending';
  // The API's 409 `flagged`: no final approval while a high flag stands (a batch's: batchHighFlagStands).
  if (flagsOf(item).some(holdsApproval) || batchHighFlagStands(item)) return 'blocked.highFlag';
  // Until the batch's row flags are read, the approval they can hold waits for the answer: were it allowed meanwhile,
  // the button would change under a keyboard user who reached it.
  if (batchHighFlagChecking(item)) return 'blocked.checkingFlags';
  return null;
}

/** A flag that holds the final approval until a fund-admin clears it: a high one (medium and low only warn). */
export function holdsApproval(flag: Pick<FlagView, 'severity' | 'clearedBy'>): boolean {
  return flag.severity === 'high' && !flag.clearedBy;
}

/**
 * A batch whose row flags the console read up to a high one, not cleared since (clear-flags clears every row's at
 * once). When the read failed it holds nothing: the API still answers 409 `flagged`, as it did before the console
 * read the rows.
 */
function batchHighFlagStands(item: Pick<ApprovalSubject, 'flags' | 'highRowFlag'>): boolean {
  return item.highRowFlag === 'found' && !batchFlagsOf(item).cleared;
}

/** A batch whose row flags, not cleared, the console is still reading for a high one. */
function batchHighFlagChecking(item: Pick<ApprovalSubject, 'flags' | 'highRowFlag'>): boolean {
  const flags = batchFlagsOf(item);
  return item.highRowFlag === 'checking' && flags.count > 0 && !flags.cleared;
}

/** A batch's `flags: { count, cleared }`; none for a single disbursement, whose `flags` is a list. */
function batchFlagsOf(item: { flags?: unknown }): { count: number; cleared: boolean } {
  const flags = item.flags as { count?: unknown; cleared?: unknown } | undefined;
  return flags && !Array.isArray(flags) && typeof flags.count === 'number'
    ? { count: flags.count, cleared: flags.cleared === true }
    : { count: 0, cleared: false };
}

/**
 * Whether reading a batch's row flags can change what the viewer may do: it has flags not cleared, and its high-flag
 * hold is all that stands between this viewer and the approval that completes it. Otherwise the console reads none.
 */
export function batchHighFlagMatters(item: ApprovalSubject, viewer: Viewer): boolean {
  const flags = batchFlagsOf(item);
  if (flags.count === 0 || flags.cleared) return false;
  return (
    approvalBlock({ ...item, highRowFlag: 'unknown' }, viewer) === null && approvalBlock({ ...item, highRowFlag: 'found' }, viewer) !== null
  );
}

/** A disbursement whose account verification is pending, or a batch with a row whose verification is. */
function verificationPending(item: Pick<ApprovalSubject, 'verification' | 'verifications'>): boolean {
  const pending = item.verifications?.pending;
  return item.verification?.status === 'pending' || (typeof pending === 'number' && pending > 0);
}

/** Clearing flags: a fund-admin who did not request it (the API's 403 `self_approval` otherwise). */
export function clearFlagsBlock(item: Pick<ApprovalSubject, 'requestedBy'>, viewer: Viewer): BlockReason {
  if (!viewer.roles.includes('fund-admin')) return 'blocked.clearNotFundAdmin';
  if (item.requestedBy === viewer.sub) return 'blocked.clearOwnRequest';
  return null;
}

/** A flag as the console shows it: severity, due time and message may be missing until the API gives them. */
export interface FlagView {
  code: string;
  severity?: string;
  dueAt?: string;
  message?: string;
  clearedBy?: string | null;
  reason?: string | null;
}

/**
 * The i18n key of a flag code's label, for every code the domain defines (FLAG_CODES: its warning rules' and account
 * verification's); null for a code it does not (a newer API), which the console shows as it is. Typed so that a code
 * the domain adds without a label fails the console's type check.
 */
export function flagCodeKey(code: string): MessageKey | null {
  const known = FLAG_CODES.find((c) => c === code);
  return known ? `flagCode.${known}` : null;
}

/**
 * The i18n key of a failed payout's `failureCode` label, for every code the domain defines (FAILURE_CODES); null for
 * one it does not (a newer API), shown as it is. Typed like flagCodeKey: a code added without a label fails the check.
 */
export function failureCodeKey(code: string): MessageKey | null {
  const known = FAILURE_CODES.find((c) => c === code);
  return known ? `failureCode.${known}` : null;
}

/**
 * The i18n key of an account verification status's label (`match`, `close_match`, …), shared by a disbursement's
 * `verification.status` and a batch's `verifications` counts; null for a status the domain does not define (a newer
 * API), which the console shows as it is. Typed so that a status the domain adds without a label fails the type check.
 */
export function verificationStatusKey(status: string): MessageKey | null {
  const known = VERIFICATION_STATUSES.find((s) => s === status);
  return known ? `verificationStatus.${known}` : null;
}

/**
 * A batch's `verifications` (`{ pending, match, closeMatch, noMatch, notPossible }`, each status under its count name)
 * as the statuses' label keys and counts, in the domain's order, the statuses no row has left out.
 */
export function verificationCountsShown(counts: Partial<VerificationCounts>): { key: MessageKey; count: number }[] {
  return VERIFICATION_STATUSES.flatMap((status) => {
    const count = counts[VERIFICATION_COUNT_NAMES[status]] ?? 0;
    const key = verificationStatusKey(status);
    return count > 0 && key ? [{ key, count }] : [];
  });
}

/**
 * A batch row as people number it. The API's `row` is the 0-based index into the batch's `items` (a creation error
 * names the same index: `items.17.amount`); whoever reads the uploaded rows counts from 1, as the console and the
 * scripts do elsewhere (a reconciliation's `line`, a campaign plan's row): `items.17` is row 18.
 */
export function rowNumber(row: number): number {
  return row + 1;
}

/** How many row flags a batch's flag list has shown out of the batch head's count, and whether more can be asked for. */
export function batchFlagsShown(shown: number, total: number, nextCursor: string | null): { shown: number; total: number; more: boolean } {
  return { shown, total: Math.max(total, shown), more: nextCursor !== null };
}

export function flagsOf(d: { flags?: unknown }): FlagView[] {
  return Array.isArray(d.flags) ? (d.flags as FlagView[]) : [];
}

/** The account verification's status, when the API gives one. */
export function verificationOf(d: object): string | null {
  const v = (d as { verification?: { status?: unknown } | null }).verification;
  return v && typeof v.status === 'string' ? v.status : null;
}

export function redeliverBlock(payout: Pick<Payout, 'status'>, viewer: Viewer): BlockReason {
  if (!viewer.roles.includes('fund-admin')) return 'blocked.notFundAdmin';
  if (payout.status !== 'delivery_failed') return 'blocked.notDeliveryFailed';
  return null;
}

/** Payout lists are for these roles only (shared/routes.ts PAYOUT_READERS); an observer reads them masked. */
export function canReadPayouts(viewer: Viewer): boolean {
  return viewer.roles.some((r) => ['fund-admin', 'finance-system', 'auditor', 'observer'].includes(r));
}

/** Corrections are asked for by the makers (shared/routes.ts MAKERS). */
export function canCorrect(viewer: Viewer): boolean {
  return viewer.roles.some((r) => r === 'fund-admin' || r === 'requester');
}

export function canReadDisbursements(viewer: Viewer): boolean {
  return viewer.roles.some((r) => ['fund-admin', 'requester', 'approver', 'finance-system', 'auditor', 'observer'].includes(r));
}

/**
 * Whether the console shows action columns (approve, reject, redeliver) at all: an observer only reads and the API
 * refuses it every write, so it sees no actions, not even disabled ones. Anyone with another role sees them, disabled
 * with the reason where the API would refuse.
 */
export function showsActions(viewer: Viewer): boolean {
  return viewer.roles.some((r) => r !== 'observer');
}

/** Snapshots and half-year reports (API.md "Where the money stands"). */
export function canReadSnapshots(viewer: Viewer): boolean {
  return viewer.roles.some((r) => r === 'fund-admin' || r === 'auditor' || r === 'observer');
}

export function canReadEndpoints(viewer: Viewer): boolean {
  return viewer.roles.some((r) => r === 'fund-admin' || r === 'auditor');
}

export const PAYOUT_STATUSES = ['queued', 'sent', 'settled', 'failed', 'delivery_failed'] as const;

export interface CountyFigures {
  countyCode: string;
  allocated: number;
  reserved: number;
  paid: number;
  available: number;
}

export function sumBy<T>(items: readonly T[], pick: (item: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}

/** A county as the console names it: its name and its 6-digit code, or the code alone when unknown. */
export function countyLabel(countyCode: string, names: ReadonlyMap<string, string>): string {
  const name = names.get(countyCode);
  return name ? `${name} · ${countyCode}` : countyCode;
}
