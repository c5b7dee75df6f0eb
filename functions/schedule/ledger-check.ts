/**
 * The scheduled ledger check: proves the books, logs every difference, and reports their count as
 * the LedgerDifferences metric (EMF, 0 included), which the alarm watches.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { logger } from '#shared/logger';
import { instrumented } from '#shared/instrumented';
import { report } from '#shared/metrics';
import { checkLedgerSettled } from '#shared/data/ledger/check';

export const handler = instrumented(async (_event: ScheduledEvent, context: Context): Promise<{ differences: number }> => {
  logger.addContext(context);
  const result = await checkLedgerSettled();
  for (const difference of result.differences) logger.error('ledger difference', { difference });
  logger.info('ledger check', { allocations: result.allocations, entries: result.entries, ledgerDifferences: result.differences.length });
  report.ledgerDifferences(result.differences.length);
  return { differences: result.differences.length };
});
