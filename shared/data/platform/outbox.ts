/**
 * Delivery state of outbox events (the items `eventStep` in ./events.ts writes) and the outbox index.
 *
 * The event item is the truth about a delivery; SQS jobs and sweeps are only hints to look at it:
 * - `state` (`status` on items written before: ./events.ts, `EVENT_STATE_NAMES`): `pending` until finished
 *   as `delivered`, `failed` (an endpoint ran out of retries) or `dropped` (nobody subscribed to a type that
 *   does not wait for subscribers).
 * - `deliveries`: per endpoint `{ acknowledged, attempts, round, nextAttemptAt }`, so a duplicate job or a
 *   second worker never sends again to an endpoint that already acknowledged, and retries count per endpoint.
 * - `round`: raised by a redelivery; an endpoint's attempts from an older round no longer count.
 * - `leaseOwner`/`leaseUntil`: one worker at a time works on an event; a crashed worker's lease expires.
 * - `gsi4pk`/`gsi4sk` (keys-only outbox index): present while the event is unfinished; `gsi4sk` starts with
 *   the time the event is due (its next attempt), which is what the outbox sweeper queries. A lease does
 *   not move it: a sweep that finds a leased event queues a job that finds it busy (a no-op), and once a
 *   crashed worker's lease is over the next sweep brings the event back.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { WAITS_FOR_SUBSCRIBER, type EventType } from '../../domain/events.ts';
import { DomainError } from '../../domain/errors.ts';
import { config } from '../../config.ts';
import { logger } from '../../logger.ts';
import { appliedUnlessRefused, documents } from './clients.ts';
import { indexKeys, keys } from './keys.ts';
import { eventData } from './event-body.ts';
import {
  EVENT_STATE_NAMES,
  eventExpiresAt,
  eventStateIn,
  OUTBOX_SHARDS,
  outboxShard,
  outboxSortKey,
  parseOutboxSortKey,
  storedEventStatus,
  type EventRecord,
} from './events.ts';
import { TransactionConflict, type TxStep } from './transactions.ts';
import { getItem } from './query.ts';
import { overdueIn, type SweepSource } from './sweep.ts';
import { sendJobs } from './jobs.ts';

export type EventStatus = EventRecord['status'];

export interface EndpointDelivery {
  acknowledged: boolean;
  /** Failed attempts in the current round. */
  attempts: number;
  /** Every attempt to this endpoint over all rounds. */
  totalAttempts: number;
  round: number;
  /** ISO time before which this endpoint is not tried again. */
  nextAttemptAt: string | null;
  /** The endpoint belongs to the finance system that pays this instruction (`payout.requested` only). */
  paying?: boolean;
}

export interface OutboxEvent extends EventRecord {
  createdAt: string;
  round: number;
  deliveries: Record<string, EndpointDelivery>;
  /** When the event is due to be looked at; null once finished. */
  dueAt: string | null;
  leaseOwner: string | null;
  leaseUntil: string | null;
  /** For a payment instruction: the finance system that pays it. */
  payer: string | null;
}

/** A delivery job on the delivery queue. `notBefore` marks a retry that waits longer than one SQS delay. */
export const deliveryJobSchema = z.object({
  kind: z.literal('event'),
  messageId: z.string().min(1),
  notBefore: z.string().datetime().optional(),
  /** Look at the event now whatever its due time (an endpoint of a finance system went away). */
  review: z.boolean().optional(),
});

export type DeliveryJob = z.infer<typeof deliveryJobSchema>;

function toOutboxEvent(item: Record<string, unknown>): OutboxEvent {
  const sortKey = item.gsi4sk as string | undefined;
  return {
    messageId: item.messageId as string,
    eventType: item.eventType as EventType,
    timestamp: item.timestamp as string,
    data: eventData(item),
    status: storedEventStatus(item)!,
    subject: item.subject as string,
    // Items written before `createdAt` was dropped (it always equals the timestamp) still carry it.
    createdAt: (item.createdAt as string | undefined) ?? (item.timestamp as string),
    round: (item.round as number | undefined) ?? 0,
    deliveries: (item.deliveries as Record<string, EndpointDelivery> | undefined) ?? {},
    dueAt: sortKey ? parseOutboxSortKey(sortKey).dueAt : null,
    leaseOwner: (item.leaseOwner as string | undefined) ?? null,
    leaseUntil: (item.leaseUntil as string | undefined) ?? null,
    payer: (item.payer as string | undefined) ?? null,
  };
}

export async function getOutboxEvent(messageId: string): Promise<OutboxEvent | undefined> {
  const Item = await getItem(keys.event(messageId));
  return Item ? toOutboxEvent(Item) : undefined;
}

/** Why a lease was not taken, from the event as it was (so no read is needed before trying). */
export type LeaseRefusal = 'unknown-event' | 'already-finished' | 'not-due' | 'busy';

export type LeaseResult = { leased: OutboxEvent } | { refused: LeaseRefusal };

/**
 * Takes the event for one worker until `leaseUntil`, if it is pending, due by `dueBy` and nobody else
 * holds it: one conditional update that returns the event (no read first). When the condition fails,
 * the event as it was tells why. The due time (`gsi4sk`) stays: a crashed worker's event is found by
 * the sweeper as soon as its lease is over.
 */
export async function leaseEvent(messageId: string, owner: string, now: Date, leaseMs: number, dueBy: Date = now): Promise<LeaseResult> {
  const until = new Date(now.getTime() + leaseMs);
  try {
    const { Attributes } = await documents.send(
      new UpdateCommand({
        TableName: config().TABLE_NAME,
        Key: keys.event(messageId),
        UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
        // `gsi4sk` starts with the due time: before the first millisecond after `dueBy` means due.
        ConditionExpression: `attribute_exists(pk) AND ${eventStateIn(':pending')} AND gsi4sk < :dueLimit AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)`,
        ExpressionAttributeNames: EVENT_STATE_NAMES,
        ExpressionAttributeValues: {
          ':owner': owner,
          ':until': until.toISOString(),
          ':dueLimit': new Date(dueBy.getTime() + 1).toISOString(),
          ':pending': 'pending',
          ':now': now.toISOString(),
        },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { leased: toOutboxEvent(Attributes!) };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return { refused: leaseRefusal(error.Item ? toOutboxEvent(unmarshall(error.Item)) : undefined, dueBy) };
  }
}

function leaseRefusal(event: OutboxEvent | undefined, dueBy: Date): LeaseRefusal {
  if (!event) return 'unknown-event';
  if (event.status !== 'pending') return 'already-finished';
  if (event.dueAt && Date.parse(event.dueAt) > dueBy.getTime()) return 'not-due';
  return 'busy';
}

export type LeaseRelease = { status: 'pending'; dueAt: Date } | { status: 'delivered' | 'failed' | 'dropped' };

/** The lease was taken from us meanwhile (a redelivery re-armed the event): the newer state wins. */
export class LeaseLost extends Error {
  constructor() {
    super('lease lost');
    this.name = 'LeaseLost';
  }
}

/**
 * Writes what a worker learned and gives the lease back, as one conditional update for a transaction
 * (the worker commits it with the payout's move when a payout is sent). Its condition failing means
 * `LeaseLost`.
 */
export function eventReleaseStep(
  event: OutboxEvent,
  owner: string,
  deliveries: Record<string, EndpointDelivery>,
  outcome: LeaseRelease,
  now: Date,
): TxStep {
  const values: Record<string, unknown> = {
    ':owner': owner,
    ':deliveries': deliveries,
    ':status': outcome.status,
    ':at': now.toISOString(),
    ':round': event.round,
  };
  let update: string;
  if (outcome.status === 'pending') {
    const due = outboxSortKey(outcome.dueAt, event.messageId);
    // The index entry moves only when the due time really changes (an index move is a delete + put):
    // an event that was due and is due again (waiting for a subscriber) keeps its place.
    const was = event.dueAt === null ? undefined : Date.parse(event.dueAt);
    const stillDue = was !== undefined && was <= now.getTime() && outcome.dueAt.getTime() <= now.getTime();
    const moves = !stillDue && was !== outcome.dueAt.getTime();
    if (moves) values[':due'] = due;
    update = `SET deliveries = :deliveries, #state = :status, updatedAt = :at${moves ? ', gsi4sk = :due' : ''} REMOVE #legacyStatus, leaseOwner, leaseUntil`;
  } else {
    // Finished: out of the outbox index, so the sweeper never looks at it again. Kept 30 days for the
    // event log, except a failed payment instruction: its payout may be redelivered at any time.
    const keep = outcome.status === 'failed' && WAITS_FOR_SUBSCRIBER.has(event.eventType);
    if (!keep) values[':expires'] = eventExpiresAt(now);
    update = `SET deliveries = :deliveries, #state = :status, updatedAt = :at, finishedAt = :at${keep ? '' : ', expiresAt = :expires'} REMOVE #legacyStatus, leaseOwner, leaseUntil, gsi4pk, gsi4sk`;
  }
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.event(event.messageId),
        UpdateExpression: update,
        // A redelivery meanwhile removed our lease and raised the round: its fresh state must stay.
        ConditionExpression:
          event.round === 0
            ? 'leaseOwner = :owner AND (attribute_not_exists(#round) OR #round = :round)'
            : 'leaseOwner = :owner AND #round = :round',
        ExpressionAttributeNames: { ...EVENT_STATE_NAMES, '#round': 'round' },
        ExpressionAttributeValues: values,
      },
    },
    onConditionFailed: () => new LeaseLost(),
  };
}

/** `eventReleaseStep` on its own. False when the lease was lost (see `LeaseLost`). */
export async function releaseEvent(
  event: OutboxEvent,
  owner: string,
  deliveries: Record<string, EndpointDelivery>,
  outcome: LeaseRelease,
  now: Date,
): Promise<boolean> {
  return appliedUnlessRefused(() =>
    documents.send(new UpdateCommand(eventReleaseStep(event, owner, deliveries, outcome, now).item.Update!)),
  );
}

/**
 * Re-arms a failed (or still pending) event for a fresh round of attempts with the SAME message id,
 * so receivers that saw it before recognise it. Endpoints that acknowledged stay acknowledged. For the
 * caller's transaction (a payout redelivery); queue the event after the commit (`enqueueEvents`).
 */
export function eventRedeliveryStep(messageId: string, now: Date): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.event(messageId),
        UpdateExpression:
          'SET #state = :pending, #round = if_not_exists(#round, :zero) + :one, updatedAt = :at, gsi4pk = :shard, gsi4sk = :due ' +
          'REMOVE #legacyStatus, leaseOwner, leaseUntil, finishedAt, expiresAt',
        ConditionExpression: `attribute_exists(pk) AND ${eventStateIn(':failed', ':pending')}`,
        ExpressionAttributeNames: { ...EVENT_STATE_NAMES, '#round': 'round' },
        ExpressionAttributeValues: {
          ':pending': 'pending',
          ':failed': 'failed',
          ':zero': 0,
          ':one': 1,
          ':at': now.toISOString(),
          ':shard': outboxShard(messageId),
          ':due': outboxSortKey(now, messageId),
        },
      },
    },
    onConditionFailed: (current) =>
      new DomainError(
        'invalid_state',
        current ? `The event was already ${String(storedEventStatus(current))}` : 'The event does not exist',
      ),
  };
}

/**
 * Closes a pending payment instruction whose payout is settled or failed, in the settlement's
 * transaction: no lease is granted for it again, the sweeper no longer sees it, and a worker holding a
 * lease loses it (its release fails). Conditional on still pending: the caller read it so.
 */
export function eventCloseStep(messageId: string, now: Date): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.event(messageId),
        UpdateExpression:
          'SET #state = :closed, updatedAt = :at, finishedAt = :at, expiresAt = :expires REMOVE #legacyStatus, leaseOwner, leaseUntil, gsi4pk, gsi4sk',
        ConditionExpression: eventStateIn(':pending'),
        ExpressionAttributeNames: EVENT_STATE_NAMES,
        ExpressionAttributeValues: {
          ':closed': 'closed',
          ':pending': 'pending',
          ':at': now.toISOString(),
          ':expires': eventExpiresAt(now),
        },
      },
    },
    // A worker finished it meanwhile: read again and decide again.
    onConditionFailed: () => new TransactionConflict(),
  };
}

/** Events whose due time is before `cutoff`, one outbox shard at a time (oldest first). */
export async function* overdueEvents(cutoff: Date, pageSize = 500): AsyncGenerator<string[]> {
  for (let shard = 0; shard < OUTBOX_SHARDS; shard++) yield* overdueIn(indexKeys.outbox(shard), cutoff, pageSize);
}

/**
 * Sends delivery jobs, ten per request. Returns how many were queued; a job that is not queued is
 * found again by the sweeper (the event stays in the outbox index), so failures are logged, not thrown.
 */
export async function queueDeliveryJobs(jobs: { job: DeliveryJob; delaySeconds?: number }[]): Promise<number> {
  return sendJobs(
    config().DELIVERY_QUEUE_URL,
    jobs.map(({ job, delaySeconds }) => ({ body: job, delaySeconds })),
    'delivery',
  );
}

/** Far enough ahead that every pending event's due time is before it. */
const END_OF_TIME = new Date('9999-12-31T00:00:00.000Z');

/**
 * A finance system's endpoint went away (410, deleted): every pending event is looked at again now,
 * so an instruction whose paying system has no endpoint left becomes `delivery_failed` at once rather
 * than at its next scheduled attempt. A review attempts nothing that is not due.
 */
export async function reviewPendingEvents(): Promise<number> {
  let queued = 0;
  for await (const messageIds of overdueEvents(END_OF_TIME)) {
    queued += await queueDeliveryJobs(messageIds.map((messageId) => ({ job: { kind: 'event' as const, messageId, review: true } })));
  }
  return queued;
}

export const outboxEventsSource: SweepSource = {
  name: 'outbox-events',
  async sweep(cutoff) {
    let found = 0;
    let queued = 0;
    for await (const messageIds of overdueEvents(cutoff)) {
      found += messageIds.length;
      queued += await queueDeliveryJobs(messageIds.map((messageId) => ({ job: { kind: 'event' as const, messageId } })));
    }
    return { found, queued };
  },
};

/** Runs every source; one failing source does not keep the others from running. */
export async function runSweep(
  sources: readonly SweepSource[],
  cutoff: Date,
): Promise<Record<string, { found: number; queued: number } | 'failed'>> {
  const summary: Record<string, { found: number; queued: number } | 'failed'> = {};
  await Promise.all(
    sources.map(async (source) => {
      try {
        const counts = await source.sweep(cutoff);
        summary[source.name] = counts;
        logger.info('outbox sweep', { source: source.name, cutoff: cutoff.toISOString(), ...counts });
      } catch (error) {
        summary[source.name] = 'failed';
        logger.error('outbox sweep failed', { source: source.name, error: (error as Error).name });
      }
    }),
  );
  if (Object.values(summary).includes('failed')) throw new Error('an outbox sweep source failed');
  return summary;
}
