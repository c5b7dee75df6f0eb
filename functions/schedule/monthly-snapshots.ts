/**
 * The monthly snapshots (EventBridge Scheduler, 00:00 Asia/Shanghai on the 1st; the local scheduler under
 * `npm start`): every fund's books, labelled with the month that just ended. A fund that failed makes the run fail
 * after all others were tried, so the invocation is retried (the funds already done are not taken twice).
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { logger } from '#shared/logger';
import { instrumented } from '#shared/instrumented';
import { takeMonthlySnapshots } from '#shared/data/snapshots/take';

export const handler = instrumented(async (_event: ScheduledEvent, context: Context) => {
  logger.addContext(context);
  const run = await takeMonthlySnapshots(new Date());
  logger.info('monthly snapshots', {
    month: run.month,
    taken: run.taken.length,
    alreadyTaken: run.alreadyTaken.length,
    tooYoung: run.tooYoung.length,
    failed: run.failed,
  });
  if (run.failed.length > 0) throw new Error(`monthly snapshots of ${run.month}: ${run.failed.length} fund(s) failed`);
  return { month: run.month, taken: run.taken.length, alreadyTaken: run.alreadyTaken.length };
});
