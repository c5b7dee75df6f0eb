/**
 * The daily evaluation of the progress rules (EventBridge Scheduler, 00:30 Asia/Shanghai; the local scheduler under
 * `npm start`): each new alert raises `fund.alert` once per county, code and month (shared/data/progress/alerts.ts),
 * so an alert does not wait for someone to read the progress. A fund that failed makes the run fail after all
 * others were tried, so the invocation is retried (alerts already raised are not raised twice).
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { logger } from '#shared/logger';
import { instrumented } from '#shared/instrumented';
import { raiseAllFundAlerts } from '#shared/data/progress/alerts';

export const handler = instrumented(async (_event: ScheduledEvent, context: Context) => {
  logger.addContext(context);
  const run = await raiseAllFundAlerts(new Date());
  logger.info('fund alerts', { funds: run.funds, raised: run.raised, failed: run.failed });
  if (run.failed.length > 0) throw new Error(`fund alerts: ${run.failed.length} fund(s) failed`);
  return { funds: run.funds, raised: run.raised };
});
