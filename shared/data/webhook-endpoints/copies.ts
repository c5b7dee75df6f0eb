/**
 * Who subscribes to what, in SUBSCRIPTION_COPIES copies (issue 21, "no hot partition"): items `SUBS#<k> / SUBS`,
 * each with one attribute per endpoint, `e_<endpointId>` = `{ events, status, financeSystem }` (no URL, no secret),
 * and `complete: true` once every endpoint is in it. The producers of events and the delivery read one copy at
 * random, eventually consistent (0.5 read units per 4 KB, about 25 endpoints), instead of the listing index's one
 * partition `WHES` for the whole deployment: each copy takes an eighth of the reads.
 *
 * Every write of an endpoint's events or status (create, change, 410 disable, re-enable, delete) sets or removes its
 * entry on every copy in the endpoint's own transaction, under a condition on the endpoint item as it was read
 * (`entryCondition`): one endpoint's changes are serialized by its item, and entries of different endpoints are
 * different attributes, so no change is lost. A copy without `complete` (a table written before the copies, until
 * `npm run backfill -- --part subscriptions` ran: ./backfill.ts) is not used: the readers query the listing as before.
 * A fresh table gets its copies empty and complete (local/resources.ts `ensureTable`).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EventType } from '../../domain/events.ts';
import { config } from '../../config.ts';
import { documents } from '../platform/clients.ts';
import { keys, SUBSCRIPTION_COPIES, SUBSCRIPTIONS_TYPE } from '../platform/keys.ts';
import { getItem } from '../platform/query.ts';
import type { TxStep } from '../platform/transactions.ts';

/** What a copy holds of one endpoint. */
export interface SubscriptionEntry {
  events: (EventType | '*')[];
  status: 'enabled' | 'disabled';
  financeSystem: string | null;
}

const ENTRY = 'e_';

/** An endpoint item's entry. */
export function entryOf(item: Record<string, unknown>): SubscriptionEntry {
  return {
    events: item.events as SubscriptionEntry['events'],
    status: item.status as SubscriptionEntry['status'],
    financeSystem: (item.financeSystem as string | undefined) ?? null,
  };
}

/** Whether an entry receives an event type. */
export function entrySubscribes(entry: SubscriptionEntry, eventType: EventType): boolean {
  return entry.events.includes(eventType) || entry.events.includes('*');
}

/** Sets an endpoint's entry on every copy (removes it for `null`): in the transaction that writes the endpoint. */
export function copySteps(endpointId: string, entry: SubscriptionEntry | null): TxStep[] {
  return Array.from({ length: SUBSCRIPTION_COPIES }, (_, copy) => ({
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.webhookSubscriptions(copy),
        UpdateExpression: entry ? 'SET #type = :type, #e = :entry' : 'SET #type = :type REMOVE #e',
        ExpressionAttributeNames: { '#type': 'type', '#e': `${ENTRY}${endpointId}` },
        ExpressionAttributeValues: { ':type': SUBSCRIPTIONS_TYPE, ...(entry ? { ':entry': entry } : {}) },
      },
    },
  }));
}

/**
 * The condition on an endpoint item that its entry was computed from: still there, with the events and status read.
 * A write whose condition fails read a stale item: read it again (a deleted one is never written back as an entry).
 */
export function entryCondition(seen: SubscriptionEntry): {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  return {
    expression: 'attribute_exists(pk) AND events = :seenEvents AND #status = :seenStatus',
    names: { '#status': 'status' },
    values: { ':seenEvents': seen.events, ':seenStatus': seen.status },
  };
}

/**
 * The entries of one copy chosen at random, by endpoint id, read eventually consistent (like the listing index they
 * replace: a change of a moment ago may not be seen yet); undefined when that copy is not complete.
 */
export async function readCopy(): Promise<Map<string, SubscriptionEntry> | undefined> {
  const copy = Math.floor(Math.random() * SUBSCRIPTION_COPIES);
  const item = await getItem(keys.webhookSubscriptions(copy), { consistent: false });
  if (item?.complete !== true) return undefined;
  const entries = new Map<string, SubscriptionEntry>();
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(ENTRY)) entries.set(name.slice(ENTRY.length), value as SubscriptionEntry);
  }
  return entries;
}

/** Every copy marked complete: after the backfill has set every endpoint's entry. */
export async function completeCopies(): Promise<void> {
  for (let copy = 0; copy < SUBSCRIPTION_COPIES; copy++) {
    await documents.send(
      new UpdateCommand({
        TableName: config().TABLE_NAME,
        Key: keys.webhookSubscriptions(copy),
        UpdateExpression: 'SET #type = :type, complete = :true',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':type': SUBSCRIPTIONS_TYPE, ':true': true },
      }),
    );
  }
}
