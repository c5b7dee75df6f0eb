/**
 * Standard Webhooks signing with the reference `standardwebhooks` library: the receiver verifies with
 * the same library (or any conforming one), so we do not roll our own HMAC framing.
 */
import { Webhook } from 'standardwebhooks';
import type { EventType } from '../domain/events.ts';

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'content-type': 'application/json';
}

/** The JSON body of every delivery: `{ type, timestamp, data }`. */
export function webhookBody(event: { eventType: EventType; timestamp: string; data: Record<string, unknown> }): string {
  return JSON.stringify({ type: event.eventType, timestamp: event.timestamp, data: event.data });
}

/**
 * Headers for one attempt. Every secret that signs now contributes a `v1,<base64>` entry,
 * space-separated: during a rotation the receiver may still hold either secret.
 */
export function signWebhook(messageId: string, body: string, secrets: readonly string[], at: Date): WebhookHeaders {
  if (secrets.length === 0) throw new Error('a webhook needs at least one signing secret');
  const signature = secrets.map((secret) => new Webhook(secret).sign(messageId, at, body)).join(' ');
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
    'content-type': 'application/json',
  };
}
