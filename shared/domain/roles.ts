/**
 * The roles of the contract. People get them as Cognito groups, machine clients as `relief-fund/<role>`
 * scopes of their client-credentials access tokens.
 */
import { notFound } from './errors.ts';

export const ROLES = [
  'fund-admin',
  'requester',
  'approver',
  'campaign-operator',
  'station-officer',
  'finance-system',
  'auditor',
  'observer',
] as const;

export type Role = (typeof ROLES)[number];

export const SCOPE_PREFIX = 'relief-fund/';

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Who is calling: the JWT `sub` and the contract roles found in its claims. */
export interface Principal {
  sub: string;
  roles: Role[];
}

/**
 * A machine client's token: a client-credentials access token (Cognito: `token_use` = `access`, no
 * `username` or `cognito:username`, since no person signed in) of an app client listed as a machine
 * client. Were a user-facing client ever allowed the resource server's scopes, its users' tokens would
 * carry `relief-fund/<role>` scopes too; those must grant nothing.
 */
export function isMachineClientToken(claims: Record<string, unknown>, machineClientIds: readonly string[]): boolean {
  const clientId = claims.client_id;
  return (
    claims.token_use === 'access' &&
    typeof clientId === 'string' &&
    machineClientIds.includes(clientId) &&
    claims.username === undefined &&
    claims['cognito:username'] === undefined
  );
}

/**
 * Reads roles from JWT claims as API Gateway HTTP API hands them over. The JWT authorizer flattens
 * array claims into strings like `[fund-admin approver]`, so both that form and real arrays are read.
 * People's roles come from `cognito:groups` only; scope roles only from a listed machine client's token.
 */
export function rolesFromClaims(claims: Record<string, unknown>, machineClientIds: readonly string[]): Role[] {
  const found = new Set<Role>();
  for (const group of listClaim(claims['cognito:groups'])) {
    if (isRole(group)) found.add(group);
  }
  if (!isMachineClientToken(claims, machineClientIds)) return [...found];
  for (const scope of listClaim(claims.scope)) {
    if (scope.startsWith(SCOPE_PREFIX)) {
      const role = scope.slice(SCOPE_PREFIX.length);
      if (isRole(role)) found.add(role);
    }
  }
  return [...found];
}

function listClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  // Stryker disable next-line ArrayDeclaration: any placeholder here is neither a role nor a relief-fund/ scope, so no role comes of it
  if (typeof value !== 'string') return [];
  const trimmed = value.trim();
  const inner = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  // Stryker disable next-line MethodExpression: without the filter, the empty pieces left are neither roles nor relief-fund/ scopes
  return inner.split(/[\s,]+/).filter(Boolean);
}

/** Who reads money records (payouts, disbursements, batches, the ledger). */
export interface MoneyReader {
  sub: string;
  roles: readonly string[];
}

/** Roles that read every fund's money records; a caller with only `finance-system` reads its own funds'. */
const READS_EVERY_FUND: readonly string[] = ['fund-admin', 'auditor', 'requester', 'approver', 'observer'];

/**
 * An independent observer (API.md, "Authentication and roles"): reads money records masked, writes nothing, and
 * every request it makes is kept in the access log (shared/http/access-log.ts).
 */
export const OBSERVER: Role = 'observer';

export function isObserver(principal: { roles: readonly string[] }): boolean {
  return principal.roles.includes(OBSERVER);
}

/**
 * The finance system a reader is limited to (its `sub`: a fund names its paying system by it), or
 * undefined when the reader may read every fund.
 */
export function payerScope(reader: MoneyReader): string | undefined {
  return reader.roles.some((r) => READS_EVERY_FUND.includes(r)) ? undefined : reader.sub;
}

/**
 * What a reader may see of a thing paid by `payer`: itself, or 404 `not_found` when another finance system pays
 * it (a finance system may not even learn that another system's money exists).
 */
export function visibleTo<T extends { payer: string | null }>(thing: T, reader: MoneyReader, what: string): T {
  const scope = payerScope(reader);
  if (scope !== undefined && thing.payer !== scope) throw notFound(what);
  return thing;
}

/** Who does something: the token's subject, and the request's correlation id for the audit trail. */
export interface Actor {
  sub: string;
  correlationId?: string;
}
