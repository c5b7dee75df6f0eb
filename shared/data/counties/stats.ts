/**
 * Running aggregates behind `GET /v1/counties/{code}/report`, kept in the same transactions as the
 * changes they count (never by scanning). Each topic is spread over a few shard items
 * (`COUNTY#<code> / STATS#<topic>#<n>`) so a burst of payouts in one county does not contend on one
 * item; the report sums the shards with one Query.
 *
 * Attribute names per topic:
 * - disbursements: `<status>Count` / `<status>Amount` for pendingApproval, inNotice, approved, paid, payoutFailed
 * - campaigns: launched, cancelled, orders, unitsSold, grossSales (scheduled / active / ended follow the
 *   clock: shared/data/campaigns/items.ts derives them from each county's live campaign windows)
 * - stations: applied, active, suspended
 *
 * The disbursement figures a money move changes (an approval reserving, a settlement paying or failing) are not
 * written here: they ride on the allocation item (`ALLOCS#<fundId>#<n> / ALLOC#<code>`) the move writes anyway, as
 * `dsb<Name>` deltas (`carriedStatsUpdate`), or on the pending roll-up that will write it (a payment's figures reach
 * the report with its roll-up, as its `paid` reaches the allocation: API 1.2 "Funds and allocations"). A move on a
 * campaign's subsidy writes no allocation: its figures come here as before. The report is the shards plus the
 * county's allocation items, summed over its funds; shards and allocations stored before keep counting as they are.
 *
 * Every figure stays a safe integer (at most 2^53 − 1), by refusing the write that would pass it rather
 * than by reading bigger figures exactly: the report is JSON read by JavaScript clients, where a larger
 * number cannot arrive exact, and money is never rounded. Each shard holds at most a tenth of 2^53 − 1
 * (a condition on the `ADD`), so the sum of a county's shards cannot pass it either. The bound is about
 * 9 trillion yuan per shard, out of reach of real figures (one amount is at most 10^13 fen): only a
 * runaway caller reaches it, and gets a 409. A stored figure the report cannot carry exactly (written
 * before the bound) fails the read loudly; it is never dropped or rounded. An allocation's carried figures have
 * the same bound per item. Approved and paid ones stay within its own balances (at most 10^13 fen), but a county's
 * failed payouts recycle their money: with them spread over several funds' allocations, the sum could pass 2^53 − 1
 * with no single item past its bound (after some 90 trillion yuan of failed payouts). The report then fails loudly
 * rather than the write being refused; it still never drops or rounds a figure.
 */
import { DomainError } from '../../domain/errors.ts';
import { queryAll } from '../platform/query.ts';
import { config } from '../../config.ts';
import { shardOf } from '../../ids.ts';
import { keys } from '../platform/keys.ts';
import type { TxStep } from '../platform/transactions.ts';
import { allocationItemsOfCounty } from '../funds/items.ts';

export type StatsTopic = 'disbursements' | 'campaigns' | 'stations';

export const STATS_SHARDS = 10;

/** The most one shard may hold: STATS_SHARDS of them still sum to a safe integer. */
export const STATS_SHARD_LIMIT = Math.floor(Number.MAX_SAFE_INTEGER / STATS_SHARDS);

/** Adds (or subtracts) the deltas; `seed` (an entity id) picks the shard, so one entity always hits one item. */
export function statsStep(countyCode: string, topic: StatsTopic, deltas: Record<string, number>, seed: string): TxStep {
  const entries = changed(deltas);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const bounds: string[] = [];
  const adds = entries.map(([name, value], i) => {
    names[`#a${i}`] = name;
    values[`:v${i}`] = value;
    if (value > 0) {
      values[`:m${i}`] = STATS_SHARD_LIMIT - value;
      bounds.push(`(attribute_not_exists(#a${i}) OR #a${i} <= :m${i})`);
    }
    return `#a${i} :v${i}`;
  });
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.countyStats(countyCode, `${topic}#${shardOf(seed, STATS_SHARDS)}`),
        UpdateExpression: `SET #type = :type, topic = :topic ADD ${adds.join(', ')}`,
        ...(bounds.length > 0 ? { ConditionExpression: bounds.join(' AND ') } : {}),
        ExpressionAttributeNames: { ...names, '#type': 'type' },
        ExpressionAttributeValues: { ...values, ':type': 'county-stats', ':topic': topic },
      },
    },
    onConditionFailed: () => beyondLimit(countyCode, topic),
  };
}

const changed = (deltas: Record<string, number> | undefined) => Object.entries(deltas ?? {}).filter(([, v]) => v !== 0);

/** Whether a move changes any figure of the county report (a move between two uncounted statuses changes none). */
export const changesStats = (deltas: Record<string, number> | undefined): boolean => changed(deltas).length > 0;

const beyondLimit = (countyCode: string, topic: StatsTopic) =>
  new DomainError(
    'invalid_state',
    `This would take county ${countyCode}'s ${topic} totals past ${Number.MAX_SAFE_INTEGER}, the largest figure its report can carry exactly`,
  );

// ---------------------------------------------------------------------------------------------------
// Disbursement figures carried on the allocation item (see the top of this file).

/** A disbursement figure's attribute on the allocation item: `pendingApprovalCount` → `dsbPendingApprovalCount`. */
const CARRIED = 'dsb';
const carriedName = (name: string) => `${CARRIED}${name.charAt(0).toUpperCase()}${name.slice(1)}`;

/** The allocation update's share of a move's disbursement figures: an ADD clause, its bounds, its names and values. */
export interface CarriedStats {
  add: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
  /** The condition that the figures that grow stay within STATS_SHARD_LIMIT, as on a shard; undefined when none grows. */
  bound: { condition: string; values: Record<string, unknown> } | undefined;
  /** The refusal when the allocation as it is now (`old`) is past a bound; undefined when it is not. */
  refusal(old: Record<string, unknown> | undefined): DomainError | undefined;
}

/** Adds the disbursement figures' deltas to the allocation item a move writes; undefined when there are none. */
export function carriedStatsUpdate(countyCode: string, deltas: Record<string, number> | undefined): CarriedStats | undefined {
  const entries = changed(deltas);
  if (entries.length === 0) return undefined;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const bounds: string[] = [];
  const boundValues: Record<string, unknown> = {};
  const grows: [string, number][] = [];
  const adds = entries.map(([name, value], i) => {
    names[`#cs${i}`] = carriedName(name);
    values[`:cs${i}`] = value;
    if (value > 0) {
      boundValues[`:csm${i}`] = STATS_SHARD_LIMIT - value;
      bounds.push(`(attribute_not_exists(#cs${i}) OR #cs${i} <= :csm${i})`);
      grows.push([carriedName(name), STATS_SHARD_LIMIT - value]);
    }
    return `#cs${i} :cs${i}`;
  });
  return {
    add: `ADD ${adds.join(', ')}`,
    names,
    values,
    bound: bounds.length > 0 ? { condition: bounds.join(' AND '), values: boundValues } : undefined,
    refusal: (old) =>
      grows.some(([name, most]) => typeof old?.[name] === 'number' && old[name] > most)
        ? beyondLimit(countyCode, 'disbursements')
        : undefined,
  };
}

/** The sum of several moves' disbursement figures (a roll-up of many payments). */
export function sumStats(all: readonly (Record<string, number> | undefined)[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const deltas of all) for (const [name, value] of changed(deltas)) sum[name] = (sum[name] ?? 0) + value;
  return sum;
}

/** A stored figure as a safe integer, or a loud failure: never a silently dropped or rounded total. */
function exactFigure(value: unknown, where: string): number | undefined {
  if (typeof value === 'bigint' || (typeof value === 'number' && !Number.isSafeInteger(value))) {
    throw new Error(`county statistics ${where} hold a figure beyond 2^53 - 1; the report cannot carry it exactly`);
  }
  return typeof value === 'number' ? value : undefined;
}

/**
 * Sums every shard of every topic for a county, and the disbursement figures its allocation items carry (read here
 * unless the caller has read them already: `allocations`, from allocationItemsOfCounty).
 */
export async function readCountyStats(
  countyCode: string,
  allocations: Promise<Record<string, unknown>[]> = allocationItemsOfCounty(countyCode),
): Promise<Record<StatsTopic, Record<string, number>>> {
  const totals: Record<StatsTopic, Record<string, number>> = { disbursements: {}, campaigns: {}, stations: {} };
  const [items, carriers] = await Promise.all([
    queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.county(countyCode).pk, ':prefix': 'STATS#' },
    }),
    allocations,
  ]);
  const add = (bucket: Record<string, number>, name: string, value: unknown, where: string, total: string) => {
    const figure = exactFigure(value, where);
    if (figure === undefined) return;
    const sum = (bucket[name] ?? 0) + figure;
    exactFigure(sum, total);
    bucket[name] = sum;
  };
  for (const item of items) {
    const bucket = totals[item.topic as StatsTopic];
    if (!bucket) continue;
    for (const [name, value] of Object.entries(item)) {
      add(bucket, name, value, `${String(item.sk)}.${name}`, `${String(item.pk)} ${item.topic as string}.${name}`);
    }
  }
  for (const item of carriers) {
    for (const [attribute, value] of Object.entries(item)) {
      if (!attribute.startsWith(CARRIED) || !/[A-Z]/.test(attribute.charAt(CARRIED.length))) continue;
      const name = `${attribute.charAt(CARRIED.length).toLowerCase()}${attribute.slice(CARRIED.length + 1)}`;
      add(totals.disbursements, name, value, `${String(item.pk)}.${attribute}`, `county ${countyCode} disbursements.${name}`);
    }
  }
  return totals;
}
