/**
 * A batch's payout counts, kept exact without a hot item.
 *
 * Items `BAT#<id> / COUNTS#<nn>` (nn = 00..15, picked from the payout id): each holds net deltas for
 * queued, sent, settled, failed and deliveryFailed. Every payout transition moves its own shard in the
 * SAME transaction as the payout's status change (the payout's status condition makes it exact), and
 * the expander adds each chunk's new `queued` payouts to one shard with the chunk. Thousands of
 * settlements of one batch spread over 16 items instead of queueing on one; a read sums the shards.
 *
 * Here rather than in ./items.ts so that the payout verbs can import it without a cycle (./items.ts reads the counts).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { allFinal, countsMove, counterShard, sumCounts, type BatchCounts } from '../../domain/batches.ts';
import type { VerificationCounts } from '../../domain/account-verification.ts';
import type { Payout, PayoutStatus } from '../../domain/payouts.ts';
import { shardOf } from '../../ids.ts';
import { config } from '../../config.ts';
import { auditStep } from '../platform/audit.ts';
import { documents } from '../platform/clients.ts';
import { keys } from '../platform/keys.ts';
import { retryOnConflict, transact, TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { getItem } from '../platform/query.ts';

export const BATCH_ACTOR = 'system:batch-expander';

export function counterKey(batchId: string, shard: number) {
  return { pk: keys.batch(batchId).pk, sk: `COUNTS#${String(shard).padStart(2, '0')}` };
}

/** Adds the deltas to one counter item of the given type (ADD creates it on first use). */
function addToCounterStep(key: { pk: string; sk: string }, type: string, deltas: Readonly<Record<string, number | undefined>>): TxStep {
  const entries = Object.entries(deltas).filter((e): e is [string, number] => e[1] !== 0 && e[1] !== undefined);
  const names: Record<string, string> = { '#type': 'type' };
  const values: Record<string, unknown> = { ':type': type };
  const adds = entries.map(([name, value], i) => {
    names[`#c${i}`] = name;
    values[`:c${i}`] = value;
    return `#c${i} :c${i}`;
  });
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: key,
        UpdateExpression: `SET #type = :type${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
  };
}

/** Adds the deltas to one payout counter shard. */
export function counterStep(batchId: string, shard: number, deltas: Partial<BatchCounts>): TxStep {
  return addToCounterStep(counterKey(batchId, shard), 'batch-counts', deltas);
}

/**
 * The batch's half of a payout transition: its counter shard moves `from → to`, for the payout's own
 * transaction. Payouts of single disbursements have no batch and add nothing.
 */
export function batchCounterSteps(payout: Pick<Payout, 'payoutId' | 'batchId'>, from: PayoutStatus, to: PayoutStatus): TxStep[] {
  if (!payout.batchId || from === to) return [];
  return [counterStep(payout.batchId, counterShard(payout.payoutId), countsMove(from, to))];
}

/** Σ of every shard, read strongly consistent (16 small items, one Query). */
export async function readBatchCounts(batchId: string): Promise<BatchCounts> {
  const { Items = [] } = await documents.send(
    new QueryCommand({
      TableName: config().TABLE_NAME,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.batch(batchId).pk, ':prefix': 'COUNTS#' },
      ConsistentRead: true,
    }),
  );
  return sumCounts(Items as Partial<BatchCounts>[]);
}

/**
 * processing → completed once every payout is settled or failed and the expansion has finished.
 * Call after a batch payout's final transition has committed (and the expander calls it when it
 * finishes): whoever commits the last final transition reads every shard after its own commit, so one
 * of the callers sees the batch complete. Conditional on `processing`, so callers may race.
 */
export async function completeBatchIfDone(batchId: string, now: Date): Promise<boolean> {
  return retryOnConflict(async () => {
    const Item = await getItem(keys.batch(batchId));
    if (!Item || Item.status !== 'processing' || Item.expansion !== 'done') return false;
    const counts = await readBatchCounts(batchId);
    // Rows an objection withdrew get no payout; rows still held wait for their objection's resolution.
    const withdrawn = Item.withdrawnRows instanceof Set ? Item.withdrawnRows.size : 0;
    const held = Item.heldRows instanceof Set ? Item.heldRows.size : 0;
    if (held > 0 || !allFinal(counts, (Item.itemCount as number) - withdrawn)) return false;
    try {
      await transact([
        {
          item: {
            Update: {
              TableName: config().TABLE_NAME,
              Key: keys.batch(batchId),
              UpdateExpression: 'SET #status = :completed, updatedAt = :at, completedAt = :at, version = version + :one',
              ConditionExpression: '#status = :processing',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':completed': 'completed', ':processing': 'processing', ':at': now.toISOString(), ':one': 1 },
            },
          },
          onConditionFailed: () => new AlreadyCompleted(),
        },
        auditStep(keys.batch(batchId).pk, {
          actor: BATCH_ACTOR,
          action: 'batch.completed',
          at: now,
          fromStatus: 'processing',
          toStatus: 'completed',
          details: { ...counts },
        }),
      ]);
      return true;
    } catch (error) {
      if (error instanceof AlreadyCompleted) return false;
      throw error;
    }
  });
}

/** Another caller completed the batch first. */
class AlreadyCompleted extends Error {}

// ---- verification counts ------------------------------------------------------------------------

/**
 * A batch's `verifications` counts, kept exact without a hot item (issue 23): the head holds the counts it was
 * created with (every row pending; a head stored before the shards also every move since), and each move of an
 * answer is a delta on `BAT#<id> / VERCOUNTS#<nn>` (nn = 00..15, picked from the verification id), committed in
 * the answer's own transaction with its waiter's `applied` (which makes it once). The request job's reused
 * answers move the shard of their chunk. The batch's `verifications` = head + Σ shards. Pending only ever moves
 * down, and a final approval conditions on every shard's `pending` as it read it (verificationShardChecks).
 */
export const VERIFICATION_COUNT_SHARDS = 16;
const VERIFICATION_COUNTS_PREFIX = 'VERCOUNTS#';

export const verificationCounterShard = (verificationId: string): number => shardOf(verificationId, VERIFICATION_COUNT_SHARDS);

export function verificationCounterKey(batchId: string, shard: number) {
  return { pk: keys.batch(batchId).pk, sk: `${VERIFICATION_COUNTS_PREFIX}${String(shard).padStart(2, '0')}` };
}

/** One verification counter shard as read: its number and its `pending` delta (undefined: no such shard, or no pending move on it). */
export interface VerificationShard {
  shard: number;
  pending: number | undefined;
}

/** Adds the deltas to one verification counter shard. */
export function verificationCounterStep(batchId: string, shard: number, deltas: Partial<VerificationCounts>): TxStep {
  return addToCounterStep(verificationCounterKey(batchId, shard), 'batch-verification-counts', deltas);
}

/** Every verification counter shard of a batch, read strongly consistent (≤ 16 small items, one Query). */
export async function readVerificationShards(batchId: string): Promise<(Partial<VerificationCounts> & { shard: number })[]> {
  const { Items = [] } = await documents.send(
    new QueryCommand({
      TableName: config().TABLE_NAME,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.batch(batchId).pk, ':prefix': VERIFICATION_COUNTS_PREFIX },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => ({
    ...(item as Partial<VerificationCounts>),
    shard: Number((item.sk as string).slice(VERIFICATION_COUNTS_PREFIX.length)),
  }));
}

/** The head's counts plus every shard's deltas. */
export function sumVerificationCounts(head: VerificationCounts, shards: readonly Partial<VerificationCounts>[]): VerificationCounts {
  const total = { ...head };
  for (const s of shards) {
    for (const name of Object.keys(total) as (keyof VerificationCounts)[]) total[name] += Number(s[name] ?? 0);
  }
  return total;
}

/**
 * For a final approval: every shard's `pending` exactly as the approval read it (a shard it did not see must
 * still be absent or without a pending move), so that an answer committed between the read and the approval
 * cancels the approval (TransactionConflict: it decides again on fresh counts).
 */
export function verificationShardChecks(batchId: string, seen: readonly VerificationShard[]): TxStep[] {
  const byShard = new Map(seen.map((s) => [s.shard, s.pending]));
  return Array.from({ length: VERIFICATION_COUNT_SHARDS }, (_, shard) => {
    const pending = byShard.get(shard);
    return {
      item: {
        ConditionCheck: {
          TableName: config().TABLE_NAME,
          Key: verificationCounterKey(batchId, shard),
          ConditionExpression: pending === undefined ? 'attribute_not_exists(pending)' : 'pending = :pending',
          ...(pending === undefined ? {} : { ExpressionAttributeValues: { ':pending': pending } }),
        },
      },
      onConditionFailed: () => new TransactionConflict(),
    };
  });
}
