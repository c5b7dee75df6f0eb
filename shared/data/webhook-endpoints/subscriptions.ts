/**
 * Which event types anyone listens to, for the producers of events (an event nobody subscribes to is
 * written finished, outside the outbox: ../platform/events.ts `eventStep`).
 */
import type { EventType } from '../../domain/events.ts';
import { keys } from '../platform/keys.ts';
import { queryAll, queryPages, readByKeys } from '../platform/query.ts';
import { entrySubscribes, readCopy, type SubscriptionEntry } from './copies.ts';
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
  return deliveryTargetsOnce()(eventType, now);
}

export interface DeliveryTargetLookup {
  (eventType: EventType, now: Date): Promise<DeliveryTarget[]>;
  /** An endpoint this invocation disabled (410 Gone): not a target for the rest of it. */
  disabled(endpointId: string): void;
}

/**
 * `deliveryTargets` for one worker invocation (an SQS batch). One copy of the subscriptions is read on first use;
 * each event type then reads, by key, only the endpoints the copy says are enabled and subscribed to it, and only
 * those this invocation has not read yet: a delivery's reads grow with its type's subscribers, not with every
 * endpoint of the deployment (an observer's endpoint subscribed to `payout.settled` is never read to deliver a
 * `payout.requested`). Short-lived on purpose: an endpoint added, removed or rotated is seen by the next batch. On a
 * table whose copies are not complete yet, every enabled endpoint from the listing index, once.
 */
export function deliveryTargetsOnce(): DeliveryTargetLookup {
  let copy: Promise<Map<string, SubscriptionEntry> | undefined> | undefined;
  let listed: Promise<DeliveryTarget[]> | undefined;
  const read = new Map<string, Promise<DeliveryTarget | undefined>>();
  const gone = new Set<string>();
  const lookup = async (eventType: EventType, now: Date) => {
    const entries = await (copy ??= readCopy());
    let targets: DeliveryTarget[];
    if (entries) {
      const wanted = [...entries].filter(([, entry]) => entry.status === 'enabled' && entrySubscribes(entry, eventType)).map(([id]) => id);
      readOnce(
        wanted.filter((id) => !read.has(id)),
        read,
        now,
      );
      targets = (await Promise.all(wanted.map(async (id) => read.get(id)))).filter((target) => target !== undefined);
    } else targets = await (listed ??= listedEndpoints(now));
    return targets
      .filter((target) => !gone.has(target.endpointId) && entrySubscribes(target, eventType))
      .sort((a, b) => a.endpointId.localeCompare(b.endpointId));
  };
  return Object.assign(lookup, { disabled: (endpointId: string) => void gone.add(endpointId) });
}

/**
 * Reads endpoints by key (one BatchGetItem per 100), enabled ones with their signing secrets, into `read`. Eventually
 * consistent like the copy that named them (half the read units): a change of a moment ago (a new URL, a rotated
 * secret: the old one signs for 24 h, a deletion) may not have reached this delivery yet, as if it had started a
 * moment earlier.
 */
function readOnce(endpointIds: string[], read: Map<string, Promise<DeliveryTarget | undefined>>, now: Date): void {
  if (endpointIds.length === 0) return;
  const items = readByKeys(
    endpointIds.map((id) => keys.webhookEndpoint(id)),
    undefined,
    false,
  ).then(
    (found) => new Map(found.filter((item) => item.status === 'enabled').map((item) => [String(item.endpointId), targetOf(item, now)])),
  );
  for (const id of endpointIds)
    read.set(
      id,
      items.then((found) => found.get(id)),
    );
}

const targetOf = (item: Record<string, unknown>, now: Date): DeliveryTarget => ({
  ...toEndpoint(item),
  secrets: signingSecrets(item, now),
});

/** Every enabled endpoint from the listing index (a table whose copies are not complete yet), eventually consistent. */
async function listedEndpoints(now: Date): Promise<DeliveryTarget[]> {
  const items = await queryAll(
    {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :list',
      FilterExpression: '#status = :enabled',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':list': ALL_ENDPOINTS, ':enabled': 'enabled' },
    },
    { consistent: false },
  );
  return items.map((item) => targetOf(item, now));
}
