/**
 * Running figures of a fund's half-year report (`GET /v1/funds/{fundId}/reports/{yyyy}-H1|H2`), kept in the same
 * transactions as the changes they count, never by reading history: payouts failed (count and amount by failure
 * code), flags raised and cleared (by code), objections upheld and dismissed, notices published. Each half of each
 * fund is spread over REPORT_STATS_SHARDS partitions of the fund's own by the counted entity's id
 * (`RSTATS#<fundId>#<n> / RSTATS#<yyyy-Hn>`), so neither a burst (a bank returning a batch's transfers) nor a cycle
 * where every create raises a flag contends on one item or loads the fund's partition. Figures stored before the
 * shards stay where they were (`FUND#<fundId> / RSTATS#<yyyy-Hn>#<n>`, 4 a half): the counters are additive, so the
 * readers sum those and the shards' (one Query and one BatchGetItem, at once), and nothing is moved.
 *
 * A change counts in the half (China time) it happened in. Attribute names: `failed.<code>.count`,
 * `failed.<code>.amount`, `flag.<code>.raised`, `flag.<code>.cleared`, `objections.upheld`, `objections.dismissed`,
 * `notices.published`.
 */
import { halfOf } from '../../domain/half-year-report.ts';
import { shardOf } from '../../ids.ts';
import { config } from '../../config.ts';
import { keys, REPORT_STATS_PREFIX, REPORT_STATS_SHARDS, reportStatsPartitions } from '../platform/keys.ts';
import { queryAll, readByKeys } from '../platform/query.ts';
import type { TxStep } from '../platform/transactions.ts';


export type ReportStatsDeltas = Record<string, number>;

export const reportFigures = {
  failed: (code: string, amount: number): ReportStatsDeltas => ({ [`failed.${code}.count`]: 1, [`failed.${code}.amount`]: amount }),
  flagsRaised: (codes: readonly string[]): ReportStatsDeltas => countBy(codes, 'raised'),
  flagsCleared: (codes: readonly string[]): ReportStatsDeltas => countBy(codes, 'cleared'),
  objection: (outcome: 'upheld' | 'dismissed'): ReportStatsDeltas => ({ [`objections.${outcome}`]: 1 }),
  noticePublished: (): ReportStatsDeltas => ({ 'notices.published': 1 }),
};

function countBy(codes: readonly string[], what: 'raised' | 'cleared'): ReportStatsDeltas {
  const deltas: ReportStatsDeltas = {};
  for (const code of codes) deltas[`flag.${code}.${what}`] = (deltas[`flag.${code}.${what}`] ?? 0) + 1;
  return deltas;
}

/**
 * Adds the deltas to the fund's figures of the half `now` falls in; `seed` (an entity id) picks the shard. Undefined
 * when there is nothing to add (a transaction takes no empty update).
 */
export function reportStatsStep(fundId: string, now: Date, deltas: ReportStatsDeltas, seed: string): TxStep | undefined {
  const entries = Object.entries(deltas).filter(([, v]) => v !== 0);
  if (entries.length === 0) return undefined;
  const names: Record<string, string> = { '#type': 'type' };
  const values: Record<string, unknown> = { ':type': 'fund-report-stats', ':fundId': fundId };
  const adds = entries.map(([name, value], i) => {
    names[`#a${i}`] = name;
    values[`:v${i}`] = value;
    return `#a${i} :v${i}`;
  });
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.fundReportStats(fundId, halfOf(now), shardOf(seed, REPORT_STATS_SHARDS)),
        UpdateExpression: `SET #type = :type, fundId = :fundId ADD ${adds.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
  };
}

/** The steps of `reportStatsStep`, none when there is nothing to count: spread into a transaction's steps. */
export const reportStatsSteps = (fundId: string, now: Date, deltas: ReportStatsDeltas, seed: string): TxStep[] => {
  const step = reportStatsStep(fundId, now, deltas, seed);
  return step ? [step] : [];
};

export interface HalfYearFigures {
  failures: { code: string; count: number; amount: number }[];
  flags: { code: string; raised: number; cleared: number }[];
  objections: { upheld: number; dismissed: number };
  notices: { published: number };
}

/**
 * The fund's figures of one half, read consistently: its shard items (one BatchGetItem) and those stored before in
 * the fund's partition (one Query of at most 4 items), at once.
 */
export async function readReportStats(fundId: string, half: string): Promise<HalfYearFigures> {
  const before = keys.fundReportStatsBefore(fundId, half, 0);
  const shards = Array.from({ length: REPORT_STATS_SHARDS }, (_, n) => keys.fundReportStats(fundId, half, n));
  const [stored, sharded] = await Promise.all([
    queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': before.pk, ':prefix': before.sk.slice(0, -1) },
      ConsistentRead: true,
    }),
    readByKeys(shards),
  ]);
  return figuresOf([...stored, ...sharded]);
}

/** The fund's figures over its whole life: every half's items, one Query a partition (the fund's and each shard's), at once. */
export async function readLifetimeStats(fundId: string): Promise<HalfYearFigures> {
  const partitions = await Promise.all(
    reportStatsPartitions(fundId).map((pk) =>
      queryAll({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': REPORT_STATS_PREFIX },
      }),
    ),
  );
  return figuresOf(partitions.flat());
}

/** Sums the shards' attributes into the report's figures. */
export function figuresOf(items: readonly Record<string, unknown>[]): HalfYearFigures {
  const totals = new Map<string, number>();
  for (const item of items) {
    for (const [name, value] of Object.entries(item)) {
      if (typeof value === 'number' && name.includes('.')) totals.set(name, (totals.get(name) ?? 0) + value);
    }
  }
  const failures = new Map<string, { code: string; count: number; amount: number }>();
  const flags = new Map<string, { code: string; raised: number; cleared: number }>();
  for (const [name, value] of totals) {
    const [topic, code, what] = splitName(name);
    if (topic === 'failed' && code && (what === 'count' || what === 'amount')) {
      const f = failures.get(code) ?? { code, count: 0, amount: 0 };
      f[what] += value;
      failures.set(code, f);
    } else if (topic === 'flag' && code && (what === 'raised' || what === 'cleared')) {
      const f = flags.get(code) ?? { code, raised: 0, cleared: 0 };
      f[what] += value;
      flags.set(code, f);
    }
  }
  const byCode = <T extends { code: string }>(list: Iterable<T>) => [...list].sort((a, b) => (a.code < b.code ? -1 : 1));
  return {
    failures: byCode(failures.values()),
    flags: byCode(flags.values()),
    objections: { upheld: totals.get('objections.upheld') ?? 0, dismissed: totals.get('objections.dismissed') ?? 0 },
    notices: { published: totals.get('notices.published') ?? 0 },
  };
}

/** `failed.<code>.count` → [failed, <code>, count]; a code never holds a dot, but the split keeps the middle whole. */
function splitName(name: string): [string, string | undefined, string | undefined] {
  const first = name.indexOf('.');
  const last = name.lastIndexOf('.');
  if (first === last) return [name.slice(0, first), undefined, name.slice(first + 1)];
  return [name.slice(0, first), name.slice(first + 1, last), name.slice(last + 1)];
}
