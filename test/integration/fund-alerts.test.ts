/**
 * `fund.alert` on DynamoDB Local: each new alert of the progress rules raises the event once per county, code and
 * calendar month, also when two evaluations run at once (the marker's condition lets one commit), and again in the
 * next month while the county still alerts. The scheduled function raises them without anyone reading the progress.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext, type LambdaHandler } from '#local/invoke';
import { scheduledEvent } from '#local/scheduler';
import { captureLogs } from '#test/support/log-capture';
import { chinaDate } from '#shared/domain/fund-period';
import { COUNTY, OTHER_COUNTY, useMoneyHarness } from './disbursement-harness.ts';

const DAY = 86_400_000;
const h = useMoneyHarness();
let alerts: typeof import('#shared/data/progress/alerts');
const admin = { sub: 'admin-1', roles: ['fund-admin'] };

beforeAll(async () => {
  alerts = await import('#shared/data/progress/alerts');
});

/** A fund whose period is about 55 % gone, with two counties allocated and nothing paid: both lag. */
async function laggingFund(): Promise<string> {
  const now = Date.now();
  const fund = await h.data.funds.createFund(
    {
      name: 'Lagging fund',
      financeSystem: 'finance-1',
      noticePeriod: 'P0D',
      totalBudget: 1_000_000_000,
      dualApprovalThreshold: 100_000_000,
      period: { startsOn: chinaDate(new Date(now - 200 * DAY)), endsOn: chinaDate(new Date(now + 165 * DAY)) },
    },
    { sub: 'admin-1' },
    new Date(),
  );
  for (const county of [COUNTY, OTHER_COUNTY])
    await h.data.funds.setAllocation(fund.fundId, county, 1_000_000, { sub: 'admin-1' }, new Date());
  return fund.fundId;
}

async function alertEvents(fundId: string): Promise<{ countyCode: string; code: string; month: string }[]> {
  const events: { countyCode: string; code: string; month: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await h.call('GET', '/v1/events', {
      ...admin,
      query: { type: 'fund.alert', limit: '100', ...(cursor ? { cursor } : {}) },
    });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    for (const e of page.body.items as { data: { fundId: string; countyCode: string; code: string; month: string } }[]) {
      if (e.data.fundId === fundId) events.push({ countyCode: e.data.countyCode, code: e.data.code, month: e.data.month });
    }
    cursor = page.body.nextCursor ?? undefined;
  } while (cursor);
  return events.sort((a, b) => (a.month + a.countyCode < b.month + b.countyCode ? -1 : 1));
}

describe('fund.alert', () => {
  it('is raised once per county, code and month under two evaluations at once', async () => {
    const fundId = await laggingFund();
    const progress = await h.call('GET', `/v1/funds/${fundId}/progress`, admin);
    expect(progress.body.alerts.map((a: { countyCode: string; code: string }) => [a.countyCode, a.code])).toEqual([
      [COUNTY, 'lagging'],
      [OTHER_COUNTY, 'lagging'],
    ]);
    const now = new Date();
    const runs = await Promise.all([alerts.raiseFundAlerts(fundId, now), alerts.raiseFundAlerts(fundId, now)]);
    expect(runs[0].raised.length + runs[1].raised.length).toBe(2);
    expect((await alerts.raiseFundAlerts(fundId, new Date(now.getTime() + 60_000))).raised).toEqual([]);
    const month = chinaDate(now).slice(0, 7);
    expect(await alertEvents(fundId)).toEqual([
      { countyCode: COUNTY, code: 'lagging', month },
      { countyCode: OTHER_COUNTY, code: 'lagging', month },
    ]);
  });

  it('is raised again in the next month while the county still alerts', async () => {
    const fundId = await laggingFund();
    const now = new Date();
    expect((await alerts.raiseFundAlerts(fundId, now)).raised).toHaveLength(2);
    const nextMonth = new Date(now.getTime() + 32 * DAY);
    const again = await Promise.all([alerts.raiseFundAlerts(fundId, nextMonth), alerts.raiseFundAlerts(fundId, nextMonth)]);
    expect(again[0].raised.length + again[1].raised.length).toBe(2);
    expect((await alertEvents(fundId)).map((e) => e.month)).toEqual([
      ...Array(2).fill(chinaDate(now).slice(0, 7)),
      ...Array(2).fill(chinaDate(nextMonth).slice(0, 7)),
    ]);
  });

  it('is raised by the daily schedule, with nobody reading the progress', async () => {
    const fundId = await laggingFund();
    const handler = (await import('#functions/schedule/fund-alerts')).handler as LambdaHandler;
    const logs = captureLogs();
    try {
      await handler(scheduledEvent('fund-alerts'), lambdaContext('relief-fund-fund-alerts', 60_000));
    } finally {
      logs.restore();
    }
    expect((await alertEvents(fundId)).map((e) => e.countyCode)).toEqual([COUNTY, OTHER_COUNTY]);
  });
});
