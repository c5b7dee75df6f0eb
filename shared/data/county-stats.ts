/**
 * Running aggregates behind `GET /v1/counties/{code}/report`, kept in the same transactions as the
 * changes they count (never by scanning). Each topic is spread over a few shard items
 * (`COUNTY#<code> / STATS#<topic>#<n>`) so a burst of payouts in one county does not contend on one
 * item; the report sums the shards with one Query.
 *
 * Attribute names per topic:
 * - disbursements: `<status>Count` / `<status>Amount` for pendingApproval, approved, paid, payoutFailed
 * - campaigns: launched, cancelled, orders, unitsSold, grossSales (scheduled / active / ended follow the
 *   clock: shared/data/campaigns.ts derives them from each county's live campaign windows)
 * - stations: applied, active, suspended
 */
import { queryAll } from './query.ts';
import { config } from '../config.ts';
import { shardOf } from '../ids.ts';
import { keys } from './keys.ts';
import type { TxStep } from './transactions.ts';

export type StatsTopic = 'disbursements' | 'campaigns' | 'stations';

export const STATS_SHARDS = 10;


/** Adds (or subtracts) the deltas; `seed` (an entity id) picks the shard, so one entity always hits one item. */
export function statsStep(countyCode: string, topic: StatsTopic, deltas: Record<string, number>, seed: string): TxStep {
  const entries = Object.entries(deltas).filter(([, v]) => v !== 0);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const adds = entries.map(([name, value], i) => {
    names[`#a${i}`] = name;
    values[`:v${i}`] = value;
    return `#a${i} :v${i}`;
  });
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.countyStats(countyCode, `${topic}#${shardOf(seed, STATS_SHARDS)}`),
        UpdateExpression: `SET #type = :type, topic = :topic ADD ${adds.join(', ')}`,
        ExpressionAttributeNames: { ...names, '#type': 'type' },
        ExpressionAttributeValues: { ...values, ':type': 'county-stats', ':topic': topic },
      },
    },
  };
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
      if (typeof value === 'number') bucket[name] = (bucket[name] ?? 0) + value;
    }
  }
  return totals;
}
