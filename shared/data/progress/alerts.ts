/**
 * `fund.alert`: each new alert of the progress rules (shared/domain/progress.ts) raises the event once per fund,
 * county, code and calendar month (China time), however many processes evaluate at once: the event is written in
 * one transaction with a marker item `FUND#<fundId> / ALERT#<county>#<code>#<month>` put only if absent, so of two
 * evaluations at once one commits and the other's condition fails (nothing written twice).
 *
 * When: every day by the schedule (functions/schedule/fund-alerts.ts), so an alert never waits for someone to read
 * the progress. Daily suffices: the rules count whole days (time elapsed by the day; idle after 90 days); an
 * allocation raised mid-day that makes a county lag is raised by the next run. The progress read itself writes
 * nothing (a GET stays a read; observers' reads stay reads).
 *
 * Cost: the fund's allocations (one Query, as the progress route), the month's markers of the alerting counties
 * (BatchGetItem, so a known alert costs a read, not a failed write), and one transaction per new alert.
 */
import { chinaDate, chinaMonth } from '../../domain/fund-period.ts';
import { alertsToRaise, alertKey, fundProgress, type FundAlert } from '../../domain/progress.ts';
import { eventStep, enqueueEvents } from '../platform/events.ts';
import { subscribedEventTypes } from '../webhook-endpoints/subscriptions.ts';
import { keys } from '../platform/keys.ts';
import { queryAll, readByKeys } from '../platform/query.ts';
import { config } from '../../config.ts';
import { retryOnConflict, transact } from '../platform/transactions.ts';
import { ALL_FUNDS } from '../funds/items.ts';
import { readFundStanding } from './items.ts';

export interface AlertRun {
  raised: FundAlert[];
  /** Alerts already raised this month (by an earlier run, or another process just now). */
  alreadyRaised: number;
}

/** Raises `fund.alert` for each alert of the fund's progress today not yet raised this month. */
export async function raiseFundAlerts(fundId: string, now: Date): Promise<AlertRun> {
  const standing = await readFundStanding(fundId);
  const today = chinaDate(now);
  const month = chinaMonth(now);
  const { alerts } = fundProgress(standing.period, today, now, standing.allocations);
  if (alerts.length === 0) return { raised: [], alreadyRaised: 0 };
  const markers = await readByKeys(
    alerts.map((a) => keys.fundAlertRaised(fundId, a.countyCode, a.code, month)),
    { expression: 'countyCode, code' },
  );
  const known = new Set(
    markers.map((m) => alertKey(fundId, { countyCode: m.countyCode as string, code: m.code as FundAlert['code'] }, month)),
  );
  const fresh = alertsToRaise(fundId, alerts, month, known);
  const raised: FundAlert[] = [];
  const messageIds: string[] = [];
  // Whether anyone listens to fund.alert: one read for the fund's new alerts, none when there is none.
  const subscribed = fresh.length > 0 && (await subscribedEventTypes())('fund.alert');
  for (const alert of fresh) {
    const event = eventStep('fund.alert', `${fundId}#${alert.countyCode}`, { fundId, ...alert, month, asOf: today }, now, { subscribed });
    try {
      // Two evaluations at once may collide (TransactionConflict): the retry then finds the marker and stops.
      await retryOnConflict(() =>
        transact([
          {
            item: {
              Put: {
                TableName: config().TABLE_NAME,
                Item: {
                  ...keys.fundAlertRaised(fundId, alert.countyCode, alert.code, month),
                  type: 'fund-alert-raised',
                  fundId,
                  countyCode: alert.countyCode,
                  code: alert.code,
                  month,
                  raisedAt: now.toISOString(),
                  messageId: event.messageId,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            onConditionFailed: () => new AlreadyRaised(),
          },
          event.step,
        ]),
      );
      raised.push(alert);
      if (event.queued) messageIds.push(event.messageId);
    } catch (error) {
      if (!(error instanceof AlreadyRaised)) throw error;
    }
  }
  await enqueueEvents(messageIds);
  return { raised, alreadyRaised: alerts.length - raised.length };
}

/** Another evaluation raised this alert first: not an error, and not to be retried. */
class AlreadyRaised extends Error {
  constructor() {
    super('fund.alert already raised this month');
    this.name = 'AlreadyRaised';
  }
}

export interface AlertsRun {
  funds: number;
  raised: number;
  failed: { fundId: string; error: string }[];
}

/** Every fund's alerts (the daily schedule). A fund that fails is reported after all others were tried. */
export async function raiseAllFundAlerts(now: Date): Promise<AlertsRun> {
  const funds = await queryAll(
    { IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :list', ExpressionAttributeValues: { ':list': ALL_FUNDS } },
    { projection: { expression: 'fundId' } },
  );
  const run: AlertsRun = { funds: funds.length, raised: 0, failed: [] };
  for (const fund of funds) {
    try {
      run.raised += (await raiseFundAlerts(fund.fundId as string, now)).raised.length;
    } catch (error) {
      run.failed.push({ fundId: fund.fundId as string, error: error instanceof Error ? error.name : 'unknown' });
    }
  }
  return run;
}
