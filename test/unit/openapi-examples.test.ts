/**
 * The OpenAPI document's examples: the main routes carry a request and a response example, the main
 * webhook a payload example, and every example in the document is one its own schema accepts (so an
 * example cannot drift from the contract unnoticed).
 */
import { describe, expect, it } from 'vitest';
import { contracts } from '#shared/schemas/index';
import { webhookPayload } from '#shared/schemas/events';
import { buildOpenApiDocument } from '#shared/schemas/openapi';

const MAIN = [
  'createFund',
  'createDisbursement',
  'approveDisbursement',
  'createBatch',
  'approveBatch',
  'settlePayout',
  'createWebhookEndpoint',
];

type Media = { example?: unknown };
type Operation = {
  operationId: string;
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
};

const doc = buildOpenApiDocument();
const operations = Object.values(doc.paths ?? {}).flatMap((item) => Object.values(item as Record<string, Operation>));
const byId = new Map(operations.map((op) => [op.operationId, op]));

describe('examples in the OpenAPI document', () => {
  it.each(MAIN)('%s has a request body example and a success response example', (operationId) => {
    const op = byId.get(operationId)!;
    expect(op.requestBody?.content['application/json']?.example, operationId).toBeDefined();
    const success = Object.entries(op.responses).find(([status]) => status.startsWith('2'))!;
    expect(success[1].content?.['application/json']?.example, operationId).toBeDefined();
  });

  it('every example is accepted by its own schema (request bodies and responses)', () => {
    let checked = 0;
    for (const contract of contracts.values()) {
      const op = byId.get(contract.operationId)!;
      const bodyExample = op.requestBody?.content['application/json']?.example;
      if (bodyExample !== undefined) {
        expect(contract.body!.safeParse(bodyExample).error?.issues, `${contract.operationId} body`).toBeUndefined();
        checked++;
      }
      for (const [status, spec] of Object.entries(contract.responses)) {
        const example = op.responses[status]?.content?.['application/json']?.example;
        if (example === undefined) continue;
        expect(spec.schema!.safeParse(example).error?.issues, `${contract.operationId} ${status}`).toBeUndefined();
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(MAIN.length * 2);
  });

  it('the payout.requested webhook has a payload example its schema accepts', () => {
    const webhooks = (doc as { webhooks?: Record<string, { post: Operation }> }).webhooks!;
    const example = webhooks['payout.requested']!.post.requestBody?.content['application/json']?.example;
    expect(example).toBeDefined();
    expect(webhookPayload('payout.requested').safeParse(example).error?.issues).toBeUndefined();
  });
});
