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
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Events whose delivery waits for a subscriber instead of being dropped when nobody listens. */
export const WAITS_FOR_SUBSCRIBER: ReadonlySet<EventType> = new Set(['payout.requested']);
