/**
 * Webhook endpoints and their delivery log.
 *
 * Endpoint `WHE#<id> / WHE` (listing: `gsi1pk = WHES`, `gsi1sk = <endpointId>`; a finance system's also
 * `gsi2pk = WHES#FINANCE#<financeSystem>`, `gsi2sk = <endpointId>`) holds the signing
 * secret (the table is KMS-encrypted; the secret never leaves except in the create and rotate
 * responses) and, for 24 h after a rotation, the previous secret. Attempts are `WHE#<id>#<n> / DLV#<ulid>`,
 * n = shardOf(messageId, DELIVERY_LOG_SHARDS) (a message's attempts in one shard), expiring after 30 days: one
 * finance system's endpoint logs every send of its fund, and a partition takes about 1,000 writes a second
 * (docs/scale.md). Attempts logged before the shards are `WHE#<id> / DLV#<ulid>`; the listing reads them too.
 */
import { randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import type { EventType } from '../../domain/events.ts';
import { notFound } from '../../domain/errors.ts';
import { newId, shardOf } from '../../ids.ts';
import { config } from '../../config.ts';
import { actorAuditStep } from '../platform/audit.ts';
import { documents } from '../platform/clients.ts';
import { keys } from '../platform/keys.ts';
import { getItem, queryPage, queryShardedPage, requireItem, type Page } from '../platform/query.ts';
import { retryOnConflict, transact, TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { reviewPendingEvents } from '../platform/outbox.ts';
import type { Actor } from '../funds/items.ts';
import { copySteps, entryCondition, entryOf } from './copies.ts';

export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;
const DELIVERY_LOG_TTL_SECONDS = 30 * 24 * 60 * 60;
/** Partitions an endpoint's delivery log is written across: 2,000 sends/s of one fund is 250 lines/s a shard. */
export const DELIVERY_LOG_SHARDS = 8;
const DELIVERY_LINE = keys.webhookDelivery('', 0, '').sk;
/** A delivery log line's key: in its message's shard of the endpoint's log. */
export const deliveryLineKey = (endpointId: string, messageId: string, deliveryId: string) =>
  keys.webhookDelivery(endpointId, shardOf(messageId, DELIVERY_LOG_SHARDS), deliveryId);

export type Subscription = EventType | '*';

export interface WebhookEndpoint {
  endpointId: string;
  url: string;
  events: Subscription[];
  description: string | null;
  /** The finance system the endpoint belongs to (it gets the payment instructions of the funds that system pays). */
  financeSystem: string | null;
  status: 'enabled' | 'disabled';
  createdAt: string;
  updatedAt: string;
}

/** What the delivery worker needs: the endpoint with every secret that signs right now. */
export interface DeliveryTarget extends WebhookEndpoint {
  secrets: string[];
}

export interface DeliveryAttempt {
  messageId: string;
  eventType: EventType;
  attempt: number;
  outcome: 'succeeded' | 'failed';
  responseStatus: number | null;
  error: string | null;
  durationMs: number;
  at: string;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function toEndpoint(item: Record<string, unknown>): WebhookEndpoint {
  return {
    endpointId: item.endpointId as string,
    url: item.url as string,
    events: item.events as Subscription[],
    description: (item.description as string | undefined) ?? null,
    financeSystem: (item.financeSystem as string | undefined) ?? null,
    status: item.status as 'enabled' | 'disabled',
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

/** Secrets that sign at `now`: the current one, and the previous one during its 24 h overlap. */
export function signingSecrets(item: Record<string, unknown>, now: Date): string[] {
  const secrets = [item.secret as string];
  const previous = item.previousSecret as string | undefined;
  const until = item.previousSecretExpiresAt as string | undefined;
  if (previous && until && Date.parse(until) > now.getTime()) secrets.push(previous);
  return secrets;
}

/** gsi1pk of every endpoint. */
export const ALL_ENDPOINTS = 'WHES';
/** A finance system's own endpoints, listed apart (`gsi2pk`), so that it pages them without reading anyone else's. */
const financeSystemEndpoints = (financeSystem: string) => `WHES#FINANCE#${financeSystem}`;

export async function createEndpoint(
  input: { url: string; events: Subscription[]; description?: string; financeSystem?: string },
  actor: Actor,
  now: Date,
): Promise<WebhookEndpoint & { secret: string }> {
  const endpointId = newId('webhookEndpoint', now.getTime());
  const secret = newWebhookSecret();
  const at = now.toISOString();
  const item = {
    ...keys.webhookEndpoint(endpointId),
    type: 'webhook-endpoint',
    endpointId,
    url: input.url,
    events: input.events,
    description: input.description ?? null,
    financeSystem: input.financeSystem ?? null,
    status: 'enabled',
    secret,
    createdAt: at,
    updatedAt: at,
    createdBy: actor.sub,
    gsi1pk: ALL_ENDPOINTS,
    gsi1sk: endpointId,
    ...(input.financeSystem ? { gsi2pk: financeSystemEndpoints(input.financeSystem), gsi2sk: endpointId } : {}),
  };
  await transact([
    { item: { Put: { TableName: config().TABLE_NAME, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } } },
    actorAuditStep(item.pk, actor, 'webhook-endpoint.created', now, {
      details: { url: input.url, events: input.events, financeSystem: input.financeSystem ?? null },
    }),
    ...copySteps(endpointId, entryOf(item)),
  ]);
  return { ...toEndpoint(item), secret };
}

function endpointItem(endpointId: string): Promise<Record<string, unknown>> {
  return requireItem(keys.webhookEndpoint(endpointId), `Webhook endpoint ${endpointId}`);
}

export async function getEndpoint(endpointId: string): Promise<WebhookEndpoint> {
  return toEndpoint(await endpointItem(endpointId));
}

export async function listEndpoints(page: { limit: number; cursor?: string; financeSystem?: string }): Promise<Page<WebhookEndpoint>> {
  const mine = page.financeSystem !== undefined;
  const result = await queryPage({
    index: mine ? 'gsi2' : 'gsi1',
    keyCondition: mine ? 'gsi2pk = :list' : 'gsi1pk = :list',
    values: { ':list': mine ? financeSystemEndpoints(page.financeSystem!) : ALL_ENDPOINTS },
    limit: page.limit,
    cursor: page.cursor,
    scope: mine ? `webhook-endpoints|${page.financeSystem}` : 'webhook-endpoints',
  });
  return { items: result.items.map(toEndpoint), nextCursor: result.nextCursor };
}

/**
 * Deletes an endpoint. A finance system's endpoint may be the last one its pending payment
 * instructions could reach: they are looked at again at once (delivery_failed rather than waiting).
 */
export async function deleteEndpoint(endpointId: string, actor: Actor, now: Date): Promise<void> {
  const endpoint = await getEndpoint(endpointId);
  // Its entry leaves every copy with it; another endpoint's change writing the copies at that moment: try again.
  await retryOnConflict(() =>
    transact([
      {
        item: {
          Delete: {
            TableName: config().TABLE_NAME,
            Key: keys.webhookEndpoint(endpointId),
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
        onConditionFailed: () => notFound(`Webhook endpoint ${endpointId}`),
      },
      actorAuditStep(keys.webhookEndpoint(endpointId).pk, actor, 'webhook-endpoint.deleted', now),
      ...copySteps(endpointId, null),
    ]),
  );
  if (endpoint.financeSystem !== null) await reviewPendingEvents();
}

export interface EndpointChange {
  url?: string;
  events?: Subscription[];
  description?: string;
  /** `enabled` re-enables an endpoint that a 410 disabled. */
  status?: 'enabled';
}

/**
 * Changes an endpoint's URL, subscriptions or description, or enables it again. The caller checked a
 * new URL with the URL guard. A finance system's endpoint enabled again may be what its waiting payment
 * instructions need: they are looked at at once.
 */
export async function updateEndpoint(endpointId: string, change: EndpointChange, actor: Actor, now: Date): Promise<WebhookEndpoint> {
  const sets = ['updatedAt = :at'];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':at': now.toISOString() };
  if (change.url !== undefined) {
    sets.push('#url = :url');
    names['#url'] = 'url';
    values[':url'] = change.url;
  }
  if (change.events !== undefined) {
    sets.push('events = :events');
    values[':events'] = change.events;
  }
  if (change.description !== undefined) {
    sets.push('description = :description');
    values[':description'] = change.description;
  }
  if (change.status !== undefined) {
    sets.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = change.status;
  }
  const update = `SET ${sets.join(', ')}${change.status === 'enabled' ? ' REMOVE disabledReason' : ''}`;
  // A change of events or status sets the endpoint's entry on every copy, computed from the item as read: its
  // condition refuses an item changed meanwhile, which is read again.
  const subscribing = change.events !== undefined || change.status !== undefined;
  const before = await retryOnConflict(async () => {
    const read = await endpointItem(endpointId);
    const condition = subscribing ? entryCondition(entryOf(read)) : { expression: 'attribute_exists(pk)', names: {}, values: {} };
    const allNames = { ...names, ...condition.names };
    const entry = {
      ...entryOf(read),
      ...(change.events ? { events: change.events } : {}),
      ...(change.status ? { status: change.status } : {}),
    };
    await transact([
      {
        item: {
          Update: {
            TableName: config().TABLE_NAME,
            Key: keys.webhookEndpoint(endpointId),
            UpdateExpression: update,
            ConditionExpression: condition.expression,
            ...(Object.keys(allNames).length > 0 ? { ExpressionAttributeNames: allNames } : {}),
            ExpressionAttributeValues: { ...values, ...condition.values },
          },
        },
        onConditionFailed: (current) => (current ? new TransactionConflict() : notFound(`Webhook endpoint ${endpointId}`)),
      },
      actorAuditStep(keys.webhookEndpoint(endpointId).pk, actor, 'webhook-endpoint.updated', now, {
        details: { ...change, ...(change.status && change.status !== read.status ? { previousStatus: read.status } : {}) },
      }),
      ...(subscribing ? copySteps(endpointId, entry) : []),
    ]);
    return toEndpoint(read);
  });
  const after = await getEndpoint(endpointId);
  const reaches = before.status !== 'enabled' || change.events !== undefined;
  if (after.financeSystem !== null && after.status === 'enabled' && reaches) await reviewPendingEvents();
  return after;
}

/** One endpoint with the secrets that sign now, enabled or not (a test or a resend addresses it by id). */
export async function deliveryTarget(endpointId: string, now: Date): Promise<DeliveryTarget> {
  const item = await endpointItem(endpointId);
  return { ...toEndpoint(item), secrets: signingSecrets(item, now) };
}

export async function rotateSecret(endpointId: string, actor: Actor, now: Date): Promise<string> {
  const secret = newWebhookSecret();
  await transact([
    {
      item: {
        Update: {
          TableName: config().TABLE_NAME,
          Key: keys.webhookEndpoint(endpointId),
          UpdateExpression: 'SET previousSecret = secret, previousSecretExpiresAt = :until, secret = :secret, updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':secret': secret,
            ':until': new Date(now.getTime() + SECRET_OVERLAP_MS).toISOString(),
            ':at': now.toISOString(),
          },
        },
      },
      onConditionFailed: () => notFound(`Webhook endpoint ${endpointId}`),
    },
    actorAuditStep(keys.webhookEndpoint(endpointId).pk, actor, 'webhook-endpoint.secret-rotated', now),
  ]);
  return secret;
}

/**
 * A 410 Gone from the receiver: stop sending to it. True when this call disabled it; false when it was
 * disabled already (a second 410 from a delivery that read it as enabled) or deleted, so the
 * transition is counted once.
 */
export async function disableEndpoint(endpointId: string, reason: string, now: Date): Promise<boolean> {
  return retryOnConflict(async () => {
    const item = await getItem(keys.webhookEndpoint(endpointId));
    if (item === undefined || item.status === 'disabled') return false;
    const seen = entryCondition(entryOf(item));
    await transact([
      {
        item: {
          Update: {
            TableName: config().TABLE_NAME,
            Key: keys.webhookEndpoint(endpointId),
            UpdateExpression: 'SET #status = :disabled, disabledReason = :reason, updatedAt = :at',
            ConditionExpression: seen.expression,
            ExpressionAttributeNames: seen.names,
            ExpressionAttributeValues: { ...seen.values, ':disabled': 'disabled', ':reason': reason, ':at': now.toISOString() },
          },
        },
        // Changed, disabled or deleted since it was read: read again.
        onConditionFailed: () => new TransactionConflict(),
      },
      ...copySteps(endpointId, { ...entryOf(item), status: 'disabled' }),
    ]);
    return true;
  });
}

/** One line of an endpoint's delivery log, as an update (written on its own, before the payout's move: never in its transaction). */
function deliveryAttemptStep(endpointId: string, attempt: DeliveryAttempt): TxStep {
  const deliveryId = ulid(Date.parse(attempt.at));
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: deliveryLineKey(endpointId, attempt.messageId, deliveryId),
        UpdateExpression:
          'SET #type = :type, endpointId = :endpoint, messageId = :messageId, eventType = :eventType, attempt = :attempt, ' +
          'outcome = :outcome, responseStatus = :status, #error = :error, durationMs = :duration, #at = :at, expiresAt = :expires',
        ExpressionAttributeNames: { '#type': 'type', '#error': 'error', '#at': 'at' },
        ExpressionAttributeValues: {
          ':type': 'webhook-delivery',
          ':endpoint': endpointId,
          ':messageId': attempt.messageId,
          ':eventType': attempt.eventType,
          ':attempt': attempt.attempt,
          ':outcome': attempt.outcome,
          ':status': attempt.responseStatus,
          ':error': attempt.error,
          ':duration': attempt.durationMs,
          ':at': attempt.at,
          ':expires': Math.floor(Date.parse(attempt.at) / 1000) + DELIVERY_LOG_TTL_SECONDS,
        },
      },
    },
  };
}

export async function recordDeliveryAttempt(endpointId: string, attempt: DeliveryAttempt): Promise<void> {
  await documents.send(new UpdateCommand(deliveryAttemptStep(endpointId, attempt).item.Update!));
}

export async function listDeliveries(endpointId: string, page: { limit: number; cursor?: string }): Promise<Page<DeliveryAttempt>> {
  await endpointItem(endpointId);
  // The shards and, for lines logged before them, the endpoint's own partition (whose endpoint item the prefix leaves out).
  const shards = Array.from({ length: DELIVERY_LOG_SHARDS }, (_, n) => keys.webhookDelivery(endpointId, n, '').pk);
  const result = await queryShardedPage({
    unshardedBefore: true,
    partitions: [...shards, keys.webhookEndpoint(endpointId).pk],
    sortCondition: 'begins_with(sk, :prefix)',
    values: { ':prefix': DELIVERY_LINE },
    newestFirst: true,
    limit: page.limit,
    cursor: page.cursor,
    scope: `deliveries|${endpointId}`,
  });
  return {
    items: result.items.map((i) => ({
      messageId: i.messageId as string,
      eventType: i.eventType as EventType,
      attempt: i.attempt as number,
      outcome: i.outcome as 'succeeded' | 'failed',
      responseStatus: (i.responseStatus as number | null) ?? null,
      error: (i.error as string | null) ?? null,
      durationMs: i.durationMs as number,
      at: i.at as string,
    })),
    nextCursor: result.nextCursor,
  };
}
