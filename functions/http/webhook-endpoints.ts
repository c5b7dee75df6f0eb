import { httpFunction } from '#shared/http/function';
import { accepted, created, implement, noContent, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/webhook-endpoints';
import * as eventContracts from '#shared/schemas/events';
import { config } from '#shared/config';
import { validationFailed } from '#shared/domain/errors';
import { checkWebhookUrl, UnsafeWebhookUrl } from '#shared/webhooks/url-guard';
import { resendMessage, sendTestEvent } from '#shared/webhooks/targeted';
import { getEventFor, listEvents } from '#shared/data/event-log/items';
import { createEndpoint, deleteEndpoint, listDeliveries, rotateSecret, updateEndpoint } from '#shared/data/webhook-endpoints/items';
import { endpointFor, listEndpointsFor } from '#shared/data/webhook-endpoints/access';
import { decideBinding } from '#shared/domain/endpoint-ownership';

/** The URL guard on a URL a caller hands us: a refusal is a 400 naming the field. */
async function guardUrl(url: string): Promise<void> {
  try {
    await checkWebhookUrl(url, { allowInsecure: config().ALLOW_INSECURE_WEBHOOKS });
  } catch (error) {
    if (!(error instanceof UnsafeWebhookUrl)) throw error;
    throw validationFailed([{ path: 'body.url', message: error.message }], `The webhook URL is not allowed: ${error.message}`);
  }
}

export const handler = httpFunction('webhook-endpoints', [
  implement(contracts.createWebhookEndpoint, async ({ body, principal, correlationId, now }) => {
    const financeSystem = decideBinding(principal, body.financeSystem);
    await guardUrl(body.url);
    const input = { ...body, ...(financeSystem !== null ? { financeSystem } : {}) };
    return created(await createEndpoint(input, { sub: principal.sub, correlationId }, now));
  }),
  implement(contracts.listWebhookEndpoints, async ({ query, principal }) => ok(await listEndpointsFor(principal, query))),
  implement(contracts.getWebhookEndpoint, async ({ params, principal }) => ok(await endpointFor(params.endpointId, principal, 'read'))),
  implement(contracts.updateWebhookEndpoint, async ({ params, body, principal, correlationId, now }) => {
    await endpointFor(params.endpointId, principal, 'change', body);
    if (body.url !== undefined) await guardUrl(body.url);
    return ok(await updateEndpoint(params.endpointId, body, { sub: principal.sub, correlationId }, now));
  }),
  implement(contracts.deleteWebhookEndpoint, async ({ params, principal, correlationId, now }) => {
    await endpointFor(params.endpointId, principal, 'delete');
    await deleteEndpoint(params.endpointId, { sub: principal.sub, correlationId }, now);
    return noContent();
  }),
  implement(contracts.rotateWebhookSecret, async ({ params, principal, correlationId, now }) => {
    await endpointFor(params.endpointId, principal, 'rotate');
    return ok({ secret: await rotateSecret(params.endpointId, { sub: principal.sub, correlationId }, now) });
  }),
  implement(contracts.listWebhookDeliveries, async ({ params, query, principal }) => {
    await endpointFor(params.endpointId, principal, 'read');
    return ok(await listDeliveries(params.endpointId, query));
  }),
  implement(contracts.testWebhookEndpoint, async ({ params, principal, now }) => {
    await endpointFor(params.endpointId, principal, 'test');
    return accepted(await sendTestEvent(params.endpointId, now));
  }),
  implement(contracts.resendWebhookMessage, async ({ params, principal, now }) => {
    await endpointFor(params.endpointId, principal, 'resend');
    await resendMessage(params.endpointId, params.messageId, now);
    return accepted({ messageId: params.messageId });
  }),
  implement(eventContracts.listEvents, async ({ query, principal }) => ok(await listEvents(query, principal))),
  implement(eventContracts.getEvent, async ({ params, principal }) => ok(await getEventFor(params.messageId, principal))),
]);
