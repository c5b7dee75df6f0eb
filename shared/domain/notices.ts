/**
 * Public notice (公示) rules, as pure decisions: which approvals open a notice, how a name is shown on
 * it, when an objection is accepted, who may resolve one, and what an item's status becomes.
 * The data layer (shared/data/notices/items.ts) turns these into conditional transactions.
 */
import { durationMs } from './durations.ts';
import { DomainError, invalidState } from './errors.ts';
import type { BeneficiaryKind } from './payouts.ts';

export const NOTICE_STATUSES = ['open', 'closed'] as const;
export type NoticeStatus = (typeof NOTICE_STATUSES)[number];

export const NOTICE_ITEM_STATUSES = ['listed', 'objected', 'withdrawn', 'proceeding', 'paid'] as const;
export type NoticeItemStatus = (typeof NOTICE_ITEM_STATUSES)[number];

export const OBJECTION_STATUSES = ['open', 'upheld', 'dismissed'] as const;
export type ObjectionStatus = (typeof OBJECTION_STATUSES)[number];
export type ObjectionOutcome = Exclude<ObjectionStatus, 'open'>;

/** At most this many open (unresolved) objections per notice item (the contract's limit): resolved ones do not count. */
export const MAX_OBJECTIONS_PER_ITEM = 20;

/** Relief money to named people is posted: farmers and cooperatives. */
const NOTICED_KINDS: ReadonlySet<BeneficiaryKind> = new Set(['farmer', 'cooperative']);

export function isNoticed(kind: BeneficiaryKind): boolean {
  return NOTICED_KINDS.has(kind);
}

/** The notice's end, or undefined when the fund posts no notice (a zero or unreadable period). */
export function noticeEnd(noticePeriod: string, approvedAt: Date): Date | undefined {
  const ms = durationMs(noticePeriod) ?? 0;
  return ms > 0 ? new Date(approvedAt.getTime() + ms) : undefined;
}

/** `王小明` → `王**`: the first character, every other one masked (by code point, so 𠀀 counts once). */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length === 0) return '*';
  return chars[0] + '*'.repeat(Math.max(chars.length - 1, 1));
}

export interface ObjectableItem {
  status: NoticeItemStatus;
  openObjections: number;
}

/** An objection is accepted while the notice is open and before it ends, on an item still posted. */
export function decideObjection(notice: { status: NoticeStatus; endsAt: string }, item: ObjectableItem, now: Date): void {
  if (notice.status !== 'open' || now.getTime() >= Date.parse(notice.endsAt)) {
    throw invalidState('The notice has ended; objections are no longer accepted');
  }
  if (item.status !== 'listed' && item.status !== 'objected') throw invalidState(`The item is ${item.status}`);
  if (item.openObjections >= MAX_OBJECTIONS_PER_ITEM) {
    throw invalidState(`The item already has ${MAX_OBJECTIONS_PER_ITEM} open objections`);
  }
}

/** Four eyes: whoever requested or approved the item does not decide on an objection to it. */
export function decideResolution(objection: { status: ObjectionStatus }, deciders: readonly string[], resolver: string): void {
  if (deciders.includes(resolver)) {
    throw new DomainError('self_approval', 'You requested or approved this item; another fund admin must resolve objections to it');
  }
  if (objection.status !== 'open') throw invalidState(`The objection is already ${objection.status}`);
}

/**
 * What an item becomes when an objection to it is resolved. Upheld withdraws it (for good). Dismissed
 * leaves it held while other objections are open; else it is listed again, or proceeds at once when
 * the notice has closed in the meantime.
 */
export function itemAfterResolution(
  item: { status: NoticeItemStatus; openObjections: number },
  outcome: ObjectionOutcome,
  noticeClosed: boolean,
): NoticeItemStatus {
  if (item.status === 'withdrawn' || item.status === 'proceeding' || item.status === 'paid') return item.status;
  if (outcome === 'upheld') return 'withdrawn';
  if (item.openObjections > 1) return 'objected';
  return noticeClosed ? 'proceeding' : 'listed';
}

/** Once the notice has ended, an item without an open objection proceeds; a held one waits for its resolution. */
export function itemAtNoticeEnd(status: NoticeItemStatus, notice: NoticeStatus): NoticeItemStatus {
  return status === 'listed' && notice === 'closed' ? 'proceeding' : status;
}
