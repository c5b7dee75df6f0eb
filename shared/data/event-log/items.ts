/**
 * The event log (`GET /v1/events`): the outbox event items that delivery writes anyway (../platform/events.ts),
 * read through their listing indexes, newest first. No second copy of an event is kept.
 *
 * Who reads what: fund-admin and auditor every event; a finance system only the events written with it
 * as `payer` (the events of the funds it pays); an event without a fund is not its to read. `data` is
 * always the public form: a payment instruction's account masked, as for an endpoint without
 * `financeSystem`.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { encodeTime } from 'ulid';
import { config } from '../../config.ts';
import { documents } from '../platform/clients.ts';
import { eventData, packEventData } from '../platform/event-body.ts';
import { publicEventData, type EventType } from '../../domain/events.ts';
import { notFound } from '../../domain/errors.ts';
import { payerScope, type MoneyReader } from '../../domain/roles.ts';
import { ID_PREFIXES, newId } from '../../ids.ts';
import { EVENT_STATE_NAMES, eventExpiresAt, eventListKeys, eventListPartitions } from '../platform/events.ts';
import { keys } from '../platform/keys.ts';
import { getItem, queryShardedPage, type Page } from '../platform/query.ts';

export interface LoggedEvent {
  messageId: string;
  type: EventType;
  timestamp: string;
  data: Record<string, unknown>;
}

export interface EventFilter {
  type?: EventType;
  /** Only events after this time (exclusive). */
  after?: string;
  limit: number;
  cursor?: string;
}

function toLoggedEvent(item: Record<string, unknown>): LoggedEvent {
  const type = item.eventType as EventType;
  return { messageId: item.messageId as string, type, timestamp: item.timestamp as string, data: publicEventData(type, eventData(item)) };
}

/**
 * The smallest message id of the first millisecond after `after`: message ids are ULIDs of the event's
 * time, so `sortKey >= bound` is "written after".
 */
export function messageIdBoundAfter(after: string): string {
  // A time before 1970 (which a ULID cannot encode) is before every event: the list starts from the first.
  return `${ID_PREFIXES.message}_${encodeTime(Math.max(Date.parse(after) + 1, 0), 10)}${'0'.repeat(16)}`;
}

/**
 * A page of the events the reader may see, newest first. Unfiltered listings are one index each (every
 * event, by type, by paying system); a finance system's listing by type reads the type's listing kept
 * to its own events, within the read budget of a page (a short page with a cursor, never a scan).
 */
export async function listEvents(filter: EventFilter, reader: MoneyReader): Promise<Page<LoggedEvent>> {
  const payer = payerScope(reader);
  const values: Record<string, unknown> = {};
  let index: 'gsi1' | 'gsi2' | 'gsi3';
  let partitions: string[];
  let condition: string | undefined;
  let filterExpression: string | undefined;
  if (filter.type !== undefined) {
    index = 'gsi2';
    partitions = eventListPartitions.ofType(filter.type);
    if (payer !== undefined) {
      filterExpression = 'payer = :payer';
      values[':payer'] = payer;
    }
  } else if (payer !== undefined) {
    index = 'gsi3';
    partitions = eventListPartitions.ofPayer(payer);
  } else {
    index = 'gsi1';
    partitions = eventListPartitions.all();
  }
  if (filter.after !== undefined) {
    condition = `${index}sk >= :after`;
    values[':after'] = messageIdBoundAfter(filter.after);
  }
  const page = await queryShardedPage({
    index,
    partitions,
    sortCondition: condition,
    filter: filterExpression,
    values,
    newestFirst: true,
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `events|${filter.type ?? ''}|${filter.after ?? ''}|${payer ?? ''}`,
  });
  return { items: page.items.map(toLoggedEvent), nextCursor: page.nextCursor };
}

/** One event, if the reader may see it; otherwise (or once expired) 404 `not_found`. */
export async function getEventFor(messageId: string, reader: MoneyReader): Promise<LoggedEvent> {
  const item = await getItem(keys.event(messageId));
  const payer = payerScope(reader);
  if (!item || (payer !== undefined && item.payer !== payer)) throw notFound(`Event ${messageId}`);
  return toLoggedEvent(item);
}

/**
 * A `webhook.test` event for one endpoint: an event item like any other (the log lists it, a resend
 * finds it), but outside the outbox: nobody else receives it, and its one attempt is made at once.
 */
export async function recordTestEvent(
  endpointId: string,
  now: Date,
): Promise<{ messageId: string; timestamp: string; data: Record<string, unknown> }> {
  const messageId = newId('message', now.getTime());
  const data = { endpointId };
  await documents.send(
    new PutCommand({
      TableName: config().TABLE_NAME,
      Item: {
        ...keys.event(messageId),
        type: 'event',
        messageId,
        eventType: 'webhook.test',
        subject: endpointId,
        timestamp: now.toISOString(),
        data: packEventData(data),
        state: 'pending',
        target: endpointId,
        expiresAt: eventExpiresAt(now),
        ...eventListKeys(messageId, 'webhook.test'),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return { messageId, timestamp: now.toISOString(), data };
}

/** The test event's one attempt is over. */
export async function finishTestEvent(messageId: string, delivered: boolean, now: Date): Promise<void> {
  await documents.send(
    new UpdateCommand({
      TableName: config().TABLE_NAME,
      Key: keys.event(messageId),
      UpdateExpression: 'SET #state = :status, updatedAt = :at, finishedAt = :at REMOVE #legacyStatus',
      ExpressionAttributeNames: EVENT_STATE_NAMES,
      ExpressionAttributeValues: { ':status': delivered ? 'delivered' : 'failed', ':at': now.toISOString() },
    }),
  );
}
