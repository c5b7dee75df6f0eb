/**
 * Takes a snapshot of a fund's books: its allocations read consistently (each with its ledger position, so the
 * snapshot says exactly which ledger entry each balance stands after), sealed with its hash, chained to the head.
 * One transaction: the snapshot (never overwritten), the head moved on (conditional on the head that was read), the
 * month marker of a monthly snapshot (refused when the month has one), and the `snapshot.created` event.
 */
import { DomainError, invalidState } from '../../domain/errors.ts';
import { chinaDate } from '../../domain/fund-period.ts';
import { fundProgress } from '../../domain/progress.ts';
import {
  monthEnd,
  monthJustEnded,
  monthlySnapshotRefusal,
  sealSnapshot,
  sumTotals,
  type Snapshot,
  type SnapshotKind,
} from '../../domain/snapshots.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { enqueueEvents, eventStep, queuedIds } from '../platform/events.ts';
import { subscriptionsOnce } from '../webhook-endpoints/subscriptions.ts';
import { retryOnConflict, transact, TransactionConflict } from '../platform/transactions.ts';
import { readFundStanding } from '../progress/items.ts';
import { ALL_FUNDS } from '../funds/items.ts';
import { getItem, queryAll } from '../platform/query.ts';
import { readHead, snapshotItem, snapshotKeys } from './items.ts';

export async function takeSnapshot(fundId: string, request: { kind: SnapshotKind; month: string | null }, now: Date): Promise<Snapshot> {
  // Which types anyone listens to, read once for the snapshot (retries included), once it is not refused.
  const subscriptions = subscriptionsOnce();
  return retryOnConflict(async () => {
    const standing = await readFundStanding(fundId);
    if (request.kind === 'monthly') {
      const refusal = monthlySnapshotRefusal(request.month!, now, standing.createdAt);
      if (refusal) throw invalidState(refusal);
      if (await getItem(snapshotKeys.month(fundId, request.month!))) throw invalidState(`The snapshot of ${request.month} exists`);
    }
    const head = await readHead(fundId);
    const allocations = standing.allocations.map((a) => ({
      countyCode: a.countyCode,
      allocated: a.allocated,
      reserved: a.reserved,
      paid: a.paid,
      available: a.available,
      ledger: a.ledger,
    }));
    const progress = fundProgress(standing.period, chinaDate(now), now, standing.allocations);
    const snapshot = sealSnapshot({
      snapshotId: newId('snapshot', now.getTime()),
      fundId,
      kind: request.kind,
      month: request.month,
      takenAt: now.toISOString(),
      totals: sumTotals(standing.totalBudget, allocations),
      allocations,
      progress,
      previousHash: head.hash,
    });
    const seq = head.seq + 1;
    const { hash, snapshotId, kind, month, takenAt, previousHash } = snapshot;
    const event = eventStep('snapshot.created', snapshotId, { snapshotId, fundId, kind, month, takenAt, hash, previousHash }, now, {
      subscribed: (await subscriptions())('snapshot.created'),
    });
    const table = config().TABLE_NAME;
    await transact([
      { item: { Put: { TableName: table, Item: snapshotItem(snapshot, seq), ConditionExpression: 'attribute_not_exists(pk)' } } },
      {
        item: {
          Put: {
            TableName: table,
            Item: { ...snapshotKeys.head(fundId), type: 'snapshotHead', seq, hash, snapshotId },
            ConditionExpression: head.seq === 0 ? 'attribute_not_exists(pk)' : 'seq = :seq',
            ...(head.seq === 0 ? {} : { ExpressionAttributeValues: { ':seq': head.seq } }),
          },
        },
        // Another snapshot of this fund got in first: chain to it instead.
        onConditionFailed: () => new TransactionConflict(),
      },
      ...(month
        ? [
            {
              item: {
                Put: {
                  TableName: table,
                  Item: { ...snapshotKeys.month(fundId, month), type: 'snapshotMonth', snapshotId },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              onConditionFailed: (): DomainError => invalidState(`The snapshot of ${month} exists`),
            },
          ]
        : []),
      event.step,
    ]);
    await enqueueEvents(queuedIds([event]));
    return snapshot;
  });
}

/**
 * The monthly snapshots, taken by the schedule at 00:00 China time on the 1st: every fund that existed at the end
 * of the month that just ended gets its snapshot, labelled with that month. Safe to run again (a retry, or the
 * schedule firing twice): the month marker's condition refuses a second snapshot, which counts as already taken.
 */
export interface MonthlyRun {
  month: string;
  taken: string[];
  alreadyTaken: string[];
  /** Funds created after the month ended: they have no books of that month. */
  tooYoung: string[];
  failed: { fundId: string; error: string }[];
}

export async function takeMonthlySnapshots(now: Date): Promise<MonthlyRun> {
  const month = monthJustEnded(now);
  const end = monthEnd(month).getTime();
  const run: MonthlyRun = { month, taken: [], alreadyTaken: [], tooYoung: [], failed: [] };
  const funds = await queryAll(
    { IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :list', ExpressionAttributeValues: { ':list': ALL_FUNDS } },
    { projection: { expression: 'fundId, createdAt' } },
  );
  for (const fund of funds) {
    const fundId = fund.fundId as string;
    if (Date.parse(fund.createdAt as string) >= end) {
      run.tooYoung.push(fundId);
      continue;
    }
    try {
      await takeSnapshot(fundId, { kind: 'monthly', month }, now);
      run.taken.push(fundId);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'invalid_state') run.alreadyTaken.push(fundId);
      else run.failed.push({ fundId, error: error instanceof Error ? error.name : 'unknown' });
    }
  }
  return run;
}
