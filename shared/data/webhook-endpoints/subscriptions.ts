/**
 * Which event types anyone listens to, for the producers of events (an event nobody subscribes to is
 * written finished, outside the outbox: ../platform/events.ts `eventStep`).
 */
import type { EventType } from '../../domain/events.ts';
import { queryPages } from '../platform/query.ts';
import { ALL_ENDPOINTS } from './items.ts';

/** Whether some enabled endpoint subscribes to an event type, as the endpoints stood at one read. */
export type Subscribed = (eventType: EventType) => boolean;

/**
 * The types some enabled endpoint subscribes to, read when an event is written (../platform/events.ts): one
 * query of the listing index, which carries `status` and `events` (0.5 read units per 4 KB, about 25 endpoints),
 * per request, never cached longer. An endpoint created at the same moment may be missed, as one created just
 * after (API.md promises no event from before an endpoint exists; a payment instruction waits for its endpoint).
 *
 * It reads every endpoint, not only the paying finance system's (`WHES#FINANCE#<sub>`), because any endpoint may
 * receive the events of the money path: `disbursement.approved`, `payout.settled` and `payout.failed` go to every
 * enabled endpoint subscribed to them, a fund-admin's (an observer, of every fund) and any finance system's alike
 * (masked unless it pays the fund, API.md "Webhooks"); only `account.verification_requested` goes to the paying
 * system's endpoints alone (PAYER_ONLY_EVENTS, verifications/plan.ts `payerSubscribes`). Issue 21: 2 reads a
 * lifecycle (approval, settlement), about 2,000 read units/s of the index partition's 3,000 at 2,000 payouts/s.
 */
export async function subscribedEventTypes(): Promise<Subscribed> {
  const types = new Set<string>();
  const read = queryPages({
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :list',
    FilterExpression: '#status = :enabled',
    ProjectionExpression: '#events',
    ExpressionAttributeNames: { '#status': 'status', '#events': 'events' },
    ExpressionAttributeValues: { ':list': ALL_ENDPOINTS, ':enabled': 'enabled' },
  });
  for await (const page of read) for (const item of page) for (const type of (item.events as string[] | undefined) ?? []) types.add(type);
  return (eventType) => types.has('*') || types.has(eventType);
}

/**
 * The subscriptions of one request (its retries included), read at its first event and never again: call the
 * returned function wherever an event is written. Nothing outlives the request, so an endpoint created meanwhile in
 * another process is seen by the next request.
 */
export function subscriptionsOnce(): () => Promise<Subscribed> {
  let read: Promise<Subscribed> | undefined;
  return () => (read ??= subscribedEventTypes());
}
