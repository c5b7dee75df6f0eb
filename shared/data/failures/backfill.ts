/**
 * Counts in the failure counters (./items.ts) the payouts that failed before the counters existed, so
 * `GET /v1/payouts/failures` includes them. A one-off migration that reads the whole table (a parallel Scan), so it
 * runs from a script, never on a request path: `npm run backfill -- --part failures`. Each payout is one
 * transaction that marks it `failureCounted` with its counters, on condition that it is still failed, unmarked,
 * uncorrected and unclaimed: running it again (or twice at once) counts nothing twice, and a payout being corrected
 * meanwhile is left out (its correction takes it out of the summary anyway).
 */
import type { BackfillCounts, BackfillOptions } from '../platform/backfill.ts';
import { scanSegments } from '../platform/query.ts';
import { transact } from '../platform/transactions.ts';
import { DEFAULT_FAILURE_CODE } from '../../domain/failure-codes.ts';
import { failureBackfillSteps, type CountedFailure } from './items.ts';

class NotToCount extends Error {
  constructor() {
    super('counted, corrected or being corrected meanwhile');
    this.name = 'NotToCount';
  }
}

export async function backfillFailureCounters(options: BackfillOptions = {}): Promise<BackfillCounts> {
  const counts: BackfillCounts = { scanned: 0, updated: 0 };
  await scanSegments(
    {
      filter:
        '#type = :payout AND #status = :failed AND attribute_not_exists(failureCounted) AND attribute_not_exists(correctionClaim) AND ' +
        '(attribute_not_exists(correctedBy) OR attribute_type(correctedBy, :null))',
      names: { '#type': 'type', '#status': 'status' },
      values: { ':payout': 'payout', ':failed': 'failed', ':null': 'NULL' },
      consistentRead: true,
      segments: options.segments ?? 4,
    },
    async (item) => {
      counts.scanned++;
      const failure: CountedFailure = {
        payoutId: item.payoutId as string,
        fundId: item.fundId as string,
        countyCode: item.countyCode as string,
        amount: item.amount as number,
        failureCode: (item.failureCode as CountedFailure['failureCode'] | undefined) ?? DEFAULT_FAILURE_CODE,
        // The day it failed; a payout failed before settlements kept the time, by its last change.
        settledAt: (item.settledAt as string | null | undefined) ?? (item.updatedAt as string),
      };
      try {
        await transact(failureBackfillSteps(failure, () => new NotToCount()));
        counts.updated++;
      } catch (error) {
        if (!(error instanceof NotToCount)) throw error;
      }
      options.onProgress?.({ ...counts });
    },
  );
  return counts;
}
