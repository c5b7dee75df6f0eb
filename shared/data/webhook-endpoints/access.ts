/**
 * Webhook endpoints as a caller may see and change them (the rules: shared/domain/endpoint-ownership.ts).
 * An endpoint's `financeSystem` is set once, at creation, and no route changes it: reading it and then
 * acting on the decision cannot race with a change of owner.
 */
import { decideEndpointAccess, endpointScope, type EndpointAction, type EndpointCaller } from '../../domain/endpoint-ownership.ts';
import type { Page } from '../platform/query.ts';
import { getEndpoint, listEndpoints, type WebhookEndpoint } from './items.ts';

/** The endpoint, when `caller` may do `action` on it: else 404 (outside its scope) or 403. */
export async function endpointFor(
  endpointId: string,
  caller: EndpointCaller,
  action: EndpointAction,
  change?: { url?: unknown; events?: unknown; description?: unknown; status?: unknown },
): Promise<WebhookEndpoint> {
  const endpoint = await getEndpoint(endpointId);
  decideEndpointAccess(caller, endpoint, action, change);
  return endpoint;
}

/** Every endpoint for a fund-admin or auditor; a finance system's own only. */
export function listEndpointsFor(caller: EndpointCaller, page: { limit: number; cursor?: string }): Promise<Page<WebhookEndpoint>> {
  const financeSystem = endpointScope(caller);
  return listEndpoints({ ...page, ...(financeSystem !== undefined ? { financeSystem } : {}) });
}
