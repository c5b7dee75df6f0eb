/** The access log: every request an observer made (API.md, "Where the money stands"). */
import * as z from 'zod';
import { Timestamp } from './common.ts';
import { contractsOf, listQuery, pageResponse } from './contract.ts';

const contract = contractsOf('Access log');

export const AccessLogEntry = z
  .object({
    at: Timestamp.meta({ description: 'When the request arrived' }),
    actor: z.string().meta({ description: "The observer's `sub`" }),
    method: z.string().meta({ example: 'GET' }),
    path: z.string().meta({ description: 'The path as called, without its query string', example: '/v1/payouts' }),
    status: z.number().int().min(100).max(599).meta({ description: 'The status the observer got', example: 200 }),
  })
  .meta({ id: 'AccessLogEntry' });

export const listAccessLog = contract('listAccessLog', 'Every request an observer made, newest first', {
  description:
    'Every request made with an `observer` token, whatever it answered (403 and 404 too), written before its response went out ' +
    "and kept at least 2 years. `actor` is one observer's `sub`; `from` is inclusive, `to` exclusive.",
  query: listQuery({ actor: z.string().min(1).max(256).optional(), from: Timestamp.optional(), to: Timestamp.optional() }),
  responses: pageResponse('A page of access-log entries', AccessLogEntry, 'AccessLogEntryPage'),
});
