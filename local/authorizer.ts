/**
 * Verifies bearer tokens the way API Gateway's HTTP API JWT authorizer does, so a request the
 * deployed API would refuse is refused locally too (and the handler never runs). Its documented rules,
 * each one here:
 * - the identity source is the token, alone or after `Bearer `;
 * - the header's `kid` names a key of the issuer's JWKS, and the signature verifies with that key
 *   (RSA only: RS256, the algorithm of the user pool's keys);
 * - `iss` equals the configured issuer;
 * - `aud` matches a configured audience; `client_id` is checked instead only when there is no `aud`;
 * - `exp` is after now (and present), `nbf` and `iat` are before now;
 * - when the route names authorization scopes, `scope` (or `scp`) holds at least one of them.
 * Claims then reach the handler flattened the way HTTP API passes them: every value a string.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK, type JWTPayload } from 'jose';
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

/** What a route asks of the authorizer beyond a valid token (none of this API's routes names scopes). */
export interface RouteAuthorization {
  authorizationScopes?: readonly string[];
}

export type JwtAuthorizer = (authorization: string | undefined, route?: RouteAuthorization) => Promise<VerifiedJwt | undefined>;

export function jwtAuthorizer(settings: JwtAuthorizerSettings): JwtAuthorizer {
  const keys = createLocalJWKSet({ keys: settings.publicKeys });
  const kids = new Set(settings.publicKeys.flatMap((k) => (typeof k.kid === 'string' ? [k.kid] : [])));
  return async (authorization, route) => {
    const token = bearerToken(authorization);
    if (!token) return undefined;
    let payload: JWTPayload;
    try {
      // Without a kid, jose would try the only key there is; API Gateway refuses the token.
      const { kid } = decodeProtectedHeader(token);
      if (typeof kid !== 'string' || !kids.has(kid)) return undefined;
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
    // jose checks that iat is a number, but lets one in the future through.
    if (payload.iat !== undefined && payload.iat > Math.floor(Date.now() / 1000)) return undefined;
    const scopes = scopesOf(payload);
    const required = route?.authorizationScopes ?? [];
    if (required.length > 0 && !required.some((s) => scopes.includes(s))) return undefined;
    return { claims: flattenClaims(payload), scopes };
  };
}

/** API Gateway takes the identity source as is or after a `Bearer ` prefix. */
function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  const token = match ? match[1] : header.trim();
  return token && token.split('.').length === 3 ? token : undefined;
}

/** API Gateway evaluates `aud` when the token has one; `client_id` only stands in when it has none. */
function audienceMatches(payload: JWTPayload, audience: string[]): boolean {
  if (payload.aud !== undefined) {
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    return aud.some((a) => audience.includes(a));
  }
  return typeof payload.client_id === 'string' && audience.includes(payload.client_id);
}

/** The token's scopes: `scope` (space-separated, as Cognito writes it), else `scp` (a list or a string). */
function scopesOf(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

/** `["a","b"]` → `[a b]`, numbers and booleans → their text, objects → JSON. */
export function flattenClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) claims[name] = `[${value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ')}]`;
    else if (typeof value === 'object') claims[name] = JSON.stringify(value);
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- objects went to JSON above; what is left is a JSON scalar
    else claims[name] = String(value);
  }
  return claims;
}
