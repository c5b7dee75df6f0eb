import { httpFunction } from '#shared/http/function';
import { implement, ok } from '#shared/http/operation';
import { acceptsGzip, DOCS_CSP, referenceBundle, renderDocsPage } from '#shared/http/api-reference';
import * as contracts from '#shared/schemas/public';
import { buildOpenApiDocument } from '#shared/schemas/openapi';

let document: ReturnType<typeof buildOpenApiDocument> | undefined;
let page: string | undefined;

/** Built on first use, then kept for the life of the execution environment. */
function openApi() {
  document ??= buildOpenApiDocument(process.env.PUBLIC_BASE_URL || undefined);
  return document;
}

export const handler = httpFunction('public', [
  implement(contracts.getHealth, async () => ok({ status: 'ok' })),
  implement(contracts.getOpenApi, async () => ok(openApi())),
  implement(contracts.getDocs, async () => {
    page ??= renderDocsPage(openApi().info.title, referenceBundle().version);
    return {
      status: 200,
      raw: page,
      headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': DOCS_CSP, 'cache-control': 'public, max-age=300' },
    };
  }),
  implement(contracts.getDocsReference, async ({ headers }) => {
    const bundle = referenceBundle();
    const gzip = acceptsGzip(headers['accept-encoding']);
    return {
      status: 200,
      raw: gzip ? bundle.gzip : bundle.text.toString('utf8'),
      headers: {
        'content-type': 'text/javascript; charset=utf-8',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        vary: 'accept-encoding',
        // The page asks for it by content hash (?v=): a new bundle is a new URL.
        'cache-control': 'public, max-age=31536000, immutable',
      },
    };
  }),
]);
