import * as z from 'zod';
import { EVENT_TYPES } from '../domain/events.ts';
import { createWebhookEndpointExamples } from './examples.ts';
import { Timestamp, idOf } from './common.ts';
import { contractsOf, listQuery, pageResponse } from './contract.ts';
import { FinanceSystem } from './funds.ts';

const contract = contractsOf('Webhook endpoints and events');

export const EventTypeSchema = z.enum(EVENT_TYPES).meta({ id: 'EventType' });

export const WebhookEndpoint = z
  .object({
    endpointId: idOf('webhookEndpoint'),
    url: z.string(),
    events: z.array(z.union([EventTypeSchema, z.literal('*')])),
    description: z.string().nullable(),
    financeSystem: FinanceSystem.nullable().meta({
      description: 'The finance system this endpoint belongs to: it receives the payment instructions of the funds that system pays.',
    }),
    status: z.enum(['enabled', 'disabled']),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'WebhookEndpoint' });

export const WebhookSecret = z
  .string()
  .meta({ id: 'WebhookSecret', description: '`whsec_` + base64 of 32 random bytes. Shown only on creation and rotation.' });

export const CreatedWebhookEndpoint = WebhookEndpoint.extend({ secret: WebhookSecret }).meta({ id: 'CreatedWebhookEndpoint' });

const Subscriptions = z
  // ['*'] as an array of one (a tuple has no `items` in OpenAPI, which Spectral's array-items rule requires).
  .union([z.array(z.literal('*')).length(1), z.array(EventTypeSchema).min(1).max(EVENT_TYPES.length)])
  .refine((events) => new Set(events).size === events.length, 'events must be unique');

export const CreateWebhookEndpointBody = z
  .strictObject({
    url: z.string().min(1).max(2048),
    events: Subscriptions,
    description: z.string().trim().max(500).optional(),
    financeSystem: FinanceSystem.optional().meta({
      description:
        "A finance system's own sub (the default for a finance-system caller); any other value, or any value from a fund-admin, is 403.",
    }),
  })
  .meta({ id: 'CreateWebhookEndpointBody' });

export const UpdateWebhookEndpointBody = z
  .strictObject({
    url: z.string().min(1).max(2048).optional(),
    events: Subscriptions.optional(),
    description: z.string().trim().max(500).optional(),
    status: z.literal('enabled').optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'name at least one field to change')
  .meta({ id: 'UpdateWebhookEndpointBody' });

export const WebhookDelivery = z
  .object({
    messageId: idOf('message'),
    eventType: EventTypeSchema,
    attempt: z.number().int().min(1),
    outcome: z.enum(['succeeded', 'failed']),
    responseStatus: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int().min(0),
    at: Timestamp,
  })
  .meta({ id: 'WebhookDelivery' });

const EndpointParams = z.strictObject({ endpointId: idOf('webhookEndpoint') });

export const createWebhookEndpoint = contract(
  'createWebhookEndpoint',
  'Register a webhook endpoint (the secret is shown only in this response)',
  {
    description:
      'The URL must be https and must not resolve to a private, loopback, link-local or metadata address, unless the server runs with ALLOW_INSECURE_WEBHOOKS=true. ' +
      'Only a finance system binds an endpoint (financeSystem), and only to itself: from a finance-system caller financeSystem is its own sub ' +
      '(omitted or equal; any other value is 403 forbidden), and the secret goes to it alone. From a fund-admin a financeSystem is 403 forbidden: ' +
      "a fund-admin's endpoints are observers (payment instructions masked; their acknowledgement never makes a payout sent).",
    body: CreateWebhookEndpointBody,
    bodyExample: createWebhookEndpointExamples.body,
    responses: { 201: { description: 'Created', schema: CreatedWebhookEndpoint, example: createWebhookEndpointExamples.response } },
  },
);

export const listWebhookEndpoints = contract('listWebhookEndpoints', 'List webhook endpoints (a finance system: its own)', {
  query: listQuery(),
  responses: pageResponse('A page of endpoints', WebhookEndpoint, 'WebhookEndpointPage'),
});

export const getWebhookEndpoint = contract('getWebhookEndpoint', 'Get a webhook endpoint', {
  description: "To a finance system, another's endpoint or an observer endpoint is 404 not_found.",
  params: EndpointParams,
  responses: { 200: { description: 'The endpoint', schema: WebhookEndpoint } },
});

export const deleteWebhookEndpoint = contract('deleteWebhookEndpoint', 'Delete a webhook endpoint', {
  params: EndpointParams,
  responses: { 204: { description: 'Deleted' } },
});

export const rotateWebhookSecret = contract('rotateWebhookSecret', 'Rotate the signing secret (the old one keeps signing too for 24 h)', {
  description: "A finance system's endpoint is rotated by that finance system alone (a fund-admin: 403 forbidden).",
  params: EndpointParams,
  body: z.strictObject({}),
  responses: { 200: { description: 'The new secret', schema: z.object({ secret: WebhookSecret }).meta({ id: 'RotatedSecret' }) } },
});

export const listWebhookDeliveries = contract('listWebhookDeliveries', 'Delivery attempts to an endpoint, newest first', {
  params: EndpointParams,
  query: listQuery(),
  responses: pageResponse('A page of attempts', WebhookDelivery, 'WebhookDeliveryPage'),
});

export const updateWebhookEndpoint = contract('updateWebhookEndpoint', 'Change an endpoint, or enable it again after a 410 disabled it', {
  description:
    'A new url passes the same URL guard as on creation. status "enabled" re-enables a disabled endpoint; the payment instructions ' +
    "waiting for a finance system's endpoint are looked at again at once. A payout that became delivery_failed meanwhile is sent again with " +
    "POST /v1/payouts/{payoutId}/redeliver. A finance system changes its own endpoints only; on a finance system's endpoint a fund-admin " +
    'may change status and description, not url or events (403 forbidden).',
  params: EndpointParams,
  body: UpdateWebhookEndpointBody,
  responses: { 200: { description: 'The endpoint', schema: WebhookEndpoint } },
});

const MessageAccepted = z.object({ messageId: idOf('message') }).meta({ id: 'MessageAccepted' });

export const testWebhookEndpoint = contract('testWebhookEndpoint', 'Send one signed webhook.test event to this endpoint alone', {
  description:
    "data: { endpointId }. One attempt, made before the reply and logged in the endpoint's deliveries (its outcome is there); no retries. " +
    'A disabled endpoint is 409 invalid_state.',
  params: EndpointParams,
  body: z.strictObject({}),
  errors: ['invalid_state'],
  responses: { 202: { description: 'Sent; the outcome is in the deliveries', schema: MessageAccepted } },
});

export const resendWebhookMessage = contract(
  'resendWebhookMessage',
  'Send a message to this endpoint again (same webhook-id and body, new timestamp and signature)',
  {
    description:
      "Whatever its earlier outcome. One attempt, made before the reply and logged in the endpoint's deliveries; it changes neither the " +
      "message's delivery state nor its payout. A message this endpoint was never sent is 404 not_found. A payment instruction " +
      '(payout.requested) whose payout is settled or failed, or a disabled endpoint, is 409 invalid_state.',
    params: z.strictObject({ endpointId: idOf('webhookEndpoint'), messageId: idOf('message') }),
    body: z.strictObject({}),
    errors: ['invalid_state'],
    responses: { 202: { description: 'Sent; the outcome is in the deliveries', schema: MessageAccepted } },
  },
);
