/** Webhook event types of the contract. */
export const EVENT_TYPES = [
  'disbursement.approved',
  'payout.requested',
  'payout.settled',
  'payout.failed',
  'payout.delivery_failed',
  'campaign.launched',
  'campaign.cancelled',
  'station.activated',
  'station.suspended',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Events whose delivery waits for a subscriber instead of being dropped when nobody listens. */
export const WAITS_FOR_SUBSCRIBER: ReadonlySet<EventType> = new Set(['payout.requested']);
