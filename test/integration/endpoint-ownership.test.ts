/**
 * No single person can redirect a payment (API 1.2): a fund-admin cannot bind an endpoint to the
 * finance system that pays a fund. Its endpoints are observers: they get the payment instruction with
 * the account masked, and their 2xx never makes a payout `sent`. The finance system binds its own
 * endpoint with its own token, and the signing secret goes to it alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startReceiver, type Receiver, type ReceivedRequest } from '#test/support/receiver';
import { ACCOUNT_NUMBER, asFinance, COUNTY, FINANCE_SYSTEM, useMoneyHarness, type Call } from './disbursement-harness.ts';

const h = useMoneyHarness({ env: { ALLOW_INSECURE_WEBHOOKS: 'true', WEBHOOK_RETRY_SCHEDULE: '0,0' } });
let processDeliveryJob: typeof import('#shared/webhooks/delivery').processDeliveryJob;
const receivers: Receiver[] = [];
const admin: Call = { sub: 'admin-1', roles: ['fund-admin'] };

beforeAll(async () => {
  ({ processDeliveryJob } = await import('#shared/webhooks/delivery'));
});

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

const accountIn = (request: ReceivedRequest) =>
  (request.json as { data: { beneficiary: { account: { accountNumber: string } } } }).data.beneficiary.account.accountNumber;

describe('endpoint ownership', () => {
  it("a fund-admin's endpoint never receives the full account, and its acknowledgement never makes a payout sent", async () => {
    const planted = await receiver();
    const bind = await h.call('POST', '/v1/webhook-endpoints', {
      ...admin,
      body: { url: `${planted.url}/hook`, events: ['payout.requested'], financeSystem: FINANCE_SYSTEM },
    });
    expect(bind.status).toBe(403);
    expect(bind.body.code).toBe('forbidden');
    const observer = await h.call('POST', '/v1/webhook-endpoints', {
      ...admin,
      body: { url: `${planted.url}/hook`, events: ['payout.requested'] },
    });
    expect(observer.status).toBe(201);
    expect(observer.body.financeSystem).toBeNull();

    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const payout = await h.data.payouts.getPayout((await h.approvedPayout(fundId, 25_000, { approver: 'checker-1' })).payoutId);

    await processDeliveryJob({ kind: 'event', messageId: payout.requestedMessageId });
    const toObserver = planted.requests.filter((r) => r.headers['webhook-id'] === payout.requestedMessageId);
    expect(toObserver).toHaveLength(1);
    expect(accountIn(toObserver[0]!)).not.toBe(ACCOUNT_NUMBER);
    expect(toObserver[0]!.body).not.toContain(ACCOUNT_NUMBER);
    expect((await h.data.payouts.getPayout(payout.payoutId)).status).toBe('queued');

    // The paying finance system binds its own endpoint with its own token; the secret is its alone.
    const finance = await receiver();
    const own = await h.call('POST', '/v1/webhook-endpoints', {
      ...asFinance,
      body: { url: `${finance.url}/hook`, events: ['payout.requested'] },
    });
    expect(own.status).toBe(201);
    expect(own.body.financeSystem).toBe(FINANCE_SYSTEM);
    await processDeliveryJob({ kind: 'event', messageId: payout.requestedMessageId });
    const instruction = finance.requests.find((r) => r.headers['webhook-id'] === payout.requestedMessageId);
    expect(instruction).toBeDefined();
    expect(accountIn(instruction!)).toBe(ACCOUNT_NUMBER);
    expect(() => new Webhook(own.body.secret).verify(instruction!.body, instruction!.headers as Record<string, string>)).not.toThrow();
    expect((await h.data.payouts.getPayout(payout.payoutId)).status).toBe('sent');
    // The observer still never saw the account.
    expect(planted.requests.every((r) => !r.body.includes(ACCOUNT_NUMBER))).toBe(true);
  });
});
