/**
 * The outbox sweeper (EventBridge schedule, every OUTBOX_SWEEP_SECONDS): queues again the work that
 * was committed but not done — a crash between commit and send, a lost message, an emulator restart.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { logger } from '#shared/logger';
import { instrumented } from '#shared/instrumented';
import { config } from '#shared/config';
import { outboxEventsSource, runSweep } from '#shared/data/platform/outbox';
import type { SweepSource } from '#shared/data/platform/sweep';
import { batchExpansionSource } from '#shared/data/batches/expand';
import { correctionLinkSource } from '#shared/data/corrections/resume-links';
import { batchVerificationSource } from '#shared/data/verifications/request';
import { subsidyReleaseSource } from '#shared/data/campaigns/subsidies';
import { noticeEndSource } from '#shared/data/notices/end';
import { flagOverdueSource, settledRecordSource } from '#shared/data/warning-rules/raise-overdue';
import { settlementRollUpSource } from '#shared/data/ledger/roll-up';
// Registers the disbursements' side of a notice's end.
import '#shared/data/disbursements/items';

/** Everything the sweeper looks after; a new kind of deferred work adds its source here. */
export const SWEEP_SOURCES: readonly SweepSource[] = [
  outboxEventsSource,
  batchExpansionSource,
  batchVerificationSource,
  subsidyReleaseSource,
  noticeEndSource,
  flagOverdueSource,
  settledRecordSource,
  correctionLinkSource,
  settlementRollUpSource,
];

export const handler = instrumented(async (_event: ScheduledEvent, context: Context): Promise<void> => {
  logger.addContext(context);
  const cutoff = new Date(Date.now() - config().OUTBOX_SWEEP_SECONDS * 1000);
  await runSweep(SWEEP_SOURCES, cutoff);
});
