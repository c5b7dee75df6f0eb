import * as z from 'zod';
import { defineContract } from '../http/operation.ts';

export const getHealth = defineContract({
  operationId: 'getHealth',
  tag: 'Meta',
  summary: 'Liveness check',
  responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }).meta({ id: 'Health' }) } },
});

export const getOpenApi = defineContract({
  operationId: 'getOpenApi',
  tag: 'Meta',
  summary: 'This OpenAPI 3.1 document',
  responses: { 200: { description: 'The document', schema: z.record(z.string(), z.unknown()) } },
});

export const getDocs = defineContract({
  operationId: 'getDocs',
  tag: 'Meta',
  summary: 'Human-readable API reference rendered from the OpenAPI document',
  responses: { 200: { description: 'HTML page', contentType: 'text/html' } },
});
