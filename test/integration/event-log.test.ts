/**
 * Finance operations on webhooks over the real pieces (DynamoDB Local, the real handlers and delivery
 * worker, real HTTP receivers): the test event, resend, re-enabling an endpoint after a 410, and the
 * event log read from the outbox's own event items (masked, kept to the funds a finance system pays,
 * paged by cursor).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { LoggedEvent } from '#shared/schemas/events';
import { startReceiver, type Receiver, type ReceivedRequest } from '#test/support/receiver';
import {
  ACCOUNT_NUMBER,
  beneficiaryNo,
  asApprover,
  asFinance,
  asRequester,
  COUNTY,
  disbursementBody,
  FINANCE_SYSTEM,
  useMoneyHarness,
  type Call,
} from './disbursement-harness.ts';
import { noticesContext } from '../support/contexts.ts';

const h = useMoneyHarness({ env: { WEBHOOK_RETRY_SCHEDULE: '0,0' } });
let processDeliveryJob: typeof import('#shared/webhooks/delivery').processDeliveryJob;
let endpoints: typeof import('#shared/data/webhook-endpoints/items');
let getItem: typeof import('#shared/data/platform/query').getItem;
let keys: typeof import('#shared/data/platform/keys').keys;
const receivers: Receiver[] = [];
const admin: Call = { sub: 'admin-1', roles: ['fund-admin'] };
const auditor: Call = { sub: 'auditor-1', roles: ['auditor'] };
const OTHER_FINANCE = 'other-finance';
const otherFinance: Call = { sub: OTHER_FINANCE, roles: ['finance-system'] };
const ACTOR = { sub: 'admin-1' };

beforeAll(async () => {
  ({ processDeliveryJob } = await import('#shared/webhooks/delivery'));
  endpoints = await import('#shared/data/webhook-endpoints/items');
  ({ getItem } = await import('#shared/data/platform/query'));
  ({ keys } = await import('#shared/data/platform/keys'));
});

afterAll(async () => {
  for (const e of (await endpoints.listEndpoints({ limit: 100 })).items) await endpoints.deleteEndpoint(e.endpointId, ACTOR, new Date());
  await Promise.all(receivers.map((r) => r.stop()));
});

async function removeAllEndpoints() {
  for (const e of (await endpoints.listEndpoints({ limit: 100 })).items) await endpoints.deleteEndpoint(e.endpointId, ACTOR, new Date());
  await h.services.drainQueue(h.services.queueUrls.delivery);
}

/** A receiver and its endpoint (created through the API, so its secret is the one handed out). */
async function endpoint(options: { financeSystem?: string; status?: (n: number) => number; events?: string[] } = {}) {
  const receiver = await startReceiver({ respond: (_req, n) => ({ status: options.status?.(n) ?? 200 }) });
  receivers.push(receiver);
  // A finance system's endpoint is created by that finance system itself; anyone else's by a fund admin.
  const created = await h.call('POST', '/v1/webhook-endpoints', {
    ...(options.financeSystem ? { sub: options.financeSystem, roles: ['finance-system'] } : admin),
    body: { url: `${receiver.url}/hooks`, events: options.events ?? ['payout.requested'] },
  });
  expect(created.status).toBe(201);
  return { receiver, endpointId: created.body.endpointId as string, secret: created.body.secret as string };
}

async function fundPaidBy(financeSystem: string): Promise<string> {
  const created = await h.data.funds.createFund(
    { name: 'Relief fund', financeSystem, noticePeriod: 'P0D', totalBudget: 1_000_000_000_00, dualApprovalThreshold: 100_000_000 },
    ACTOR,
    new Date(),
  );
  await h.data.funds.setAllocation(created.fundId, COUNTY, 10_000_000, ACTOR, new Date());
  return created.fundId;
}

/** An approved disbursement: its payout and the payout.requested message. */
// Several in one fund pay accounts of their own: duplicate screening would hold a second one to the same account.
const approved = (fundId: string, amount = 10_000, beneficiary?: unknown) =>
  h.approvedPayout(fundId, amount, { approver: 'checker-1', overrides: beneficiary ? { beneficiary } : {} });

const ofMessage = (receiver: Receiver, messageId: string) => receiver.requests.filter((r) => r.headers['webhook-id'] === messageId);
const accountIn = (json: unknown) =>
  (json as { data: { beneficiary: { account: { accountNumber: string } } } }).data.beneficiary.account.accountNumber;

function verifies(secret: string, request: ReceivedRequest): unknown {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });
}

/** Every page of a listing, following nextCursor. */
async function allPages(
  caller: Call,
  query: Record<string, string>,
): Promise<{ items: { messageId: string; type: string }[]; pages: number }> {
  const items: { messageId: string; type: string }[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await h.call('GET', '/v1/events', { ...caller, query: { ...query, ...(cursor ? { cursor } : {}) } });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor ?? undefined;
    pages++;
  } while (cursor);
  return { items, pages };
}

describe('POST /v1/webhook-endpoints/{id}/test', () => {
  it('sends one webhook.test event to that endpoint alone; its signature verifies with standardwebhooks; it is in the deliveries', async () => {
    await removeAllEndpoints();
    const target = await endpoint({ events: ['payout.settled'] });
    const bystander = await endpoint({ events: ['*'] });

    const reply = await h.call('POST', `/v1/webhook-endpoints/${target.endpointId}/test`, { ...admin, body: {} });
    expect(reply.status).toBe(202);
    const messageId = reply.body.messageId as string;
    expect(messageId).toMatch(/^msg_/);

    expect(target.receiver.requests).toHaveLength(1);
    const request = target.receiver.requests[0]!;
    expect(request.headers['webhook-id']).toBe(messageId);
    expect(verifies(target.secret, request)).toMatchObject({ type: 'webhook.test', data: { endpointId: target.endpointId } });
    // Signed with another secret, it does not verify: the check above is not vacuous.
    expect(() => verifies(bystander.secret, request)).toThrow();
    expect(bystander.receiver.requests).toHaveLength(0);

    const deliveries = await h.call('GET', `/v1/webhook-endpoints/${target.endpointId}/deliveries`, admin);
    expect(deliveries.body.items[0]).toMatchObject({ messageId, eventType: 'webhook.test', outcome: 'succeeded', responseStatus: 200 });
    // The worker and the sweeper never pick it up for anyone else.
    expect(await processDeliveryJob({ kind: 'event', messageId })).not.toBe('delivered');
    expect(bystander.receiver.requests).toHaveLength(0);
  });

  it('is refused for a disabled endpoint and 404 for an unknown one', async () => {
    await removeAllEndpoints();
    const gone = await endpoint({ status: () => 410 });
    expect((await h.call('POST', `/v1/webhook-endpoints/${gone.endpointId}/test`, { ...admin, body: {} })).status).toBe(202);
    expect((await endpoints.getEndpoint(gone.endpointId)).status).toBe('disabled');
    const again = await h.call('POST', `/v1/webhook-endpoints/${gone.endpointId}/test`, { ...admin, body: {} });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');
    expect(gone.receiver.requests).toHaveLength(1);
    expect((await h.call('POST', '/v1/webhook-endpoints/whe_01M8MB7QKGZ7EXTNFH95G3P5TD/test', { ...admin, body: {} })).status).toBe(404);
  });
});

describe('POST /v1/webhook-endpoints/{id}/messages/{messageId}/resend', () => {
  it('sends the same webhook-id and body again, freshly signed, to that endpoint only (full account to the paying system, masked to others)', async () => {
    await removeAllEndpoints();
    const finance = await endpoint({ financeSystem: FINANCE_SYSTEM });
    const observer = await endpoint({ events: ['*'] });
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const p = await approved(fundId);
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('delivered');
    const [first] = ofMessage(finance.receiver, p.messageId);
    const [observed] = ofMessage(observer.receiver, p.messageId);
    expect(accountIn(first!.json)).toBe(ACCOUNT_NUMBER);
    expect(accountIn(observed!.json)).not.toBe(ACCOUNT_NUMBER);

    const resent = await h.call('POST', `/v1/webhook-endpoints/${finance.endpointId}/messages/${p.messageId}/resend`, {
      ...admin,
      body: {},
    });
    expect(resent.status).toBe(202);
    expect(resent.body).toEqual({ messageId: p.messageId });
    const sent = ofMessage(finance.receiver, p.messageId);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.body).toBe(first!.body);
    expect(Number(sent[1]!.headers['webhook-timestamp'])).toBeGreaterThanOrEqual(Number(first!.headers['webhook-timestamp']));
    verifies(finance.secret, sent[1]!);
    expect(ofMessage(observer.receiver, p.messageId)).toHaveLength(1);

    expect(
      (await h.call('POST', `/v1/webhook-endpoints/${observer.endpointId}/messages/${p.messageId}/resend`, { ...admin, body: {} })).status,
    ).toBe(202);
    const toObserver = ofMessage(observer.receiver, p.messageId);
    expect(toObserver).toHaveLength(2);
    expect(toObserver[1]!.body).toBe(observed!.body);
    verifies(observer.secret, toObserver[1]!);
    expect(ofMessage(finance.receiver, p.messageId)).toHaveLength(2);

    const deliveries = await h.call('GET', `/v1/webhook-endpoints/${finance.endpointId}/deliveries`, admin);
    expect(deliveries.body.items.filter((d: { messageId: string }) => d.messageId === p.messageId)).toHaveLength(2);
    // A replay changes nothing about the payout.
    expect((await h.data.payouts.getPayout(p.payoutId)).status).toBe('sent');
  });

  it("refuses a closed payout's payment instruction, and a message the endpoint was never sent", async () => {
    await removeAllEndpoints();
    const finance = await endpoint({ financeSystem: FINANCE_SYSTEM });
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const p = await approved(fundId);
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('delivered');
    const settled = await h.call('POST', `/v1/payouts/${p.payoutId}/settlement`, {
      ...asFinance,
      body: { outcome: 'succeeded', bankReference: 'BR-1' },
    });
    expect(settled.status).toBe(200);

    const refused = await h.call('POST', `/v1/webhook-endpoints/${finance.endpointId}/messages/${p.messageId}/resend`, {
      ...admin,
      body: {},
    });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('invalid_state');
    expect(ofMessage(finance.receiver, p.messageId)).toHaveLength(1);

    const later = await endpoint({ financeSystem: FINANCE_SYSTEM });
    const never = await h.call('POST', `/v1/webhook-endpoints/${later.endpointId}/messages/${p.messageId}/resend`, { ...admin, body: {} });
    expect(never.status).toBe(404);
    expect(later.receiver.requests).toHaveLength(0);
  });
});

describe('PATCH /v1/webhook-endpoints/{id}', () => {
  it('re-enables an endpoint disabled by a 410; the delivery_failed payout is then redelivered to it and sent', async () => {
    await removeAllEndpoints();
    const finance = await endpoint({ financeSystem: FINANCE_SYSTEM, status: (n) => (n === 1 ? 410 : 200) });
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const p = await approved(fundId);
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('failed');
    expect((await h.data.payouts.getPayout(p.payoutId)).status).toBe('delivery_failed');
    expect((await endpoints.getEndpoint(finance.endpointId)).status).toBe('disabled');
    const whileDisabled = await h.call('POST', `/v1/webhook-endpoints/${finance.endpointId}/messages/${p.messageId}/resend`, {
      ...admin,
      body: {},
    });
    expect(whileDisabled.status).toBe(409);

    const enabled = await h.call('PATCH', `/v1/webhook-endpoints/${finance.endpointId}`, {
      ...admin,
      body: { status: 'enabled', description: 'back' },
    });
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({
      endpointId: finance.endpointId,
      status: 'enabled',
      description: 'back',
      financeSystem: FINANCE_SYSTEM,
    });
    expect(enabled.body.secret).toBeUndefined();

    expect((await h.call('POST', `/v1/payouts/${p.payoutId}/redeliver`, admin)).status).toBe(202);
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('delivered');
    expect((await h.data.payouts.getPayout(p.payoutId)).status).toBe('sent');
    const sent = ofMessage(finance.receiver, p.messageId);
    expect(sent).toHaveLength(2);
    expect(accountIn(verifies(finance.secret, sent[1]!))).toBe(ACCOUNT_NUMBER);
  });

  it('changes url and events (the URL guard applies to a new url); an empty change, an unknown field or another status is a 400', async () => {
    await removeAllEndpoints();
    const e = await endpoint();
    const moved = await startReceiver();
    receivers.push(moved);
    const changed = await h.call('PATCH', `/v1/webhook-endpoints/${e.endpointId}`, {
      ...admin,
      body: { url: `${moved.url}/new`, events: ['*'] },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ url: `${moved.url}/new`, events: ['*'] });
    expect((await h.call('POST', `/v1/webhook-endpoints/${e.endpointId}/test`, { ...admin, body: {} })).status).toBe(202);
    expect(moved.requests).toHaveLength(1);
    expect(e.receiver.requests).toHaveLength(0);

    for (const body of [{ url: 'http://user:secret@127.0.0.1/x' }, {}, { status: 'disabled' }, { financeSystem: 'x' }]) {
      const bad = await h.call('PATCH', `/v1/webhook-endpoints/${e.endpointId}`, { ...admin, body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.code).toBe('validation_failed');
    }
    expect((await endpoints.getEndpoint(e.endpointId)).url).toBe(`${moved.url}/new`);
    expect(
      (await h.call('PATCH', '/v1/webhook-endpoints/whe_01M8MB7QKGZ7EXTNFH95G3P5TD', { ...admin, body: { description: 'x' } })).status,
    ).toBe(404);
  });
});

describe('GET /v1/events', () => {
  it('reads the outbox event items themselves, masked as for an endpoint without financeSystem, with a TTL once finished', async () => {
    await removeAllEndpoints();
    const finance = await endpoint({ financeSystem: FINANCE_SYSTEM });
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const p = await approved(fundId);
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('delivered');
    expect(accountIn(ofMessage(finance.receiver, p.messageId)[0]!.json)).toBe(ACCOUNT_NUMBER);

    for (const caller of [admin, auditor, asFinance]) {
      const one = await h.call('GET', `/v1/events/${p.messageId}`, caller);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ messageId: p.messageId, type: 'payout.requested', data: { payoutId: p.payoutId } });
      expect(Object.keys(one.body).sort()).toEqual(['data', 'messageId', 'timestamp', 'type']);
      expect(accountIn(one.body)).not.toBe(ACCOUNT_NUMBER);
      expect(JSON.stringify(one.body)).not.toContain(ACCOUNT_NUMBER);
      const listed = await h.call('GET', '/v1/events', { ...caller, query: { type: 'payout.requested', limit: '100' } });
      expect(JSON.stringify(listed.body)).not.toContain(ACCOUNT_NUMBER);
      expect(listed.body.items.map((e: { messageId: string }) => e.messageId)).toContain(p.messageId);
    }

    const item = (await getItem(keys.event(p.messageId)))!;
    // Stored as `state`, which the list indexes do not copy: finishing the event rewrote none of its listing entries.
    expect(item.state).toBe('delivered');
    expect(item.status).toBeUndefined();
    const thirtyDays = 30 * 24 * 60 * 60;
    expect(item.expiresAt as number).toBeGreaterThanOrEqual(Math.floor(Date.parse(item.timestamp as string) / 1000) + thirtyDays);
  });

  it('writes an event nobody subscribes to already finished: logged, outside the outbox, no delivery job; a subscribed type stays pending', async () => {
    await removeAllEndpoints();
    await endpoint({ financeSystem: FINANCE_SYSTEM });
    // A disabled endpoint subscribed to everything is nobody: the worker would not send to it either.
    const disabled = await endpoint({ events: ['*'] });
    await endpoints.disableEndpoint(disabled.endpointId, 'the receiver answered 410 Gone', new Date());
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const eventOf = async (type: string, subject: string) => {
      const listed = await allPages(admin, { type, limit: '100' });
      const found = listed.items.find((e) => JSON.stringify(e).includes(subject));
      expect(found, `${type} of ${subject} in the event log`).toBeDefined();
      return (await getItem(keys.event(found!.messageId)))!;
    };
    const jobs = async () =>
      (await h.services.drainQueue(h.services.queueUrls.delivery)).map((m) => JSON.parse(m.Body!).messageId as string);

    const p = await approved(fundId, 10_000, h.nextBeneficiary());
    expect(await jobs()).toEqual([p.messageId]); // the payment instruction's job alone
    const unheard = await eventOf('disbursement.approved', p.disbursementId);
    expect(unheard).toMatchObject({ state: 'dropped', finishedAt: unheard.timestamp });
    expect(unheard.gsi4pk).toBeUndefined(); // never in the outbox: no lease, no release
    expect(unheard.expiresAt).toBe(Math.floor(Date.parse(unheard.timestamp as string) / 1000) + 30 * 24 * 60 * 60);
    // A payment instruction waits for its subscriber whatever is subscribed: always pending.
    expect((await getItem(keys.event(p.messageId)))!).toMatchObject({ state: 'pending', gsi4pk: expect.any(String) });
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('delivered');
    expect((await h.settle(p.payoutId, { outcome: 'succeeded', bankReference: 'BR-UNHEARD' })).status).toBe(200);
    expect(await jobs()).toEqual([]);
    expect(await eventOf('payout.settled', p.payoutId)).toMatchObject({ state: 'dropped' });

    // An endpoint created since (in any process: read at each write) gets the next ones.
    const observer = await endpoint({ events: ['disbursement.approved', 'payout.settled'] });
    const q = await approved(fundId, 10_000, h.nextBeneficiary());
    const heard = await eventOf('disbursement.approved', q.disbursementId);
    expect(heard).toMatchObject({ state: 'pending', gsi4pk: expect.any(String) });
    expect((await jobs()).sort()).toEqual([heard.messageId, q.messageId].sort());
    expect(await processDeliveryJob({ kind: 'event', messageId: heard.messageId as string })).toBe('delivered');
    expect(ofMessage(observer.receiver, heard.messageId as string)).toHaveLength(1);
    expect(ofMessage(observer.receiver, unheard.messageId as string)).toHaveLength(0);
  });

  it("keeps a finance system to the events of the funds it pays: another's are neither listed nor readable", async () => {
    await removeAllEndpoints();
    const mine = await approved(await h.fund({ allocations: { [COUNTY]: 1_000_000 } }));
    const theirs = await approved(await fundPaidBy(OTHER_FINANCE));
    const test = await endpoint({ events: ['*'] });
    const testMessage = (await h.call('POST', `/v1/webhook-endpoints/${test.endpointId}/test`, { ...admin, body: {} })).body
      .messageId as string;

    const mineListed = (await allPages(asFinance, { limit: '100' })).items.map((e) => e.messageId);
    const theirsListed = (await allPages(otherFinance, { limit: '100' })).items.map((e) => e.messageId);
    expect(mineListed).toContain(mine.messageId);
    expect(mineListed).not.toContain(theirs.messageId);
    expect(theirsListed).toContain(theirs.messageId);
    expect(theirsListed).not.toContain(mine.messageId);
    // An event without a fund is no finance system's.
    expect(mineListed).not.toContain(testMessage);
    const byType = (await allPages(otherFinance, { type: 'payout.requested', limit: '100' })).items.map((e) => e.messageId);
    expect(byType).toContain(theirs.messageId);
    expect(byType).not.toContain(mine.messageId);

    expect((await h.call('GET', `/v1/events/${theirs.messageId}`, asFinance)).status).toBe(404);
    expect((await h.call('GET', `/v1/events/${mine.messageId}`, otherFinance)).status).toBe(404);
    expect((await h.call('GET', `/v1/events/${testMessage}`, asFinance)).status).toBe(404);
    expect((await h.call('GET', `/v1/events/${testMessage}`, admin)).body).toMatchObject({
      type: 'webhook.test',
      data: { endpointId: test.endpointId },
    });
    // The payout events that follow carry the paying system too.
    const settled = await h.call('POST', `/v1/payouts/${theirs.payoutId}/settlement`, {
      ...otherFinance,
      body: { outcome: 'failed', failureReason: 'account closed' },
    });
    expect(settled.status).toBe(200);
    const failedEvents = (await allPages(otherFinance, { type: 'payout.failed' })).items;
    expect(failedEvents.map((e) => (e as unknown as { data: { payoutId: string } }).data.payoutId)).toContain(theirs.payoutId);
    expect(
      (await allPages(asFinance, { type: 'payout.failed' })).items.map(
        (e) => (e as unknown as { data: { payoutId: string } }).data.payoutId,
      ),
    ).not.toContain(theirs.payoutId);
  });

  it("keeps a finance system to the campaign events of the funds it pays: a subsidy's launch, cancellation and release", async () => {
    const operator: Call = { sub: 'ops', roles: ['campaign-operator'] };
    const startsAt = new Date(Date.now() + 60_000).toISOString();
    const endsAt = new Date(Date.now() + 86_400_000).toISOString();
    const launch = async (channel: string, subsidy?: { fundId: string; amount: number }) => {
      const launched = await h.call('POST', '/v1/campaigns', {
        ...operator,
        body: {
          countyCode: COUNTY,
          title: `Tea on ${channel}`,
          channel,
          startsAt,
          endsAt,
          products: [{ sku: 'tea-1', name: 'Tea', unitPrice: 5_000, promoPrice: 4_000 }],
          ...(subsidy ? { subsidy } : {}),
        },
      });
      expect(launched.status, JSON.stringify(launched.body)).toBe(201);
      const campaignId = launched.body.campaignId as string;
      expect((await h.call('POST', `/v1/campaigns/${campaignId}/cancel`, { ...admin, body: { reason: 'weather' } })).status).toBe(200);
      return campaignId;
    };
    const mine = await launch('taobao', { fundId: await h.fund({ allocations: { [COUNTY]: 1_000_000 } }), amount: 50_000 });
    const theirs = await launch('tmall', { fundId: await fundPaidBy(OTHER_FINANCE), amount: 40_000 });
    const unfunded = await launch('livestream');

    const TYPES = ['campaign.cancelled', 'campaign.launched', 'campaign.subsidy_released'];
    /** The campaign's events a caller is listed: by type, or all of them. */
    const eventsOf = async (caller: Call, campaignId: string, type?: string) =>
      (await allPages(caller, { ...(type ? { type } : {}), limit: '100' })).items.filter(
        (e) => (e as unknown as { data: { campaignId?: string } }).data.campaignId === campaignId,
      );
    for (const [campaignId, payer, stranger] of [
      [mine, asFinance, otherFinance],
      [theirs, otherFinance, asFinance],
    ] as const) {
      const everything = await eventsOf(admin, campaignId);
      expect(everything.map((e) => e.type).sort()).toEqual(TYPES);
      expect((await eventsOf(payer, campaignId)).map((e) => e.messageId).sort()).toEqual(everything.map((e) => e.messageId).sort());
      expect(await eventsOf(stranger, campaignId)).toEqual([]);
      for (const event of everything) {
        expect(
          (await eventsOf(payer, campaignId, event.type)).map((e) => e.messageId),
          event.type,
        ).toEqual([event.messageId]);
        expect(await eventsOf(stranger, campaignId, event.type), event.type).toEqual([]);
        expect((await h.call('GET', `/v1/events/${event.messageId}`, payer)).status, event.type).toBe(200);
        const refused = await h.call('GET', `/v1/events/${event.messageId}`, stranger);
        expect([refused.status, refused.body.code], event.type).toEqual([404, 'not_found']);
      }
    }
    // A campaign without a subsidy concerns no fund: no finance system's.
    const unfundedEvents = await eventsOf(admin, unfunded);
    expect(unfundedEvents.map((e) => e.type).sort()).toEqual(['campaign.cancelled', 'campaign.launched']);
    for (const caller of [asFinance, otherFinance]) {
      expect(await eventsOf(caller, unfunded)).toEqual([]);
      for (const event of unfundedEvents) expect((await h.call('GET', `/v1/events/${event.messageId}`, caller)).status).toBe(404);
    }
  });

  it('pages newest first with cursors (after bounds the listing); a forged or foreign cursor is a 400', async () => {
    await removeAllEndpoints();
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const after = new Date(Date.now() - 1).toISOString();
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await approved(fundId, 1_000 + i, beneficiaryNo(i))).messageId);

    for (const caller of [admin, asFinance]) {
      const { items, pages } = await allPages(caller, { type: 'payout.requested', after, limit: '3' });
      const ids = items.map((e) => e.messageId);
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort().reverse()).toEqual(ids);
      expect(ids).toEqual([...created].reverse());
    }
    const everything = await allPages(admin, { after, limit: '4' });
    // Every event's data has the shape the OpenAPI document gives its type.
    for (const event of everything.items) LoggedEvent.parse(event);
    const ids = everything.items.map((e) => e.messageId);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(everything.items.filter((e) => e.type === 'disbursement.approved')).toHaveLength(7);
    expect(ids).toEqual(expect.arrayContaining(created));

    // Nothing after now.
    const none = await h.call('GET', '/v1/events', { ...admin, query: { after: new Date(Date.now() + 60_000).toISOString() } });
    expect(none.body).toEqual({ items: [], nextCursor: null });

    const first = await h.call('GET', '/v1/events', { ...admin, query: { type: 'payout.requested', after, limit: '3' } });
    const cursor = first.body.nextCursor as string;
    const forged = await h.call('GET', '/v1/events', {
      ...admin,
      query: { type: 'payout.requested', after, limit: '3', cursor: `${cursor.slice(0, -2)}xx` },
    });
    expect(forged.status).toBe(400);
    const foreign = await h.call('GET', '/v1/events', { ...asFinance, query: { type: 'payout.requested', after, limit: '3', cursor } });
    expect(foreign.status).toBe(400);
    const otherQuery = await h.call('GET', '/v1/events', { ...admin, query: { type: 'payout.settled', after, limit: '3', cursor } });
    expect(otherQuery.status).toBe(400);
  });

  it('takes in the events written before it existed (backfill in place, run twice: no change)', async () => {
    const { backfillEventLog } = await import('#shared/data/event-log/backfill');
    const { documents } = await import('#shared/data/platform/clients');
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { packEventData } = await import('#shared/data/platform/event-body');
    const { newId } = await import('#shared/ids');
    const p = await approved(await h.fund({ allocations: { [COUNTY]: 1_000_000 } }));
    const payout = await h.data.payouts.getPayout(p.payoutId);
    const at = new Date();
    const old = (eventType: string, status: string) => {
      const messageId = newId('message', at.getTime());
      return {
        messageId,
        item: {
          ...keys.event(messageId),
          type: 'event',
          messageId,
          eventType,
          subject: p.payoutId,
          timestamp: at.toISOString(),
          // As the event was written then: the payout as responses show it, never its storage fields.
          data: packEventData(h.data.payouts.publicPayout(payout)),
          status,
          finishedAt: at.toISOString(),
        },
      };
    };
    const settledBefore = old('payout.settled', 'delivered');
    const failedInstruction = old('payout.requested', 'failed');
    for (const e of [settledBefore, failedInstruction])
      await documents.send(new PutCommand({ TableName: h.services.tableName, Item: e.item }));
    const listed = async (caller: Call) =>
      (await allPages(caller, { after: new Date(at.getTime() - 1).toISOString(), limit: '100' })).items.map((e) => e.messageId);
    expect(await listed(admin)).not.toContain(settledBefore.messageId);

    const first = await backfillEventLog();
    expect(first.updated).toBeGreaterThanOrEqual(2);
    expect(await listed(admin)).toEqual(expect.arrayContaining([settledBefore.messageId, failedInstruction.messageId]));
    expect(await listed(asFinance)).toContain(settledBefore.messageId);
    expect(await listed(otherFinance)).not.toContain(settledBefore.messageId);
    expect((await getItem(keys.event(settledBefore.messageId)))!.expiresAt).toBe(Math.floor(at.getTime() / 1000) + 30 * 24 * 3600);
    expect((await getItem(keys.event(failedInstruction.messageId)))!.expiresAt).toBeUndefined();
    expect(await backfillEventLog()).toMatchObject({ updated: 0 });
  });

  it("gives a subsidised campaign's events listed without a paying system their fund's (backfill, run twice: no change)", async () => {
    const { backfillEventLog } = await import('#shared/data/event-log/backfill');
    const { eventListKeys } = await import('#shared/data/platform/events');
    const { documents } = await import('#shared/data/platform/clients');
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { packEventData } = await import('#shared/data/platform/event-body');
    const { newId } = await import('#shared/ids');
    const launched = await h.call('POST', '/v1/campaigns', {
      sub: 'ops',
      roles: ['campaign-operator'],
      body: {
        countyCode: COUNTY,
        title: 'Honey week',
        channel: 'rural-taobao',
        startsAt: new Date(Date.now() + 60_000).toISOString(),
        endsAt: new Date(Date.now() + 86_400_000).toISOString(),
        products: [{ sku: 'honey-1', name: 'Honey', unitPrice: 5_000, promoPrice: 4_000 }],
        subsidy: { fundId: await h.fund({ allocations: { [COUNTY]: 1_000_000 } }), amount: 10_000 },
      },
    });
    expect(launched.status).toBe(201);
    const campaignId = launched.body.campaignId as string;
    // As the release was written before its events carried a paying system: listed, but by type only.
    const at = new Date();
    const messageId = newId('message', at.getTime());
    const data = { campaignId, countyCode: COUNTY, reason: 'claim_period_ended', releasedAmount: 10_000, subsidy: launched.body.subsidy };
    await documents.send(
      new PutCommand({
        TableName: h.services.tableName,
        Item: {
          ...keys.event(messageId),
          type: 'event',
          messageId,
          eventType: 'campaign.subsidy_released',
          subject: campaignId,
          timestamp: at.toISOString(),
          data: packEventData(data),
          status: 'delivered',
          finishedAt: at.toISOString(),
          ...eventListKeys(messageId, 'campaign.subsidy_released'),
        },
      }),
    );
    const listed = async (caller: Call) =>
      (await allPages(caller, { after: new Date(at.getTime() - 1).toISOString(), limit: '100' })).items.map((e) => e.messageId);
    expect(await listed(admin)).toContain(messageId);
    expect(await listed(asFinance)).not.toContain(messageId);

    expect((await backfillEventLog()).updated).toBeGreaterThanOrEqual(1);
    expect(await listed(asFinance)).toContain(messageId);
    expect((await allPages(asFinance, { type: 'campaign.subsidy_released', limit: '100' })).items.map((e) => e.messageId)).toContain(
      messageId,
    );
    expect((await h.call('GET', `/v1/events/${messageId}`, asFinance)).status).toBe(200);
    expect(await listed(otherFinance)).not.toContain(messageId);
    expect((await h.call('GET', `/v1/events/${messageId}`, otherFinance)).status).toBe(404);
    expect(await backfillEventLog()).toMatchObject({ updated: 0 });
  });

  it("types the public notice's events as the OpenAPI document says", async () => {
    const notices = await noticesContext();
    const created = await h.data.funds.createFund(
      {
        name: 'Notice fund',
        financeSystem: FINANCE_SYSTEM,
        noticePeriod: 'P1D',
        totalBudget: 1_000_000_000_00,
        dualApprovalThreshold: 100_000_000,
      },
      ACTOR,
      new Date(),
    );
    await h.data.funds.setAllocation(created.fundId, COUNTY, 10_000_000, ACTOR, new Date());
    const d = await h.call('POST', '/v1/disbursements', {
      ...asRequester(),
      idempotencyKey: `n-${Math.random()}`,
      body: disbursementBody(created.fundId, 5_000),
    });
    const inNotice = await h.call('POST', `/v1/disbursements/${d.body.disbursementId}/approve`, { ...asApprover('checker-1'), body: {} });
    expect(inNotice.body.status).toBe('in_notice');
    const noticeId = inNotice.body.notice.noticeId as string;
    const itemRef = (await notices.getPublicNotice(noticeId)).items[0]!.itemRef;
    await notices.fileObjection(
      noticeId,
      { itemRef, reason: 'This cooperative was paid twice last year', contact: '13812345678' },
      new Date(),
    );
    expect(await notices.endNotice(noticeId, new Date(Date.now() + 2 * 86_400_000))).toBe(true);
    for (const type of ['notice.opened', 'notice.closed', 'objection.received']) {
      const page = await h.call('GET', '/v1/events', { ...admin, query: { type, limit: '100' } });
      const mine = page.body.items.filter((e: { data: { noticeId: string } }) => e.data.noticeId === noticeId);
      expect(mine, type).toHaveLength(1);
      LoggedEvent.parse(mine[0]);
      expect(JSON.stringify(mine[0])).not.toContain('13812345678');
    }
  });
});
