/**
 * The policy of a server-rendered public page (the notice, the fund's public page, the half-year report): no script,
 * no frames, no other origin, and its one inline style allowed by its hash. A page with a form may post only back
 * to itself; the others post nowhere.
 */
import { createHash } from 'node:crypto';

export interface PagePolicy {
  csp: string;
  headers: () => Record<string, string>;
}

export function pagePolicy(style: string, options: { form: boolean; cacheControl: string }): PagePolicy {
  const styleHash = createHash('sha256').update(style).digest('base64');
  const forms = options.form ? "form-action 'self'; base-uri 'none'" : "base-uri 'none'; form-action 'none'";
  const csp = `default-src 'none'; style-src 'sha256-${styleHash}'; ${forms}; frame-ancestors 'none'`;
  return {
    csp,
    headers: () => ({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': csp,
      'cache-control': options.cacheControl,
      'referrer-policy': 'no-referrer',
    }),
  };
}
