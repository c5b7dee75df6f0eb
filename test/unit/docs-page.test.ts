/** `/docs` lists the webhooks of the OpenAPI document (3.1 `webhooks`), each linked to its payload schema. */
import { describe, expect, it } from 'vitest';
import { renderDocsPage } from '#shared/http/docs-page';
import { buildOpenApiDocument } from '#shared/schemas/openapi';

describe('docs page', () => {
  it('renders each webhook with its summary and payload schema, escaped', () => {
    const doc = buildOpenApiDocument();
    const withWebhooks = {
      ...doc,
      webhooks: {
        'payout.requested': {
          post: {
            summary: 'A payment <instruction>',
            requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/PayoutRequestedEvent' } } } },
          },
        },
      },
    };
    const page = renderDocsPage(withWebhooks);
    expect(page).toContain('<h2 id="webhooks">Webhooks</h2>');
    expect(page).toContain('id="webhook-payout.requested"');
    expect(page).toContain('A payment &lt;instruction&gt;');
    expect(page).toContain('href="#schema-PayoutRequestedEvent"');
  });

  it('has no webhooks section for a document without webhooks', () => {
    const doc = buildOpenApiDocument();
    const { webhooks: _, ...without } = doc as typeof doc & { webhooks?: unknown };
    expect(renderDocsPage(without as typeof doc)).not.toContain('id="webhooks"');
  });
});
