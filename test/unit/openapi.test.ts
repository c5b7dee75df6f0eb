import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '#shared/schemas/openapi';
import { contracts } from '#shared/schemas/index';
import { routes } from '#shared/routes';
import { EVENT_TYPES } from '#shared/domain/events';

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument('https://api.example.test');

  it('has exactly one operation per route of shared/routes.ts, with its roles', () => {
    const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { operationId: string; 'x-roles': string[] }>).map(([method, op]) => ({
        key: `${method.toUpperCase()} ${path}`,
        operationId: op.operationId,
        roles: op['x-roles'],
      })),
    );
    expect(operations.map((o) => o.key).sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of routes) {
      const op = operations.find((o) => o.operationId === route.operationId)!;
      expect(op.roles).toEqual(route.roles === 'public' ? [] : [...route.roles]);
    }
  });

  it('has no contract without a route', () => {
    const routed = new Set(routes.map((r) => r.operationId));
    expect([...contracts.keys()].filter((id) => !routed.has(id))).toEqual([]);
  });

  it('documents problem+json errors and the Idempotency-Key header where the contract requires it', () => {
    const create = (doc.paths?.['/v1/disbursements'] as any).post;
    expect(create.responses['400'].content['application/problem+json']).toBeDefined();
    expect(create.responses['400'].description).toContain('idempotency_key_missing');
    expect(create.parameters.find((p: any) => p.name === 'Idempotency-Key')).toMatchObject({ in: 'header', required: true });
    expect(create.security).toEqual([{ bearer: [] }]);
    expect((doc.paths?.['/health'] as any).get.security).toEqual([]);
  });

  it('describes every webhook event type', () => {
    expect(Object.keys(doc.webhooks ?? {})).toContain('payout.requested');
  });

  it("types every webhook event's data with its schema, never a free-form map", () => {
    const schemas = doc.components?.schemas ?? {};
    expect(Object.keys(doc.webhooks ?? {}).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      const body = (doc.webhooks as any)[type].post.requestBody.content['application/json'].schema;
      const ref: string = body.properties.data.$ref;
      expect(ref, type).toMatch(/^#\/components\/schemas\//);
      const data = schemas[ref.split('/').pop()!] as any;
      expect(data.type, type).toBe('object');
      expect(Object.keys(data.properties ?? {}).length, type).toBeGreaterThan(0);
      expect(data.additionalProperties, type).toBeUndefined();
    }
  });

  it('documents the event log with the data of each event type', () => {
    const event = (doc.components?.schemas as any).Event;
    expect(event.oneOf).toHaveLength(EVENT_TYPES.length);
    const list = (doc.paths?.['/v1/events'] as any).get;
    expect(list.parameters.map((p: any) => p.name).sort()).toEqual(['after', 'cursor', 'limit', 'type']);
  });
});
