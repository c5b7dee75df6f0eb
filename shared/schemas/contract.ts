/**
 * How a context's schema module declares its operations: the tag written once, and the parts every list
 * route shares (its query's `limit` and `cursor`, its page).
 */
import * as z from 'zod';
import { defineContract, type OperationContract } from '../http/operation.ts';
import { Page, pageOf } from './common.ts';

/**
 * The contracts of one tag of the document, the tag written once: `const contract = contractsOf('Funds')`,
 * then `contract('getFund', 'Get a fund with its running totals', { params, responses })`.
 */
export function contractsOf(tag: string) {
  return <P = Record<string, never>, Q = Record<string, never>, B = undefined>(
    operationId: string,
    summary: string,
    contract: Omit<OperationContract<P, Q, B>, 'operationId' | 'tag' | 'summary'>,
  ): OperationContract<P, Q, B> => defineContract({ operationId, tag, summary, ...contract });
}

export type Contracts = ReturnType<typeof contractsOf>;

/** The query of a list route: its filters, then `limit` and `cursor`. */
export function listQuery<T extends z.ZodRawShape = Record<never, never>>(filters: T = {} as T) {
  return z.strictObject({ ...filters, ...Page });
}

/** A list route's 200: a page of `item`, registered as `id`. */
export function pageResponse(description: string, item: z.ZodType, id: string) {
  return { 200: { description, schema: pageOf(item, id) } };
}
