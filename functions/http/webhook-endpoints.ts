import { httpFunction } from '#shared/http/function';
import { created, implement, noContent, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/webhook-endpoints';
import { config } from '#shared/config';
import { validationFailed } from '#shared/domain/errors';
import { checkWebhookUrl, UnsafeWebhookUrl } from '#shared/webhooks/url-guard';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  rotateSecret,
} from '#shared/data/webhook-endpoints';

export const handler = httpFunction('webhook-endpoints', [
  implement(contracts.createWebhookEndpoint, async ({ body, principal, correlationId, now }) => {
    try {
      await checkWebhookUrl(body.url, { allowInsecure: config().ALLOW_INSECURE_WEBHOOKS });
    } catch (error) {
      if (!(error instanceof UnsafeWebhookUrl)) throw error;
      throw validationFailed([{ path: 'body.url', message: error.message }], `The webhook URL is not allowed: ${error.message}`);
    }
    return created(await createEndpoint(body, { sub: principal.sub, correlationId }, now));
  }),
  implement(contracts.listWebhookEndpoints, async ({ query }) => ok(await listEndpoints(query))),
  implement(contracts.getWebhookEndpoint, async ({ params }) => ok(await getEndpoint(params.endpointId))),
  implement(contracts.deleteWebhookEndpoint, async ({ params, principal, correlationId, now }) => {
    await deleteEndpoint(params.endpointId, { sub: principal.sub, correlationId }, now);
    return noContent();
  }),
  implement(contracts.rotateWebhookSecret, async ({ params, principal, correlationId, now }) =>
    ok({ secret: await rotateSecret(params.endpointId, { sub: principal.sub, correlationId }, now) }),
  ),
  implement(contracts.listWebhookDeliveries, async ({ params, query }) => ok(await listDeliveries(params.endpointId, query))),
]);
