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
  'fund.alert',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Events whose delivery waits for a subscriber instead of being dropped when nobody listens. */
export const WAITS_FOR_SUBSCRIBER: ReadonlySet<EventType> = new Set(['payout.requested']);

/**
 * An event's `data` as every reader but the paying finance system's endpoints sees it: a payment
 * instruction with the account masked; every other event is stored in its public (masked) form already.
 */
export function publicEventData(eventType: EventType, data: Record<string, unknown>): Record<string, unknown> {
  if (eventType !== 'payout.requested') return data;
  return maskPayout(data as unknown as Payout) as unknown as Record<string, unknown>;
}
