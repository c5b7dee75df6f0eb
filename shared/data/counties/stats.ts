/**
 * Running aggregates behind `GET /v1/counties/{code}/report`, kept in the same transactions as the
 * changes they count (never by scanning). Each topic is spread over a few shard items
 * (`COUNTY#<code> / STATS#<topic>#<n>`) so a burst of payouts in one county does not contend on one
 * item; the report sums the shards with one Query.
 *
 * Attribute names per topic:
 * - disbursements: `<status>Count` / `<status>Amount` for pendingApproval, approved, paid, payoutFailed
 * - campaigns: launched, cancelled, orders, unitsSold, grossSales (scheduled / active / ended follow the
 *   clock: shared/data/campaigns/items.ts derives them from each county's live campaign windows)
 * - stations: applied, active, suspended
 *
 * Every figure stays a safe integer (at most 2^53 − 1), by refusing the write that would pass it rather
 * than by reading bigger figures exactly: the report is JSON read by JavaScript clients, where a larger
 * number cannot arrive exact, and money is never rounded. Each shard holds at most a tenth of 2^53 − 1
 * (a condition on the `ADD`), so the sum of a county's shards cannot pass it either. The bound is about
 * 9 trillion yuan per shard, out of reach of real figures (one amount is at most 10^13 fen): only a
 * runaway caller reaches it, and gets a 409. A stored figure the report cannot carry exactly (written
 * before the bound) fails the read loudly; it is never dropped or rounded.
 */
import { DomainError } from '../../domain/errors.ts';
import { queryAll } from '../platform/query.ts';
import { config } from '../../config.ts';
import { shardOf } from '../../ids.ts';
import { keys } from '../platform/keys.ts';
import type { TxStep } from '../platform/transactions.ts';

export type StatsTopic = 'disbursements' | 'campaigns' | 'stations';

export const STATS_SHARDS = 10;

/** The most one shard may hold: STATS_SHARDS of them still sum to a safe integer. */
export const STATS_SHARD_LIMIT = Math.floor(Number.MAX_SAFE_INTEGER / STATS_SHARDS);

/** Adds (or subtracts) the deltas; `seed` (an entity id) picks the shard, so one entity always hits one item. */
export function statsStep(countyCode: string, topic: StatsTopic, deltas: Record<string, number>, seed: string): TxStep {
  const entries = Object.entries(deltas).filter(([, v]) => v !== 0);
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
    onConditionFailed: () =>
      new DomainError(
        'invalid_state',
        `This would take county ${countyCode}'s ${topic} totals past ${Number.MAX_SAFE_INTEGER}, the largest figure its report can carry exactly`,
      ),
  };
}

/** A stored figure as a safe integer, or a loud failure: never a silently dropped or rounded total. */
function exactFigure(value: unknown, where: string): number | undefined {
  if (typeof value === 'bigint' || (typeof value === 'number' && !Number.isSafeInteger(value))) {
    throw new Error(`county statistics ${where} hold a figure beyond 2^53 - 1; the report cannot carry it exactly`);
  }
  return typeof value === 'number' ? value : undefined;
}

/** Sums every shard of every topic for a county. */
export async function readCountyStats(countyCode: string): Promise<Record<StatsTopic, Record<string, number>>> {
  const totals: Record<StatsTopic, Record<string, number>> = { disbursements: {}, campaigns: {}, stations: {} };
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.county(countyCode).pk, ':prefix': 'STATS#' },
  });
  for (const item of items) {
    const bucket = totals[item.topic as StatsTopic];
    if (!bucket) continue;
    for (const [name, value] of Object.entries(item)) {
      const figure = exactFigure(value, `${String(item.sk)}.${name}`);
      if (figure === undefined) continue;
      const sum = (bucket[name] ?? 0) + figure;
      exactFigure(sum, `${String(item.pk)} ${item.topic as string}.${name}`);
      bucket[name] = sum;
    }
  }
  return totals;
}
