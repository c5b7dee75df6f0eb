/**
 * The outbox sweep's share of the settlement roll-ups: every allocation with a pending roll-up (the sparse
 * `ROLLUPS#<n>` index, ledger/items.ts) is rolled up, whoever else is doing it, so a settled payout is paid on
 * its allocation within one OUTBOX_SWEEP_SECONDS even when the settler that should have rolled it up crashed.
 */
import { logger } from '../../logger.ts';
import type { SweepSource } from '../platform/outbox.ts';
import { pendingRollUpsIn, ROLLUP_SHARDS } from './items.ts';
import { rollUpAllocation } from './move.ts';

/** Rolls up every allocation with something pending now; returns how many allocations and payouts. */
export async function sweepRollUps(now: Date): Promise<{ found: number; queued: number }> {
  const seen = new Set<string>();
  const allocations: { fundId: string; countyCode: string }[] = [];
  for (let shard = 0; shard < ROLLUP_SHARDS; shard++) {
    for await (const page of pendingRollUpsIn(shard)) {
      for (const a of page) {
        const key = `${a.fundId}\u0000${a.countyCode}`;
        if (!seen.has(key)) allocations.push(a);
        seen.add(key);
      }
    }
  }
  let applied = 0;
  let failed = 0;
  for (const a of allocations) {
    // One allocation that cannot be rolled up now does not hold up the others; the next sweep tries it again.
    try {
      applied += await rollUpAllocation(a.fundId, a.countyCode, now);
    } catch (error) {
      failed++;
      logger.warn('settlement roll-up failed; the next sweep tries again', { fundId: a.fundId, error: (error as Error).name });
    }
  }
  if (failed > 0) throw new Error(`${failed} settlement roll-ups failed`);
  return { found: allocations.length, queued: applied };
}

/** Not a queue: the sweep applies the roll-ups itself (`queued` counts the payouts it applied). */
export const settlementRollUpSource: SweepSource = {
  name: 'settlement-rollups',
  sweep: () => sweepRollUps(new Date()),
};
