/**
 * Which event types anyone listens to, for the producers of events (an event nobody subscribes to is
 * written finished, outside the outbox: ../platform/events.ts `eventStep`).
 */
import type { EventType } from '../../domain/events.ts';
import { keys } from '../platform/keys.ts';
import { queryAll, queryPages, readByKeys } from '../platform/query.ts';
import { entrySubscribes, readCopy } from './copies.ts';
import { ALL_ENDPOINTS, signingSecrets, toEndpoint, type DeliveryTarget } from './items.ts';

/** Whether some enabled endpoint subscribes to an event type, as the endpoints stood at one read. */
export type Subscribed = (eventType: EventType) => boolean;

/**
 * The types some enabled endpoint subscribes to, read when an event is written (../platform/events.ts): one copy of
 * the subscriptions (./copies.ts, 0.5 read units per 4 KB, about 25 endpoints) per request, never cached longer; on a
 * table whose copies are not complete yet, one query of the listing index, which carries `status` and `events`. An
 * endpoint created at the same moment may be missed, as one created just after (API.md promises no event from before
 * an endpoint exists; a payment instruction waits for its endpoint).
 *
 * It reads every endpoint, not only the paying finance system's (`WHES#FINANCE#<sub>`), because any endpoint may
 * receive the events of the money path: `disbursement.approved`, `payout.settled` and `payout.failed` go to every
 * enabled endpoint subscribed to them, a fund-admin's (an observer, of every fund) and any finance system's alike
 * (masked unless it pays the fund, API.md "Webhooks"); only `account.verification_requested` goes to the paying
 * system's endpoints alone (PAYER_ONLY_EVENTS, `financeSystemSubscribes`). Issue 21: 2 reads a lifecycle (approval,
 * settlement), about 2,000 read units/s at 2,000 payouts/s, spread over the copies.
 */
export async function subscribedEventTypes(): Promise<Subscribed> {
  const types = new Set<string>();
  const copy = await readCopy();
  if (copy) {
    for (const entry of copy.values()) if (entry.status === 'enabled') for (const type of entry.events) types.add(type);
    return (eventType) => types.has('*') || types.has(eventType);
  }
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
 * Whether an enabled endpoint of one finance system subscribes to an event type now (for a paying system's
 * `account.verification_requested`, ../verifications/plan.ts `payerSubscribes`): from one copy of the subscriptions,
 * no endpoint item read; on a table whose copies are not complete yet, from the delivery targets.
 */
export async function financeSystemSubscribes(financeSystem: string, eventType: EventType, now: Date): Promise<boolean> {
  const copy = await readCopy();
  if (!copy) return (await deliveryTargets(eventType, now)).some((target) => target.financeSystem === financeSystem);
  return [...copy.values()].some(
    (entry) => entry.status === 'enabled' && entry.financeSystem === financeSystem && entrySubscribes(entry, eventType),
  );
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

/** Enabled endpoints subscribed to an event type, with the secrets that sign now. */
export async function deliveryTargets(eventType: EventType, now: Date): Promise<DeliveryTarget[]> {
  return (await enabledEndpoints(now)).filter((target) => entrySubscribes(target, eventType));
}

export interface DeliveryTargetLookup {
  (eventType: EventType, now: Date): Promise<DeliveryTarget[]>;
  /** An endpoint this invocation disabled (410 Gone): not a target for the rest of it. */
  disabled(endpointId: string): void;
}

/**
 * `deliveryTargets` for one worker invocation (an SQS batch): every enabled endpoint is read once, on
 * first use, and each event type takes its subscribers from that list. Short-lived on purpose: an
 * endpoint added, removed or rotated is seen by the next batch.
 */
export function deliveryTargetsOnce(): DeliveryTargetLookup {
  let enabled: Promise<DeliveryTarget[]> | undefined;
  const gone = new Set<string>();
  const lookup = async (eventType: EventType, now: Date) => {
    enabled ??= enabledEndpoints(now);
    return (await enabled).filter((target) => !gone.has(target.endpointId) && entrySubscribes(target, eventType));
  };
  return Object.assign(lookup, { disabled: (endpointId: string) => void gone.add(endpointId) });
}

/**
 * The enabled endpoints with their signing secrets: the enabled ones of a copy of the subscriptions, read by key for
 * their URL and secrets (or, on a table whose copies are not complete yet, the listing index). The copy (and the
 * index) is eventually consistent, so the endpoints are read so too (half the read units): a change of a moment ago
 * (a new URL, a rotated secret: the old one signs for 24 h, a deletion) may not have reached this delivery yet, as if
 * it had started a moment earlier.
 */
async function enabledEndpoints(now: Date): Promise<DeliveryTarget[]> {
  const copy = await readCopy();
  const items = copy
    ? await enabledOf(copy)
    : await queryAll(
        {
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :list',
          FilterExpression: '#status = :enabled',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':list': ALL_ENDPOINTS, ':enabled': 'enabled' },
        },
        { consistent: false },
      );
  return items.map((item) => ({ ...toEndpoint(item), secrets: signingSecrets(item, now) }));
}

/** The endpoint items of a copy's enabled entries, in endpoint id order (as the listing gave them). */
async function enabledOf(copy: Map<string, { status: string }>): Promise<Record<string, unknown>[]> {
  const ids = [...copy].filter(([, entry]) => entry.status === 'enabled').map(([endpointId]) => keys.webhookEndpoint(endpointId));
  const items = await readByKeys(ids, undefined, false);
  return items.filter((item) => item.status === 'enabled').sort((a, b) => String(a.endpointId).localeCompare(String(b.endpointId)));
}
