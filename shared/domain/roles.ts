/** The roles of the contract. People get them as Cognito groups, machine clients as `relief-fund/<role>` scopes. */
export const ROLES = [
  'fund-admin',
  'requester',
  'approver',
  'campaign-operator',
  'station-officer',
  'finance-system',
  'auditor',
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
 * Reads roles from JWT claims as API Gateway HTTP API hands them over. The JWT authorizer flattens
 * array claims into strings like `[fund-admin approver]`, so both that form and real arrays are read.
 */
export function rolesFromClaims(claims: Record<string, unknown>): Role[] {
  const found = new Set<Role>();
  for (const group of listClaim(claims['cognito:groups'])) {
    if (isRole(group)) found.add(group);
  }
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
