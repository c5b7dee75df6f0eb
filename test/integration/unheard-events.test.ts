/**
 * Every producer of events besides approve and settle writes an event nobody subscribes to already finished
 * (`dropped`: in the event log, outside the outbox, no delivery job), after one read of which types the enabled
 * endpoints subscribe to; a subscribed one is written pending and delivered. One test per producer family:
 * campaigns (launch, cancellation, subsidy release), stations, the public notice (opened, objection, closed),
 * snapshots, fund alerts, overdue flags and a payment instruction's failed delivery.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '#test/support/receiver';
import { chinaDate } from '#shared/domain/fund-period';
import { asApprover, COUNTY, disbursementBody, FINANCE_SYSTEM, OTHER_COUNTY, useMoneyHarness, type Call } from './disbursement-harness.ts';
import { noticesContext, type NoticesContext } from '../support/contexts.ts';
import { activeStation } from '../support/stations.ts';

const DAY = 86_400_000;
const h = useMoneyHarness({ env: { WEBHOOK_RETRY_SCHEDULE: '0,0' } });
let processDeliveryJob: typeof import('#shared/webhooks/delivery').processDeliveryJob;
let endpoints: typeof import('#shared/data/webhook-endpoints/items');
let stations: typeof import('#shared/data/stations/items');
let alerts: typeof import('#shared/data/progress/alerts');
let overdue: typeof import('#shared/data/warning-rules/raise-overdue');
let notices: NoticesContext;
const admin: Call = { sub: 'admin-1', roles: ['fund-admin'] };
const operator: Call = { sub: 'ops', roles: ['campaign-operator'] };
const ACTOR = { sub: 'admin-1' };

beforeAll(async () => {
  ({ processDeliveryJob } = await import('#shared/webhooks/delivery'));
  endpoints = await import('#shared/data/webhook-endpoints/items');
  stations = await import('#shared/data/stations/items');
  alerts = await import('#shared/data/progress/alerts');
  overdue = await import('#shared/data/warning-rules/raise-overdue');
  notices = await noticesContext();
});

/** Nobody listens: every endpoint deleted, the jobs their deletion queued drained. */
async function nobodyListens() {
  for (const e of (await endpoints.listEndpoints({ limit: 100 })).items) await endpoints.deleteEndpoint(e.endpointId, ACTOR, new Date());
  await h.services.drainQueue(h.services.queueUrls.delivery);
}

/** An endpoint subscribed to `events` (a fund-admin's observer, or `financeSystem`'s own), with its receiver. */
async function listener(events: string[], options: { financeSystem?: string; status?: number } = {}): Promise<Receiver> {
  const { financeSystem, status = 200 } = options;
  const receiver = await startReceiver({ respond: () => ({ status }) });
  const created = await h.call('POST', '/v1/webhook-endpoints', {
    ...(financeSystem ? { sub: financeSystem, roles: ['finance-system'] } : admin),
    body: { url: `${receiver.url}/hooks`, events },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return receiver;
}

/** The event items of `types` about `subjects` (written in this file's table), by type. */
async function eventsOf(subjects: string | string[], types: readonly string[]) {
  const about = new Set([subjects].flat());
  const items = (await h.services.scanTable()).filter(
    (i) => i.type === 'event' && about.has(i.subject as string) && types.includes(i.eventType as string),
  );
  return items.sort((a, b) => String(a.eventType).localeCompare(String(b.eventType)));
}

const jobs = async () => (await h.services.drainQueue(h.services.queueUrls.delivery)).map((m) => JSON.parse(m.Body!).messageId as string);

/** Written finished: logged, never in the outbox, no delivery job queued for it. */
async function expectUnheard(subjects: string | string[], types: readonly string[]) {
  const events = await eventsOf(subjects, types);
  expect(events.map((e) => e.eventType)).toEqual(expectedTypes(subjects, types));
  const queued = await jobs();
  for (const e of events) {
    expect(e, String(e.eventType)).toMatchObject({ state: 'dropped', finishedAt: e.timestamp });
    expect(e.gsi4pk, String(e.eventType)).toBeUndefined();
    expect(queued, String(e.eventType)).not.toContain(e.messageId);
  }
}

/** Written pending with its job queued, then delivered to the listener, once (at its own time, should it be later). */
async function expectHeard(subjects: string | string[], types: readonly string[], receiver: Receiver) {
  const events = await eventsOf(subjects, types);
  expect(events.map((e) => e.eventType)).toEqual(expectedTypes(subjects, types));
  const queued = await jobs();
  for (const e of events) {
    const id = e.messageId as string;
    expect(e, String(e.eventType)).toMatchObject({ state: 'pending', gsi4pk: expect.any(String) });
    expect(queued, String(e.eventType)).toContain(id);
    const now = () => new Date(Math.max(Date.now(), Date.parse(e.timestamp as string) + 1_000));
    expect(await processDeliveryJob({ kind: 'event', messageId: id }, { now }), String(e.eventType)).toBe('delivered');
    expect(receiver.requests.filter((r) => r.headers['webhook-id'] === id)).toHaveLength(1);
  }
}

/** One event of each type about each subject. */
const expectedTypes = (subjects: string | string[], types: readonly string[]) =>
  [subjects]
    .flat()
    .flatMap(() => types)
    .sort();

describe('an event nobody subscribes to is written finished; a subscribed one is delivered', () => {
  it('campaigns: launched, cancelled, and the subsidy released by the cancellation', async () => {
    const TYPES = ['campaign.cancelled', 'campaign.launched', 'campaign.subsidy_released'];
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    let channel = 0;
    const launchedAndCancelled = async () => {
      const launched = await h.call('POST', '/v1/campaigns', {
        ...operator,
        body: {
          countyCode: COUNTY,
          title: 'Tea week',
          channel: ['taobao', 'tmall'][channel++],
          startsAt: new Date(Date.now() + 60_000).toISOString(),
          endsAt: new Date(Date.now() + DAY).toISOString(),
          products: [{ sku: 'tea-1', name: 'Tea', unitPrice: 5_000, promoPrice: 4_000 }],
          subsidy: { fundId, amount: 50_000 },
        },
      });
      expect(launched.status, JSON.stringify(launched.body)).toBe(201);
      const campaignId = launched.body.campaignId as string;
      const cancelled = await h.call('POST', `/v1/campaigns/${campaignId}/cancel`, { ...admin, body: { reason: 'weather' } });
      expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
      return campaignId;
    };
    await nobodyListens();
    await expectUnheard(await launchedAndCancelled(), TYPES);
    const receiver = await listener(TYPES);
    await expectHeard(await launchedAndCancelled(), TYPES, receiver);
  });

  it('stations: activated and suspended', async () => {
    const TYPES = ['station.activated', 'station.suspended'];
    const activatedAndSuspended = async () => {
      const stationId = await activeStation(stations, COUNTY);
      await stations.changeStation(stationId, { action: 'suspend', reason: 'complaint' }, { sub: 'officer-b' }, new Date());
      return stationId;
    };
    await nobodyListens();
    await expectUnheard(await activatedAndSuspended(), TYPES);
    const receiver = await listener(TYPES);
    await expectHeard(await activatedAndSuspended(), TYPES, receiver);
  });

  it('the public notice: opened, an objection received, closed', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 }, noticePeriod: 'PT1S' });
    let farmers = 0;
    const noticeWithObjection = async () => {
      const name = `王${farmers++}`;
      const account = { bankName: 'ABC', accountName: name, accountNumber: `62229900${String(farmers).padStart(8, '0')}` };
      const created = await h.call('POST', '/v1/disbursements', {
        body: disbursementBody(fundId, 5_000, { beneficiary: { kind: 'farmer', name, account } }),
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const d = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, { ...asApprover('approver-1'), body: {} });
      expect(d.body.status, JSON.stringify(d.body)).toBe('in_notice');
      const { noticeId, endsAt } = d.body.notice as { noticeId: string; endsAt: string };
      const objected = await h.call('POST', `/public/notices/${noticeId}/objections`, {
        sub: '',
        roles: [],
        body: { itemRef: created.body.disbursementId, reason: '此人已迁出本村，不应领取。' },
      });
      expect(objected.status, JSON.stringify(objected.body)).toBe(202);
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(endsAt) - Date.now()) + 50));
      expect(await notices.endNotice(noticeId, new Date())).toBe(true);
      return { noticeId, objectionId: objected.body.objectionId as string };
    };
    await nobodyListens();
    const quiet = await noticeWithObjection();
    await expectUnheard(quiet.noticeId, ['notice.closed', 'notice.opened']);
    await expectUnheard(quiet.objectionId, ['objection.received']);
    const receiver = await listener(['notice.opened', 'objection.received', 'notice.closed']);
    const heard = await noticeWithObjection();
    const events = await eventsOf(heard.noticeId, ['notice.opened', 'notice.closed']);
    const objection = await eventsOf(heard.objectionId, ['objection.received']);
    expect([...events, ...objection].map((e) => e.state)).toEqual(['pending', 'pending', 'pending']);
    const queued = await jobs();
    for (const e of [...events, ...objection]) {
      expect(queued).toContain(e.messageId);
      expect(await processDeliveryJob({ kind: 'event', messageId: e.messageId as string })).toBe('delivered');
    }
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(3);
  });

  it('snapshots: snapshot.created', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const snapshot = async () => {
      const taken = await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, body: {} });
      expect(taken.status, JSON.stringify(taken.body)).toBe(201);
      return taken.body.snapshotId as string;
    };
    await nobodyListens();
    await expectUnheard(await snapshot(), ['snapshot.created']);
    const receiver = await listener(['snapshot.created']);
    await expectHeard(await snapshot(), ['snapshot.created'], receiver);
  });

  it('fund alerts: fund.alert, one read for all of a fund’s new alerts', async () => {
    const laggingFund = async () => {
      const now = Date.now();
      const fund = await h.data.funds.createFund(
        {
          name: 'Lagging fund',
          financeSystem: FINANCE_SYSTEM,
          noticePeriod: 'P0D',
          totalBudget: 1_000_000_000,
          dualApprovalThreshold: 100_000_000,
          period: { startsOn: chinaDate(new Date(now - 200 * DAY)), endsOn: chinaDate(new Date(now + 165 * DAY)) },
        },
        ACTOR,
        new Date(),
      );
      for (const county of [COUNTY, OTHER_COUNTY]) await h.data.funds.setAllocation(fund.fundId, county, 1_000_000, ACTOR, new Date());
      expect((await alerts.raiseFundAlerts(fund.fundId, new Date())).raised).toHaveLength(2);
      return fund.fundId;
    };
    await nobodyListens();
    const quiet = await laggingFund();
    await expectUnheard(
      [COUNTY, OTHER_COUNTY].map((county) => `${quiet}#${county}`),
      ['fund.alert'],
    );
    const receiver = await listener(['fund.alert']);
    const heard = await laggingFund();
    await expectHeard(
      [COUNTY, OTHER_COUNTY].map((county) => `${heard}#${county}`),
      ['fund.alert'],
      receiver,
    );
  });

  it('overdue flags: flag.overdue', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const overdueFlag = async () => {
      // The second request to one account is flagged duplicate_beneficiary (high), due 3 days on.
      const beneficiary = h.nextBeneficiary();
      let second: { disbursementId: string; createdAt: string; flags: { code: string }[] } | undefined;
      for (const amount of [1_000, 2_000]) {
        const created = await h.call('POST', '/v1/disbursements', { body: disbursementBody(fundId, amount, { beneficiary }) });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        second = created.body;
      }
      expect(second!.flags.map((f) => f.code)).toEqual(['duplicate_beneficiary']);
      return second!;
    };
    await nobodyListens();
    const quiet = await overdueFlag();
    expect(
      await overdue.raiseOverdueFlag(quiet.disbursementId, 'duplicate_beneficiary', new Date(Date.parse(quiet.createdAt) + 3 * DAY)),
    ).toBe(true);
    await expectUnheard(quiet.disbursementId, ['flag.overdue']);
    const receiver = await listener(['flag.overdue']);
    const heard = await overdueFlag();
    expect(
      await overdue.raiseOverdueFlag(heard.disbursementId, 'duplicate_beneficiary', new Date(Date.parse(heard.createdAt) + 3 * DAY)),
    ).toBe(true);
    await expectHeard(heard.disbursementId, ['flag.overdue'], receiver);
  });

  it('a payment instruction whose retries ran out: payout.delivery_failed (the instruction itself always waits for its subscriber)', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const deliveryFailed = async () => {
      const p = await h.approvedPayout(fundId, 1_000, { ownAccount: true });
      // The paying system's endpoint answers 500 every time: after the retries (0,0) the instruction fails.
      let outcome = '';
      for (let round = 0; round < 5 && outcome !== 'failed'; round++)
        outcome = await processDeliveryJob({ kind: 'event', messageId: p.messageId });
      expect(outcome).toBe('failed');
      expect((await h.data.payouts.getPayout(p.payoutId)).status).toBe('delivery_failed');
      return p.payoutId;
    };
    await nobodyListens();
    await listener(['payout.requested'], { financeSystem: FINANCE_SYSTEM, status: 500 });
    await expectUnheard(await deliveryFailed(), ['payout.delivery_failed']);
    const receiver = await listener(['payout.delivery_failed']);
    await expectHeard(await deliveryFailed(), ['payout.delivery_failed'], receiver);
  });
});
