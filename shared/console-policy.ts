/**
 * The fund console's Content-Security-Policy, one definition for CloudFront (infra/stacks/console-stack.ts)
 * and `npm start` (local/console-host.ts). Scripts and styles only from the console's own origin, no
 * inline code; the API is on the same origin; `tokenOrigins` is where the OAuth token request goes.
 */
export function consoleContentSecurityPolicy(tokenOrigins: readonly string[] = []): string {
  const connect = ["'self'", ...tokenOrigins].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
