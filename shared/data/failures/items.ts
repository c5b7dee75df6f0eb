/**
 * Failed payouts not yet corrected, as keyed counters, so `GET /v1/payouts/failures` reads a bounded number of
 * small items and never the payouts themselves (4 million failed payments must not be a scan).
 *
 * Each failed settlement adds its payout to the counters of four scopes, in the settlement's own transaction:
 * every fund (`FAILS#ALL#<shard>`, below), its fund (`FAILS#FUND#<fundId>`), its county (`FAILS#COUNTY#<countyCode>`) and both
 * (`FAILS#FUND#<fundId>#COUNTY#<countyCode>`). In each scope partition:
 * - `DAY#<yyyy-mm-dd>#<failureCode>#<shard>`: count and amount of the payouts that failed that (UTC) day;
 * - `TOTAL#<failureCode>#<shard>`: count and amount of all of them, whatever their age.
 * The correction that links the payout (`correctedBy`) takes it out of the same counters in its own transaction.
 * A read is one Query of the last 91 days (at most 91 × 9 codes × 4 shards items, usually a few) and one of the
 * totals (at most 36 items) per partition of the scope (every fund's: its 4 shards and the unsharded one): `>90d` is the totals minus the recent days. `shard = shardOf(payoutId)` spreads a
 * burst of one batch's failures over several items, as the batch counters do.
 *
 * A payout counts only once its failed settlement marked it `failureCounted`: a payout that failed before these
 * counters existed is not in them, and its correction takes nothing out of them.
 */
import { AGE_BUCKETS, ageBucket, FAILURE_CODES, type AgeBucket, type FailureCode, type FailureSummary } from '../../domain/failures.ts';
import { config } from '../../config.ts';
import { shardOf } from '../../ids.ts';
import { keys } from '../platform/keys.ts';
import { queryAll } from '../platform/query.ts';
import type { TxStep } from '../platform/transactions.ts';

export const FAILURE_COUNTER_SHARDS = 4;

/** Which failed payouts a summary counts: all, one fund's, one county's, or one county's of one fund. */
export interface FailureScope {
  fundId?: string;
  countyCode?: string;
}

export function failureScopeKey(scope: FailureScope): string {
  if (scope.fundId !== undefined && scope.countyCode !== undefined) return `FAILS#FUND#${scope.fundId}#COUNTY#${scope.countyCode}`;
  if (scope.fundId !== undefined) return `FAILS#FUND#${scope.fundId}`;
  if (scope.countyCode !== undefined) return `FAILS#COUNTY#${scope.countyCode}`;
  return 'FAILS#ALL';
}

/**
 * Every fund's failures, written across FAILURE_COUNTER_SHARDS partitions (`FAILS#ALL#<shard>`, the payout's shard):
 * every failed settlement in the country touches this scope, so one partition would take them all. Counters written
 * before the shards sit in `FAILS#ALL` (failureScopeKey({})), which the summary reads as one more partition.
 */
const allFailuresKey = (shard: number) => `FAILS#ALL#${shard}`;

/** The partitions a scope's counters are in: one, or every fund's shards and the unsharded one. */
function scopePartitions(scope: FailureScope): string[] {
  if (scope.fundId !== undefined || scope.countyCode !== undefined) return [failureScopeKey(scope)];
  return [...Array.from({ length: FAILURE_COUNTER_SHARDS }, (_, n) => allFailuresKey(n)), failureScopeKey(scope)];
}

const dayCounterKey = (scope: string, day: string, code: FailureCode, shard: number) => ({
  pk: scope,
  sk: `DAY#${day}#${code}#${shard}`,
});
const totalCounterKey = (scope: string, code: FailureCode, shard: number) => ({ pk: scope, sk: `TOTAL#${code}#${shard}` });

/** What the counters need of a failed payout. */
export interface CountedFailure {
  payoutId: string;
  fundId: string;
  countyCode: string;
  amount: number;
  /** null only on payouts failed before 1.2 (never counted). */
  failureCode: FailureCode | null;
  /** When it failed: its `settledAt`. */
  settledAt: string;
}

/** The four scopes a failed payout is counted in. */
function scopesOf(p: Pick<CountedFailure, 'fundId' | 'countyCode'>, shard: number): string[] {
  return [
    allFailuresKey(shard),
    failureScopeKey({ fundId: p.fundId }),
    failureScopeKey({ countyCode: p.countyCode }),
    failureScopeKey({ fundId: p.fundId, countyCode: p.countyCode }),
  ];
}

interface CounterMove {
  key: { pk: string; sk: string };
  count: number;
  amount: number;
}

function movesOf(p: CountedFailure, sign: 1 | -1): CounterMove[] {
  const code = p.failureCode ?? 'unspecified';
  const shard = shardOf(p.payoutId, FAILURE_COUNTER_SHARDS);
  const day = p.settledAt.slice(0, 10);
  return scopesOf(p, shard).flatMap((scope) => [
    { key: dayCounterKey(scope, day, code, shard), count: sign, amount: sign * p.amount },
    { key: totalCounterKey(scope, code, shard), count: sign, amount: sign * p.amount },
  ]);
}

function counterStep(move: CounterMove): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: move.key,
        UpdateExpression: 'SET #type = :type ADD #count :count, #amount :amount',
        ExpressionAttributeNames: { '#type': 'type', '#count': 'count', '#amount': 'amount' },
        ExpressionAttributeValues: { ':type': 'failure-counter', ':count': move.count, ':amount': move.amount },
      },
    },
  };
}

/** The failed settlement's steps: the payout joins the counters of its four scopes (8 items). */
export function failureCountedSteps(p: CountedFailure): TxStep[] {
  return movesOf(p, 1).map(counterStep);
}

/**
 * The correction's steps for the payouts it links: each leaves the counters it was in, summed per counter item
 * (a 5,000-row correction moves each item once per transaction, never twice: a transaction names an item once).
 * Only payouts whose failure was counted (`failureCounted`) are taken out.
 */
export function failureCorrectedSteps(payouts: readonly (CountedFailure & { counted: boolean })[]): TxStep[] {
  const sums = new Map<string, CounterMove>();
  for (const p of payouts) {
    if (!p.counted) continue;
    for (const move of movesOf(p, -1)) {
      const id = `${move.key.pk}\u0000${move.key.sk}`;
      const sum = sums.get(id) ?? { key: move.key, count: 0, amount: 0 };
      sum.count += move.count;
      sum.amount += move.amount;
      sums.set(id, sum);
    }
  }
  return [...sums.values()].map(counterStep);
}

const DAY_MS = 86_400_000;
/** Days 0..90 before today are the three youngest buckets; anything older is `>90d`. */
const RECENT_DAYS = 90;

/** The summary of one scope, ages in whole UTC days since the day of the failure. */
export async function readFailureSummary(scope: FailureScope, now: Date): Promise<FailureSummary> {
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const oldest = new Date(today.getTime() - RECENT_DAYS * DAY_MS).toISOString().slice(0, 10);
  const reads = await Promise.all(
    scopePartitions(scope).map((pk) =>
      Promise.all([
        queryAll({
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': `DAY#${oldest}`, ':to': 'DAY#~' },
        }),
        queryAll({
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :total)',
          ExpressionAttributeValues: { ':pk': pk, ':total': 'TOTAL#' },
        }),
      ]),
    ),
  );
  const recent = reads.flatMap(([r]) => r);
  const totals = reads.flatMap(([, t]) => t);
  const sum = () => ({ count: 0, amount: 0 });
  const total = sum();
  const byCode = new Map<FailureCode, { count: number; amount: number }>();
  for (const item of totals) {
    const code = String(item.sk).split('#')[1] as FailureCode;
    const s = byCode.get(code) ?? sum();
    s.count += item.count as number;
    s.amount += item.amount as number;
    byCode.set(code, s);
    total.count += item.count as number;
    total.amount += item.amount as number;
  }
  const byAge = new Map<AgeBucket, { count: number; amount: number }>(AGE_BUCKETS.map((age) => [age, sum()]));
  const young = sum();
  for (const item of recent) {
    const day = String(item.sk).split('#')[1]!;
    const s = byAge.get(ageBucket(`${day}T00:00:00.000Z`, today))!;
    s.count += item.count as number;
    s.amount += item.amount as number;
    young.count += item.count as number;
    young.amount += item.amount as number;
  }
  byAge.set('>90d', { count: total.count - young.count, amount: total.amount - young.amount });
  return {
    total,
    byCode: FAILURE_CODES.flatMap((failureCode) => {
      const s = byCode.get(failureCode);
      return s && s.count > 0 ? [{ failureCode, ...s }] : [];
    }),
    byAge: AGE_BUCKETS.map((age) => ({ age, ...byAge.get(age)! })),
  };
}

/**
 * The failure counters' backfill for one payout that failed before they existed: it is marked `failureCounted` and
 * joins the counters, in one transaction, on condition that it is still failed, not counted, not corrected and not
 * claimed by a batch correction (a correction decides what it takes out of the counters from the payout as read
 * after its claim, or on condition of the mark as read). A second or concurrent run finds the mark and counts
 * nothing twice.
 */
export function failureBackfillSteps(p: CountedFailure, onAlreadyDone: () => Error): TxStep[] {
  return [
    {
      item: {
        Update: {
          TableName: config().TABLE_NAME,
          Key: keys.payout(p.payoutId),
          UpdateExpression: 'SET failureCounted = :true',
          ConditionExpression:
            '#status = :failed AND attribute_not_exists(failureCounted) AND attribute_not_exists(correctionClaim) AND ' +
            '(attribute_not_exists(correctedBy) OR attribute_type(correctedBy, :null))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':true': true, ':failed': 'failed', ':null': 'NULL' },
        },
      },
      onConditionFailed: onAlreadyDone,
    },
    ...failureCountedSteps(p),
  ];
}
