/**
 * Building blocks shared by every context's schemas. Request schemas are strict (unknown fields are
 * a 400); `.meta({ id })` names a schema in the generated OpenAPI document.
 */
import * as z from 'zod';
import { idPattern, type IdKind } from '../ids.ts';
import { ROLES } from '../domain/roles.ts';

/** 1 fen .. 10^13 fen (10 billion yuan). */
export const MAX_AMOUNT = 10_000_000_000_000;

export const Amount = z
  .number()
  .int('amount must be a whole number of fen')
  .min(1)
  .max(MAX_AMOUNT)
  .meta({ id: 'Amount', description: 'Integer amount in fen (1 yuan = 100 fen), 1 .. 10^13.', example: 1_500_000 });

/** A running total that may be zero (allocated, reserved, paid …). */
export const Total = z.number().int().min(0).meta({ description: 'Integer amount in fen.' });

/** An allocation's balances, in the order every view of them shows them (an allocation, a ledger entry, a snapshot). */
export const Balances = { allocated: Total, reserved: Total, paid: Total, available: Total };

/** A fund's totals: its budget, the balances of its allocations added up, and what no allocation holds. */
export const FundTotals = { totalBudget: Total, ...Balances, unallocated: Total };

export const Currency = z.literal('CNY').meta({ id: 'Currency' });

export const Timestamp = z.iso.datetime({ offset: true }).meta({ description: 'RFC 3339 timestamp', example: '2026-11-29T08:00:00Z' });

export const CountyCode = z
  .string()
  .regex(/^[1-9]\d{5}$/, 'a 6-digit administrative division code')
  .meta({ id: 'CountyCode', example: '500241' });

export function idOf(kind: IdKind) {
  return z.string().regex(idPattern(kind), `a ${kind} id`);
}

export const Role = z.enum(ROLES).meta({ id: 'Role' });

export const NonBlank = (max: number) => z.string().trim().min(1).max(max);

export const Reason = z.strictObject({ reason: NonBlank(500) }).meta({ id: 'ReasonBody' });

export const EmptyBody = z.strictObject({}).meta({ id: 'EmptyBody' });

/** The longest cursor a list route accepts (the ones we issue stay below it). */
export const MAX_CURSOR_LENGTH = 2048;

/** Query parameters of every list route. */
export const Page = {
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).optional(),
};

export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().meta({ description: 'Opaque cursor for the next page, null on the last.' }),
    })
    .meta({ id });
}

/** Booleans in query strings: only `true` and `false`. */
export const QueryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json).' });
