/**
 * The scheduled ledger check: proves the books and the snapshot chains (every snapshot's hash recomputed from its
 * stored body, every link followed, each chain's head), as `npm run ledger-check` does; logs every difference, and
 * reports their count as the LedgerDifferences metric (EMF, 0 included), which the alarm watches.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { logger } from '#shared/logger';
import { instrumented } from '#shared/instrumented';
import { report } from '#shared/metrics';
import { checkLedgerSettled } from '#shared/data/ledger/check';
import { checkSnapshotChains } from '#shared/data/snapshots/verify';

export const handler = instrumented(async (_event: ScheduledEvent, context: Context): Promise<{ differences: number }> => {
  logger.addContext(context);
  const result = await checkLedgerSettled();
  const chains = await checkSnapshotChains();
  const differences = [...result.differences, ...chains.differences];
  for (const difference of differences) logger.error('ledger difference', { difference });
  logger.info('ledger check', {
    allocations: result.allocations,
    entries: result.entries,
    snapshots: chains.snapshots,
    ledgerDifferences: differences.length,
  });
  report.ledgerDifferences(differences.length);
  return { differences: differences.length };
});
