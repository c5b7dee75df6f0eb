/**
 * Verifies bearer tokens the way API Gateway's HTTP API JWT authorizer does, so a request the
 * deployed API would refuse is refused locally too (and the handler never runs): RS256 only, key
 * chosen by `kid`, issuer exact, audience in `aud` or `client_id`, `exp`/`nbf` checked.
 * Claims then reach the handler flattened the way HTTP API passes them: every value a string.
 */
import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { TOKEN_ALGORITHM } from './keys.ts';

export interface JwtAuthorizerSettings {
  issuer: string;
  audience: string[];
  publicKeys: JWK[];
}

export interface VerifiedJwt {
  claims: Record<string, string>;
  scopes: string[];
}

export type JwtAuthorizer = (authorization: string | undefined) => Promise<VerifiedJwt | undefined>;

export function jwtAuthorizer(settings: JwtAuthorizerSettings): JwtAuthorizer {
  const keys = createLocalJWKSet({ keys: settings.publicKeys });
  return async (authorization) => {
    const token = bearerToken(authorization);
    if (!token) return undefined;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: settings.issuer,
        requiredClaims: ['exp'],
      }));
    } catch {
      // Which check failed is not the caller's business (nor the log's: the token is a credential).
      return undefined;
    }
    if (!audienceMatches(payload, settings.audience)) return undefined;
    return { claims: flattenClaims(payload), scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [] };
  };
}

/** API Gateway takes the identity source as is or after a `Bearer ` prefix. */
function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  const token = match ? match[1] : header.trim();
  return token && token.split('.').length === 3 ? token : undefined;
}

function audienceMatches(payload: JWTPayload, audience: string[]): boolean {
  const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
  return aud.some((a) => audience.includes(a)) || (clientId !== undefined && audience.includes(clientId));
}

/** `["a","b"]` → `[a b]`, numbers and booleans → their text, objects → JSON. */
export function flattenClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) claims[name] = `[${value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ')}]`;
    else if (typeof value === 'object') claims[name] = JSON.stringify(value);
    else claims[name] = String(value);
  }
  return claims;
}
