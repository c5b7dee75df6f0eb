/**
 * The OpenAPI 3.1 document, generated from the route table (paths, roles, idempotency rules, body
 * limits) and the zod contracts (parameters, bodies, responses). Nothing here is written by hand
 * twice: a route or field added in code appears in the document.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { EVENT_TYPES } from '../domain/events.ts';
import { ERROR_STATUS, ERROR_TITLES, type ErrorCode } from '../domain/errors.ts';
import { routes, type RouteDefinition } from '../routes.ts';
import type { OperationContract } from '../http/operation.ts';
import { Problem } from './common.ts';
import { webhookPayload } from './events.ts';
import { contracts } from './index.ts';
import { WEBHOOK_EXAMPLES } from './examples.ts';

const IdempotencyKey = z.string().min(1).max(255);

/** Errors any operation of this shape can answer, beyond those its contract names. */
function commonErrors(route: RouteDefinition, contract: OperationContract): ErrorCode[] {
  const codes: ErrorCode[] = [];
  const takesInput = Boolean(contract.body || contract.query || (contract.params && contract.invalidParams === 'validation_failed'));
  if (takesInput) codes.push('validation_failed');
  if (route.idempotency === 'required') codes.push('idempotency_key_missing');
  if (route.roles !== 'public') codes.push('unauthenticated', 'forbidden');
  if (contract.params) codes.push('not_found');
  if (contract.body) codes.push('payload_too_large');
  if (route.idempotency !== 'none') codes.push('idempotency_key_in_flight', 'idempotency_key_reuse');
  return codes;
}

function errorResponses(codes: ErrorCode[]): RouteConfig['responses'] {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: RouteConfig['responses'] = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: list.map((c) => `\`${c}\`: ${ERROR_TITLES[c]}`).join('; '),
      content: { 'application/problem+json': { schema: Problem } },
    };
  }
  return out;
}

function describe(route: RouteDefinition, contract: OperationContract): string {
  const roles = route.roles === 'public' ? 'No authentication.' : `Roles: ${route.roles.map((r) => `\`${r}\``).join(', ')}.`;
  const idempotency =
    route.idempotency === 'required'
      ? ' Requires `Idempotency-Key`.'
      : route.idempotency === 'honoured'
        ? ' Honours `Idempotency-Key`.'
        : '';
  return [contract.description, `${roles}${idempotency}`].filter(Boolean).join('\n\n');
}

export function buildOpenApiDocument(serverUrl?: string) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'Cognito JWT. Roles come from `cognito:groups` (people) or `relief-fund/<role>` scopes (machine clients).',
  });

  for (const route of routes) {
    const contract = contracts.get(route.operationId);
    if (!contract) throw new Error(`${route.operationId}: no contract in shared/schemas/index.ts`);
    const success: RouteConfig['responses'] = {};
    for (const [status, spec] of Object.entries(contract.responses)) {
      success[status] = spec.schema
        ? {
            description: spec.description,
            content: {
              [spec.contentType ?? 'application/json']: { schema: spec.schema, example: spec.example },
              ...Object.fromEntries(
                (spec.alternatives ?? []).map((a) => [a.contentType, { schema: z.string().meta({ description: a.description }) }]),
              ),
            },
          }
        : spec.contentType
          ? { description: spec.description, content: { [spec.contentType]: { schema: z.string() } } }
          : { description: spec.description };
    }
    const headers =
      route.idempotency === 'none'
        ? undefined
        : z.object({
            'Idempotency-Key':
              route.idempotency === 'required'
                ? IdempotencyKey.meta({ description: 'Required. Scoped to the caller, kept 24 h.' })
                : IdempotencyKey.optional().meta({ description: 'Optional. Scoped to the caller, kept 24 h.' }),
          });
    registry.registerPath({
      method: route.method.toLowerCase() as RouteConfig['method'],
      path: route.path,
      operationId: route.operationId,
      summary: contract.summary,
      description: describe(route, contract),
      tags: [contract.tag],
      security: route.roles === 'public' ? [] : [{ bearer: [] }],
      'x-roles': route.roles === 'public' ? [] : [...route.roles],
      'x-max-body-bytes': contract.body ? route.maxBodyBytes : undefined,
      request: {
        params: contract.params as never,
        query: contract.query as never,
        headers: headers as never,
        body: contract.body
          ? {
              required: true,
              content: {
                [contract.bodyFormat === 'form' ? 'application/x-www-form-urlencoded' : 'application/json']: {
                  schema: contract.body,
                  example: contract.bodyExample,
                },
                ...(contract.csvBody ? { 'text/csv': { schema: z.string().meta({ description: contract.csvBody.description }) } } : {}),
              },
            }
          : undefined,
      },
      responses: { ...success, ...errorResponses([...commonErrors(route, contract), ...(contract.errors ?? [])]) },
    });
  }

  for (const type of EVENT_TYPES) {
    registry.registerWebhook({
      method: 'post',
      path: type,
      operationId: `webhook:${type}`,
      summary: `${type} (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature)`,
      request: {
        body: {
          content: {
            'application/json': {
              schema: webhookPayload(type),
              example: WEBHOOK_EXAMPLES[type],
            },
          },
        },
      },
      responses: { '200': { description: 'Any 2xx within 15 s acknowledges the message; 410 disables the endpoint.' } },
    });
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'relief-fund API',
      version: '1.0.0',
      description:
        'Disbursements under maker-checker rules, payouts over signed webhooks, county campaigns and village service stations. Amounts are integer fen (1 yuan = 100 fen).',
    },
    servers: serverUrl ? [{ url: serverUrl }] : [],
  });
}
