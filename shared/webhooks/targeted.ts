/**
 * Deliveries a fund-admin asks for, to one endpoint: a `webhook.test` event, or a resend of a message
 * the endpoint was sent before (to test a receiver's idempotency, or to replay after an outage).
 *
 * One attempt, made at once and logged in the endpoint's deliveries like any other; no retries (ask
 * again). A resend is a replay: it leaves the message's delivery state and its payout as they are (a
 * payout whose instruction failed is redelivered with `POST /v1/payouts/{id}/redeliver`). Same
 * `webhook-id` and body, new timestamp and signature; a payment instruction carries the full account
 * only to an endpoint of the paying finance system, as in the first delivery.
 */
import { config } from '../config.ts';
import { DomainError, notFound } from '../domain/errors.ts';
import { FULL_ACCOUNT_EVENTS, publicEventData } from '../domain/events.ts';
import { report } from '../metrics.ts';
import { logger } from '../logger.ts';
import { finishTestEvent, recordTestEvent } from '../data/event-log/items.ts';
import { getOutboxEvent, reviewPendingEvents, type OutboxEvent } from '../data/platform/outbox.ts';
import { getItem } from '../data/platform/query.ts';
import { keys } from '../data/platform/keys.ts';
import { deliveryTarget, disableEndpoint, recordDeliveryAttempt, type DeliveryTarget } from '../data/webhook-endpoints/items.ts';
import { sendWebhook, type AttemptResult } from './delivery.ts';
import type { Resolver } from './url-guard.ts';
import { signWebhook, webhookBody } from './signing.ts';

/** Payouts for which no payment instruction is POSTed any more. */
const CLOSED_PAYOUT = new Set(['settled', 'failed']);

async function enabledTarget(endpointId: string, now: Date): Promise<DeliveryTarget> {
  const target = await deliveryTarget(endpointId, now);
  if (target.status !== 'enabled') {
    throw new DomainError(
      'invalid_state',
      `Webhook endpoint ${endpointId} is disabled; enable it again first (PATCH with status "enabled")`,
    );
  }
  return target;
}

/** Signs, sends, logs. A 410 disables the endpoint, as in every delivery. */
async function attemptOnce(
  target: DeliveryTarget,
  message: { messageId: string; eventType: OutboxEvent['eventType'] },
  body: string,
  attempt: number,
  now: Date,
  resolve?: Resolver,
): Promise<AttemptResult> {
  const settings = config();
  const headers = signWebhook(message.messageId, body, target.secrets, now);
  const result = await sendWebhook(target.url, { ...headers }, body, now, {
    timeoutMs: settings.WEBHOOK_TIMEOUT_MS,
    allowInsecure: settings.ALLOW_INSECURE_WEBHOOKS,
    resolve,
  });
  await recordDeliveryAttempt(target.endpointId, {
    messageId: message.messageId,
    eventType: message.eventType,
    attempt,
    outcome: result.ok ? 'succeeded' : 'failed',
    responseStatus: result.status,
    error: result.error,
    durationMs: result.durationMs,
    at: now.toISOString(),
  });
  // Only the call that disabled it counts it and reviews what the endpoint's finance system had pending.
  if (result.status === 410 && (await disableEndpoint(target.endpointId, 'the receiver answered 410 Gone', now))) {
    report.webhookEndpointDisabled();
    if (target.financeSystem !== null) await reviewPendingEvents();
  }
  if (!result.ok)
    logger.info('webhook attempt failed', {
      endpointId: target.endpointId,
      messageId: message.messageId,
      status: result.status,
      error: result.error,
    });
  return result;
}

/** `POST /v1/webhook-endpoints/{id}/test`: one signed `webhook.test` event to that endpoint alone. */
export async function sendTestEvent(endpointId: string, now: Date, resolve?: Resolver): Promise<{ messageId: string }> {
  const target = await enabledTarget(endpointId, now);
  const event = await recordTestEvent(endpointId, now);
  const body = webhookBody({ eventType: 'webhook.test', timestamp: event.timestamp, data: event.data });
  const result = await attemptOnce(target, { messageId: event.messageId, eventType: 'webhook.test' }, body, 1, now, resolve);
  await finishTestEvent(event.messageId, result.ok, now);
  return { messageId: event.messageId };
}

/** Whether the message was meant for this endpoint: it has a delivery state there, or it is the endpoint's test. */
function wasSentTo(event: OutboxEvent, endpointId: string): boolean {
  if (event.eventType === 'webhook.test') return event.data.endpointId === endpointId;
  return event.deliveries[endpointId] !== undefined;
}

/** `POST /v1/webhook-endpoints/{id}/messages/{messageId}/resend`. */
export async function resendMessage(endpointId: string, messageId: string, now: Date, resolve?: Resolver): Promise<void> {
  const target = await enabledTarget(endpointId, now);
  const event = await getOutboxEvent(messageId);
  if (!event || !wasSentTo(event, endpointId)) throw notFound(`Message ${messageId} of webhook endpoint ${endpointId}`);
  const instruction = event.eventType === 'payout.requested';
  if (instruction) {
    // No instruction for a closed payout: it may have been paid already.
    const payout = await getItem(keys.payout(event.subject));
    if (!payout || CLOSED_PAYOUT.has(payout.status as string)) {
      throw new DomainError(
        'invalid_state',
        `Payout ${event.subject} is ${payout ? String(payout.status) : 'gone'}: its payment instruction is not sent again`,
      );
    }
  }
  const paying = FULL_ACCOUNT_EVENTS.has(event.eventType) && target.financeSystem !== null && target.financeSystem === event.payer;
  const body = webhookBody(paying ? event : { ...event, data: publicEventData(event.eventType, event.data) });
  const attempt = (event.deliveries[endpointId]?.totalAttempts ?? 1) + 1;
  await attemptOnce(target, event, body, attempt, now, resolve);
}
