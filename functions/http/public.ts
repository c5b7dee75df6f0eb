import { httpFunction } from '#shared/http/function';
import { implement, ok } from '#shared/http/operation';
import { renderDocsPage } from '#shared/http/docs-page';
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
    page ??= renderDocsPage(openApi());
    return {
      status: 200,
      raw: page,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        'cache-control': 'public, max-age=300',
      },
    };
  }),
]);
