/**
 * Who may bind, see and change a webhook endpoint (API 1.2, "No single person can redirect a payment").
 *
 * An endpoint with `financeSystem` belongs to that finance system: it receives the payment instructions
 * (full account) of the funds the system pays, and its acknowledgement makes a payout `sent`. So only
 * the finance system itself binds one, with its own token; a fund-admin's endpoints are observers.
 * A finance system sees and changes only its own endpoints. On a finance system's endpoint a fund-admin
 * may re-enable it, test, resend, read its deliveries and delete it (the operations that keep payments
 * flowing or stop them), but never point it elsewhere, change what it receives, or learn its secret.
 */
import { DomainError, notFound } from './errors.ts';

export interface EndpointCaller {
  sub: string;
  roles: readonly string[];
}

export type EndpointAction = 'read' | 'change' | 'rotate' | 'delete' | 'test' | 'resend';

/** What a change names: `url` and `events` redirect or re-scope an endpoint, `status` and `description` do not. */
export interface EndpointChangeFields {
  url?: unknown;
  events?: unknown;
  description?: unknown;
  status?: unknown;
}

const MANAGES_EVERY_ENDPOINT: readonly string[] = ['fund-admin', 'auditor'];

const isFinanceSystem = (caller: EndpointCaller) => caller.roles.includes('finance-system');

/** The finance system a caller is limited to (its own endpoints), or undefined when it manages every endpoint. */
export function endpointScope(caller: EndpointCaller): string | undefined {
  return caller.roles.some((r) => MANAGES_EVERY_ENDPOINT.includes(r)) ? undefined : caller.sub;
}

/**
 * The `financeSystem` a new endpoint gets: a finance system's own `sub` (omitted or equal; any other is
 * 403), none for anyone else (naming one is 403).
 */
export function decideBinding(caller: EndpointCaller, requested: string | undefined): string | null {
  if (isFinanceSystem(caller)) {
    if (requested !== undefined && requested !== caller.sub) {
      throw new DomainError('forbidden', 'A finance system binds an endpoint only to itself');
    }
    return caller.sub;
  }
  if (requested !== undefined) {
    throw new DomainError(
      'forbidden',
      "Only a finance system binds an endpoint to itself, with its own token; a fund admin's endpoints are observers",
    );
  }
  return null;
}

/**
 * May `caller` do `action` on an endpoint that belongs to `owner` (null: an observer endpoint)? An
 * endpoint outside a finance system's scope does not exist for it (404); a fund-admin's refusal on a
 * finance system's endpoint is 403.
 */
export function decideEndpointAccess(
  caller: EndpointCaller,
  endpoint: { endpointId: string; financeSystem: string | null },
  action: EndpointAction,
  change: EndpointChangeFields = {},
): void {
  const scope = endpointScope(caller);
  if (scope !== undefined && endpoint.financeSystem !== scope) throw notFound(`Webhook endpoint ${endpoint.endpointId}`);
  if (endpoint.financeSystem === null) return;
  if (isFinanceSystem(caller) && endpoint.financeSystem === caller.sub) return;
  if (action === 'rotate') {
    throw new DomainError('forbidden', `Only ${endpoint.financeSystem} rotates the secret of its endpoint`);
  }
  if (action === 'change' && (change.url !== undefined || change.events !== undefined)) {
    throw new DomainError('forbidden', `Only ${endpoint.financeSystem} changes the url or events of its endpoint`);
  }
}
