/**
 * Duplicate-beneficiary screening, as pure rules: how an account number is compared (a keyed hash,
 * never the number itself), which earlier uses of an account count (same fund, last 365 days, not
 * rejected or cancelled, not the item itself) and who may clear the flags. The flag itself, its severity and
 * the rows of a batch that repeat an account are the warning rules' (`duplicate_beneficiary`, ./warning-rules.ts). Duplicate and fictitious beneficiaries are the fraud relief programmes report most;
 * a flag blocks the final approval until a fund-admin other than the requester clears it with a reason.
 */
import { createHmac } from 'node:crypto';
import { DomainError, invalidState } from './errors.ts';

export const SCREENING_WINDOW_DAYS = 365;
const DAY_MS = 86_400_000;

/** Account numbers as people type them: spaces and hyphens are layout, not part of the number. */
export function normalizeAccountNumber(accountNumber: string): string {
  return accountNumber.replace(/[\s-]/g, '');
}

/**
 * Keyed hash (HMAC-SHA256, hex) of a normalized account number. Keyed, because bank card numbers have
 * a known structure (BIN + Luhn digit) and an unkeyed hash of one is reversed by enumeration.
 */
export function accountHash(accountNumber: string, screeningKey: string): string {
  return createHmac('sha256', screeningKey)
    .update(`account:${normalizeAccountNumber(accountNumber)}`)
    .digest('hex');
}

/** The earliest creation time that still counts as a match at `now`. */
export function screeningCutoff(now: Date): Date {
  return new Date(now.getTime() - SCREENING_WINDOW_DAYS * DAY_MS);
}

/** An earlier disbursement or batch row paying an account, as the index records it. */
export interface AccountUse {
  /** `dsb_…` or `bat_…`. */
  ref: string;
  at: string;
}

/** Rejected or cancelled items never pay, so they never make a later one a duplicate. */
export const NON_MATCHING_STATUSES: ReadonlySet<string> = new Set(['rejected', 'cancelled']);

/**
 * The ids an item matches: earlier uses within the window whose item is still live (`statusOf`
 * undefined means the item does not exist, e.g. a batch whose creation failed after its index entries
 * were written), never the item itself; each id once, in the order of first use.
 */
export function matchingRefs(
  uses: readonly AccountUse[],
  statusOf: (ref: string) => string | undefined,
  now: Date,
  self?: string,
): string[] {
  const cutoff = screeningCutoff(now).toISOString();
  const refs: string[] = [];
  for (const use of uses) {
    if (use.at < cutoff || use.ref === self || refs.includes(use.ref)) continue;
    const status = statusOf(use.ref);
    if (status === undefined || NON_MATCHING_STATUSES.has(status)) continue;
    refs.push(use.ref);
  }
  return refs;
}

/**
 * Who may clear: a fund-admin (the route says so) who did not request the item, while it still waits
 * for approval and has a flag to clear.
 */
export function decideClearFlags(item: { status: string; requestedBy: string; uncleared: number }, caller: string): void {
  if (caller === item.requestedBy) throw new DomainError('self_approval', 'You cannot clear the screening flags of your own request');
  if (item.status !== 'pending_approval')
    throw invalidState(`The request is ${item.status}; flags are cleared only while it is pending_approval`);
  if (item.uncleared === 0) throw invalidState('There is no screening flag to clear');
}
