/**
 * The monthly snapshots, taken by the schedule at 00:00 China time on the 1st: every fund that existed at the end
 * of the month that just ended gets its snapshot, labelled with that month. Safe to run again (a retry, or the
 * schedule firing twice): the month marker's condition refuses a second snapshot, which counts as already taken.
 */
import { DomainError } from '../../domain/errors.ts';
import { monthEnd, monthJustEnded } from '../../domain/snapshots.ts';
import { queryAll } from '../query.ts';
import { takeSnapshot } from './take.ts';

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
    { IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :list', ExpressionAttributeValues: { ':list': 'FUNDS' } },
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
