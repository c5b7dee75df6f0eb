import * as z from 'zod';
import { contractsOf } from './contract.ts';

const contract = contractsOf('Meta');

export const getHealth = contract('getHealth', 'Liveness check', {
  responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }).meta({ id: 'Health' }) } },
});

export const getOpenApi = contract('getOpenApi', 'This OpenAPI 3.1 document', {
  responses: { 200: { description: 'The document', schema: z.record(z.string(), z.unknown()) } },
});

export const getDocs = contract('getDocs', 'Human-readable API reference rendered from the OpenAPI document', {
  responses: { 200: { description: 'HTML page', contentType: 'text/html' } },
});

export const getDocsReference = contract(
  'getDocsReference',
  "The API reference's script (Scalar's standalone bundle), served from here so /docs works offline",
  {
    description: 'gzip-encoded when the client accepts gzip. Cached for a year: `/docs` asks for it with its content hash in `?v=`.',
    query: z.strictObject({ v: z.string().max(64).optional().meta({ description: "The bundle's content hash: a new bundle, a new URL" }) }),
    responses: { 200: { description: 'JavaScript', contentType: 'text/javascript' } },
  },
);
