/**
 * The scheduled ledger check: proves the books, logs every difference and the count as
 * `ledgerDifferences`, which a metric filter turns into the LedgerDifferences metric and its alarm.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { logger } from '#shared/logger';
import { checkLedgerSettled } from '#shared/data/ledger-check';

export const handler = async (_event: ScheduledEvent, context: Context): Promise<{ differences: number }> => {
  logger.addContext(context);
  const result = await checkLedgerSettled();
  for (const difference of result.differences) logger.error('ledger difference', { difference });
  logger.info('ledger check', { allocations: result.allocations, entries: result.entries, ledgerDifferences: result.differences.length });
  return { differences: result.differences.length };
};
