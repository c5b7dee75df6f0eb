import { maskAccountNumber } from './masking.ts';
import { maskPayout, type Payout } from './payouts.ts';

/** Webhook event types of the contract. */
export const EVENT_TYPES = [
  'disbursement.approved',
  'payout.requested',
  'payout.settled',
  'payout.failed',
  'payout.delivery_failed',
  'campaign.launched',
  'campaign.cancelled',
  'campaign.subsidy_released',
  'station.activated',
  'station.suspended',
  'notice.opened',
  'notice.closed',
  'objection.received',
  'webhook.test',
  'snapshot.created',
  'flag.overdue',
  'account.verification_requested',
  'fund.alert',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Events whose delivery waits for a subscriber instead of being dropped when nobody listens. */
export const WAITS_FOR_SUBSCRIBER: ReadonlySet<EventType> = new Set(['payout.requested']);

/** Events whose stored `data` carries an account in full: the paying finance system's endpoints get it so. */
export const FULL_ACCOUNT_EVENTS: ReadonlySet<EventType> = new Set(['payout.requested', 'account.verification_requested']);

/** Events delivered to the paying finance system's endpoints only (no other subscriber gets them at all). */
export const PAYER_ONLY_EVENTS: ReadonlySet<EventType> = new Set(['account.verification_requested']);

/**
 * An event's `data` as every reader but the paying finance system's endpoints sees it: a payment
 * instruction or a verification request with the account masked; every other event is stored in its
 * public (masked) form already.
 */
export function publicEventData(eventType: EventType, data: Record<string, unknown>): Record<string, unknown> {
  if (eventType === 'account.verification_requested') {
    return { ...data, accountNumber: maskAccountNumber(String(data.accountNumber)) };
  }
  if (eventType !== 'payout.requested') return data;
  return maskPayout(data as unknown as Payout) as unknown as Record<string, unknown>;
}
