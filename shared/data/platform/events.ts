/**
 * The transactional outbox for webhook events.
 *
 * A state change writes its event item in the same transaction (`eventStep`), with its message id
 * assigned there, so every retry and every re-queue after a crash carries the same `webhook-id`.
 * After the commit the producer sends a delivery job to SQS (`enqueueEvents`); that send is only a
 * hint: while an event is unfinished it sits in the sharded, keys-only outbox index (gsi4) and the
 * outbox sweeper queues it again once it is overdue.
 *
 * Outbox index: `gsi4pk = OUTBOX#<shard 0..7>`, `gsi4sk = <ISO time it is due>#<messageId>`; the
 * delivery worker moves `gsi4sk` only when it schedules a retry for a later time, and removes both when
 * the event is finished (a lease does not move it: each move is an index delete + put). Sharding keeps a
 * burst of events (a 5,000-payout batch) off one GSI partition.
 *
 * The body (`data`) is stored brotli-compressed (a binary attribute): a disbursement's JSON is ~900
 * bytes, compressed ~370, so an event item stays under 1 KB even with its lease and delivery state, and
 * each of its writes (commit, lease, release: several of them transactional, billed double) costs one
 * write unit instead of two (./event-body.ts).
 *
 * The same items are the event log (`GET /v1/events`, ../event-log/items.ts): no second copy. Listings, sharded
 * like the outbox and sorted by message id (a ULID: time order): `gsi1pk = EVENTS#<n>` (every event),
 * `gsi2pk = EVT#TYPE#<type>#<n>` (by type), `gsi3pk = EVT#PAYER#<financeSystem>#<n>` (the events of the
 * funds a finance system pays: events written with a `payer`). An event expires (`expiresAt`) 30 days
 * after it is finished, never while it is pending.
 */
import { WAITS_FOR_SUBSCRIBER, type EventType } from '../../domain/events.ts';
import { newId, shardOf } from '../../ids.ts';
import { packEventData } from './event-body.ts';
import { config } from '../../config.ts';
import { sendJobs } from './jobs.ts';
import { indexKeys, keys } from './keys.ts';
import type { TxStep } from './transactions.ts';

export const OUTBOX_SHARDS = 8;

export function outboxShard(messageId: string): string {
  return indexKeys.outbox(shardOf(messageId, OUTBOX_SHARDS));
}

/** Shards of the event log's listings: a 5,000-payout batch writes its instructions at once. */
export const EVENT_LIST_SHARDS = 8;

/** How long a finished event is kept (the contract: at least 30 days). */
export const EVENT_TTL_SECONDS = 30 * 24 * 60 * 60;

export function eventExpiresAt(finishedAt: Date): number {
  return Math.floor(finishedAt.getTime() / 1000) + EVENT_TTL_SECONDS;
}

export const eventListPartitions = {
  all: () => Array.from({ length: EVENT_LIST_SHARDS }, (_, n) => indexKeys.allEvents(n)),
  ofType: (eventType: EventType) => Array.from({ length: EVENT_LIST_SHARDS }, (_, n) => indexKeys.eventsOfType(eventType, n)),
  ofPayer: (payer: string) => Array.from({ length: EVENT_LIST_SHARDS }, (_, n) => indexKeys.eventsOfPayer(payer, n)),
};

/** The event log's index entries of one event. */
export function eventListKeys(messageId: string, eventType: EventType, payer?: string): Record<string, string> {
  const n = shardOf(messageId, EVENT_LIST_SHARDS);
  return {
    gsi1pk: indexKeys.allEvents(n),
    gsi1sk: messageId,
    gsi2pk: indexKeys.eventsOfType(eventType, n),
    gsi2sk: messageId,
    ...(payer !== undefined ? { gsi3pk: indexKeys.eventsOfPayer(payer, n), gsi3sk: messageId } : {}),
  };
}

export function outboxSortKey(dueAt: Date, messageId: string): string {
  return `${dueAt.toISOString()}#${messageId}`;
}

/** The due time and the message id back from an outbox sort key. */
export function parseOutboxSortKey(sortKey: string): { dueAt: string; messageId: string } {
  const at = sortKey.indexOf('#');
  return { dueAt: sortKey.slice(0, at), messageId: sortKey.slice(at + 1) };
}

/**
 * Where an event's delivery stands (`EventRecord['status']`) is stored as `state`, an attribute the list
 * indexes do not copy (../platform/table.ts copies `status`): finishing an event then rewrites none of its
 * three event-log index entries (3 write units an event), only the item and its outbox entry. Events
 * written before carry it as `status`: every condition below accepts either (`eventStateIn`), every read
 * takes `state` first (`storedEventStatus`), and every write of `state` removes `status`.
 */
export const EVENT_STATE_NAMES = { '#state': 'state', '#legacyStatus': 'status' } as const;

/** A condition: the event's stored status is one of `placeholders` (values the caller binds), as `state` or, written before, `status`. */
export function eventStateIn(...placeholders: string[]): string {
  const test = placeholders.length === 1 ? `= ${placeholders[0]}` : `IN (${placeholders.join(', ')})`;
  return `(#state ${test} OR (attribute_not_exists(#state) AND #legacyStatus ${test}))`;
}

/** The status an event item holds (`state`, or `status` on an item written before). */
export function storedEventStatus(item: Record<string, unknown> | undefined): EventRecord['status'] | undefined {
  return (item?.state ?? item?.status) as EventRecord['status'] | undefined;
}

export interface EventRecord {
  messageId: string;
  eventType: EventType;
  /** RFC 3339 time of the change; the webhook body's `timestamp`. */
  timestamp: string;
  data: Record<string, unknown>;
  /** `closed`: a payment instruction whose payout was settled or failed before every delivery finished. */
  status: 'pending' | 'delivered' | 'failed' | 'dropped' | 'closed';
  /** The entity the event is about, for lookups (`pay_…`, `cmp_…`, …). */
  subject: string;
}

export interface PendingEvent {
  messageId: string;
  step: TxStep;
  /** False for an event written finished (nobody subscribes to its type): no delivery job to send. */
  queued: boolean;
}

/**
 * The outbox item for one event, to be written in the same transaction as the change.
 *
 * `subscribed: false` (the producer read that no enabled endpoint subscribes to the type:
 * `subscribedEventTypes` in ../webhook-endpoints/subscriptions.ts) writes the event already finished, as the
 * delivery worker would have finished it (`dropped`): the event log keeps it (its item and listing
 * entries, expiring 30 days on), but it never enters the outbox index, and no job, lease or release
 * follows (4 write units an event). A type that waits for its subscriber (a payment instruction) is
 * always written pending.
 */
export function eventStep(
  eventType: EventType,
  subject: string,
  data: object,
  at: Date,
  options: { payer?: string; subscribed?: boolean } = {},
): PendingEvent {
  const messageId = newId('message', at.getTime());
  const queued = options.subscribed !== false || WAITS_FOR_SUBSCRIBER.has(eventType);
  return {
    messageId,
    queued,
    step: {
      item: {
        Put: {
          TableName: config().TABLE_NAME,
          Item: {
            ...keys.event(messageId),
            type: 'event',
            messageId,
            eventType,
            subject,
            timestamp: at.toISOString(),
            data: packEventData(data),
            // The paying finance system of the event's fund: only its endpoints get a payment instruction's
            // full account, and only it (of the finance systems) reads the event in the event log.
            ...(options.payer ? { payer: options.payer } : {}),
            ...eventListKeys(messageId, eventType, options.payer || undefined),
            ...(queued
              ? { state: 'pending', gsi4pk: outboxShard(messageId), gsi4sk: outboxSortKey(at, messageId) }
              : { state: 'dropped', finishedAt: at.toISOString(), expiresAt: eventExpiresAt(at) }),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    },
  };
}

/** The delivery jobs to send after the commit: the events written pending. */
export const queuedIds = (events: readonly PendingEvent[]): string[] => events.filter((e) => e.queued).map((e) => e.messageId);

/** The SQS message body of a delivery job. */
export interface DeliveryJob {
  kind: 'event';
  messageId: string;
}

/**
 * Sends delivery jobs after a commit. Never throws: the records are committed, and whatever is not
 * queued now is queued by the outbox sweeper.
 */
export async function enqueueEvents(messageIds: string[], delaySeconds = 0): Promise<void> {
  const body = (messageId: string): DeliveryJob => ({ kind: 'event', messageId });
  await sendJobs(
    config().DELIVERY_QUEUE_URL,
    messageIds.map((id) => ({ body: body(id), delaySeconds })),
    'delivery',
  );
}
