/**
 * API 1.1's money rules, one focused test per reproduced leak (issue "Money cannot leak", items 1–5 and
 * the ledger), against DynamoDB Local and real HTTP receivers: only the fund's paying finance system is
 * instructed (with the full account) and only its acknowledgement makes a payout `sent`; losing its
 * endpoints makes the payout `delivery_failed`; nothing is POSTed for a closed payout; only it settles
 * or sees the payouts; subsidies end; the fund ledger replays to every allocation. The ledger check is
 * clean after each test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver, type ReceivedRequest } from '#test/support/receiver';
import {
  asApprover,
  asFinance,
  asRequester,
  COUNTY,
  beneficiaryNo,
  disbursementBody,
  FINANCE_SYSTEM,
  useMoneyHarness,
  type Call,
} from './disbursement-harness.ts';
import { batchBody } from './batch-harness.ts';
import { batchesContext } from '../support/contexts.ts';

// Retries at once, two of them; a subsidy's claim period of one second.
const h = useMoneyHarness({ env: { WEBHOOK_RETRY_SCHEDULE: '0,0', SUBSIDY_CLAIM_PERIOD: 'PT1S' } });
let processDeliveryJob: typeof import('#shared/webhooks/delivery').processDeliveryJob;
let endpoints: typeof import('#shared/data/webhook-endpoints/items');
let subsidies: typeof import('#shared/data/campaigns/subsidies');
const receivers: Receiver[] = [];
const admin: Call = { sub: 'admin-1', roles: ['fund-admin'] };
const otherFinance: Call = { sub: 'other-finance', roles: ['finance-system'] };
const ACTOR = { sub: 'admin-1' };

beforeAll(async () => {
  ({ processDeliveryJob } = await import('#shared/webhooks/delivery'));
  endpoints = await import('#shared/data/webhook-endpoints/items');
  subsidies = await import('#shared/data/campaigns/subsidies');
});

afterAll(async () => {
  for (const e of await endpoints.listEndpoints({ limit: 100 }).then((p) => p.items))
    await endpoints.deleteEndpoint(e.endpointId, ACTOR, new Date());
  await Promise.all(receivers.map((r) => r.stop()));
});

/** A receiver and its endpoint; `financeSystem` makes it the paying system's. */
async function endpoint(options: { financeSystem?: string; status?: (n: number) => number; events?: ('payout.requested' | '*')[] }) {
  const receiver = await startReceiver({ respond: (_req, n) => ({ status: options.status?.(n) ?? 200 }) });
  receivers.push(receiver);
  const created = await endpoints.createEndpoint(
    {
      url: `${receiver.url}/hooks`,
      events: options.events ?? ['payout.requested'],
      ...(options.financeSystem ? { financeSystem: options.financeSystem } : {}),
    },
    ACTOR,
    new Date(),
  );
  return { receiver, endpointId: created.endpointId };
}

async function removeAllEndpoints() {
  for (const e of (await endpoints.listEndpoints({ limit: 100 })).items) await endpoints.deleteEndpoint(e.endpointId, ACTOR, new Date());
  await h.services.drainQueue(h.services.queueUrls.delivery);
}

/** Each disbursement pays its own account, so duplicate screening flags none of them. */
let accounts = 0;

/** An approved disbursement: its fund, its payout and the payout.requested message. */
async function approved(
  amount = 10_000,
  fundId?: string,
): Promise<{ fundId: string; payoutId: string; messageId: string; disbursementId: string }> {
  const fund = fundId ?? (await h.fund({ allocations: { [COUNTY]: 1_000_000 } }));
  return { fundId: fund, ...(await h.approvedPayout(fund, amount, { approver: 'checker-1', ownAccount: true })) };
}

const status = async (payoutId: string) => (await h.data.payouts.getPayout(payoutId)).status;
const instructionsFor = (receiver: Receiver, messageId: string) => receiver.requests.filter((r) => r.headers['webhook-id'] === messageId);
const accountIn = (request: ReceivedRequest) =>
  (request.json as { data: { beneficiary: { account: { accountNumber: string } } } }).data.beneficiary.account.accountNumber;

async function expectBooksBalance() {
  const { differences } = await h.checkLedger();
  expect(differences).toEqual([]);
}

describe('only the paying finance system is instructed, and only its acknowledgement makes a payout sent', () => {
  it('item 1: its endpoint answers 410 while an observer answers 200 → delivery_failed, not sent; redelivered to a new endpoint → sent', async () => {
    await removeAllEndpoints();
    const finance = await endpoint({ financeSystem: FINANCE_SYSTEM, status: () => 410 });
    const observer = await endpoint({ events: ['*'] });
    const p = await approved();

    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('failed');
    expect(await status(p.payoutId)).toBe('delivery_failed');
    expect(instructionsFor(observer.receiver, p.messageId)).toHaveLength(1);
    expect(instructionsFor(finance.receiver, p.messageId)).toHaveLength(1);
    expect((await endpoints.getEndpoint(finance.endpointId)).status).toBe('disabled');
    await expectBooksBalance();

    // The finance system comes back with a new endpoint: the same message is delivered and acknowledged.
    const again = await endpoint({ financeSystem: FINANCE_SYSTEM });
    expect((await h.call('POST', `/v1/payouts/${p.payoutId}/redeliver`, admin)).status).toBe(202);
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('delivered');
    expect(await status(p.payoutId)).toBe('sent');
    expect(instructionsFor(again.receiver, p.messageId)).toHaveLength(1);
    // The observer had acknowledged already: it is not told twice.
    expect(instructionsFor(observer.receiver, p.messageId)).toHaveLength(1);
    await expectBooksBalance();
  });

  it("item 1: its last endpoint deleted after a failed attempt → delivery_failed at once (the observer's 200 does not count)", async () => {
    await removeAllEndpoints();
    const finance = await endpoint({ financeSystem: FINANCE_SYSTEM, status: () => 500 });
    await endpoint({ events: ['*'] });
    const p = await approved();
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('retry-scheduled');
    expect(await status(p.payoutId)).toBe('queued');

    await h.services.drainQueue(h.services.queueUrls.delivery);
    expect((await h.call('DELETE', `/v1/webhook-endpoints/${finance.endpointId}`, admin)).status).toBe(204);
    // The deletion queued a review of the pending instructions; run what it queued.
    const jobs = await h.services.drainQueue(h.services.queueUrls.delivery);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) await processDeliveryJob(JSON.parse(job.Body!));
    expect(await status(p.payoutId)).toBe('delivery_failed');
    await expectBooksBalance();
  });

  it('an observer acknowledging while the paying endpoint fails leaves the payout queued; the paying acknowledgement sends it', async () => {
    await removeAllEndpoints();
    const finance = await endpoint({ financeSystem: FINANCE_SYSTEM, status: (n) => (n === 1 ? 500 : 200) });
    const observer = await endpoint({ events: ['*'] });
    const p = await approved();
    await processDeliveryJob({ kind: 'event', messageId: p.messageId });
    expect(await status(p.payoutId)).toBe('queued');
    expect(instructionsFor(observer.receiver, p.messageId)).toHaveLength(1);
    await processDeliveryJob({ kind: 'event', messageId: p.messageId });
    expect(await status(p.payoutId)).toBe('sent');
    expect(instructionsFor(finance.receiver, p.messageId)).toHaveLength(2);
  });

  it('with no endpoint of the paying system, the instruction waits even when an observer acknowledged', async () => {
    await removeAllEndpoints();
    const observer = await endpoint({ events: ['*'] });
    // An endpoint of another finance system is an observer too.
    const stranger = await endpoint({ financeSystem: 'other-finance' });
    const p = await approved();
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('waiting-for-subscriber');
    expect(await status(p.payoutId)).toBe('queued');
    expect(accountIn(instructionsFor(stranger.receiver, p.messageId)[0]!)).toMatch(/^\*+\d{4}$/);

    const finance = await endpoint({ financeSystem: FINANCE_SYSTEM });
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('delivered');
    expect(await status(p.payoutId)).toBe('sent');
    expect(instructionsFor(observer.receiver, p.messageId)).toHaveLength(1);
    expect(instructionsFor(finance.receiver, p.messageId)).toHaveLength(1);
  });

  it('item 5: observers get the instruction with the account masked; only the paying system gets it in full', async () => {
    await removeAllEndpoints();
    const finance = await endpoint({ financeSystem: FINANCE_SYSTEM });
    const observer = await endpoint({ events: ['*'] });
    const p = await approved();
    await processDeliveryJob({ kind: 'event', messageId: p.messageId });
    const full = (await h.data.payouts.getPayout(p.payoutId)).beneficiary.account.accountNumber;
    expect(accountIn(instructionsFor(finance.receiver, p.messageId)[0]!)).toBe(full);
    const masked = accountIn(instructionsFor(observer.receiver, p.messageId)[0]!);
    expect(masked).toBe(`****${full.slice(-4)}`);
    expect(observer.receiver.requests.some((r) => r.body.includes(full))).toBe(false);
  });
});

describe('no instruction for a closed payout', () => {
  it('item 3: settled failed from queued, a later delivery job POSTs nothing (and the reservation is released once)', async () => {
    await removeAllEndpoints();
    const finance = await endpoint({ financeSystem: FINANCE_SYSTEM });
    const p = await approved(12_345);
    const settled = await h.call('POST', `/v1/payouts/${p.payoutId}/settlement`, {
      ...asFinance,
      body: { outcome: 'failed', failureReason: 'account closed' },
    });
    expect(settled.status).toBe(200);
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('already-finished');
    expect(instructionsFor(finance.receiver, p.messageId)).toHaveLength(0);
    expect(await h.data.funds.findAllocation(p.fundId, COUNTY)).toMatchObject({ reserved: 0, paid: 0, available: 1_000_000 });
    await expectBooksBalance();
  });

  it('item 3: settled succeeded while retries were pending, the pending retry POSTs nothing', async () => {
    await removeAllEndpoints();
    const finance = await endpoint({ financeSystem: FINANCE_SYSTEM, status: () => 503 });
    const p = await approved(500);
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('retry-scheduled');
    const settled = await h.call('POST', `/v1/payouts/${p.payoutId}/settlement`, {
      ...asFinance,
      body: { outcome: 'succeeded', bankReference: 'BR-1' },
    });
    expect(settled.body.status).toBe('settled');
    expect(await processDeliveryJob({ kind: 'event', messageId: p.messageId })).toBe('already-finished');
    expect(instructionsFor(finance.receiver, p.messageId)).toHaveLength(1);
    await expectBooksBalance();
  });
});

describe('only the paying finance system settles or sees its payouts', () => {
  it("item 4: another finance system's token gets 404 for the payout, its settlement, and the fund's ledger, and never lists it", async () => {
    await removeAllEndpoints();
    const p = await approved(777);
    const path = `/v1/payouts/${p.payoutId}`;
    expect((await h.call('GET', path, otherFinance)).status).toBe(404);
    const forged = await h.call('POST', `${path}/settlement`, { ...otherFinance, body: { outcome: 'succeeded', bankReference: 'FAKE' } });
    expect([forged.status, forged.body.code]).toEqual([404, 'not_found']);
    expect(await status(p.payoutId)).toBe('queued');
    const listed = await h.call('GET', '/v1/payouts', { ...otherFinance, query: { status: 'queued', limit: '100' } });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((x: { payoutId: string }) => x.payoutId)).not.toContain(p.payoutId);
    expect((await h.call('GET', `/v1/funds/${p.fundId}/ledger`, otherFinance)).status).toBe(404);

    // The paying system sees, lists and settles it.
    expect((await h.call('GET', path, asFinance)).status).toBe(200);
    expect(
      (await h.call('POST', `${path}/settlement`, { ...asFinance, body: { outcome: 'succeeded', bankReference: 'BR-777' } })).status,
    ).toBe(200);
    await expectBooksBalance();
  });
});

describe('a finance system reads only the disbursements and batches of the funds it pays', () => {
  /** A fund another finance system pays, with an allocation. */
  async function fundPaidBy(financeSystem: string): Promise<string> {
    const created = await h.data.funds.createFund(
      { name: 'Relief fund', financeSystem, noticePeriod: 'P0D', totalBudget: 1_000_000_000_00, dualApprovalThreshold: 100_000_000 },
      ACTOR,
      new Date(),
    );
    await h.data.funds.setAllocation(created.fundId, COUNTY, 10_000_000, ACTOR, new Date());
    return created.fundId;
  }

  /** Every id a caller is listed, following nextCursor. */
  async function listedIds(caller: Call, path: string, id: string, query: Record<string, string>): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await h.call('GET', path, { ...caller, query: { ...query, limit: '100', ...(cursor ? { cursor } : {}) } });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      ids.push(...page.body.items.map((x: Record<string, string>) => x[id]));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    return ids;
  }

  it("another finance system's token gets 404 not_found for a disbursement it does not pay and never lists it; the paying system does both", async () => {
    await removeAllEndpoints();
    const mine = await approved(2_500);
    const theirs = await approved(3_500, await fundPaidBy('other-finance'));
    const pending = await h.call('POST', '/v1/disbursements', {
      ...asRequester(),
      body: disbursementBody(mine.fundId, 4_500, { beneficiary: beneficiaryNo(accounts++) }),
    });
    expect(pending.status).toBe(201);

    for (const id of [mine.disbursementId, pending.body.disbursementId as string]) {
      const refused = await h.call('GET', `/v1/disbursements/${id}`, otherFinance);
      expect([refused.status, refused.body.code]).toEqual([404, 'not_found']);
      expect((await h.call('GET', `/v1/disbursements/${id}`, asFinance)).status).toBe(200);
    }
    expect((await h.call('GET', `/v1/disbursements/${theirs.disbursementId}`, otherFinance)).status).toBe(200);
    expect((await h.call('GET', `/v1/disbursements/${theirs.disbursementId}`, asFinance)).status).toBe(404);

    // Every listing: all, by status (approved, pending), by county, by fund.
    const queries: Record<string, string>[] = [
      {},
      { status: 'approved' },
      { status: 'pending_approval' },
      { countyCode: COUNTY },
      { fundId: mine.fundId },
      { countyCode: COUNTY, status: 'approved' },
    ];
    for (const query of queries) {
      const theirsListed = await listedIds(otherFinance, '/v1/disbursements', 'disbursementId', query);
      const mineListed = await listedIds(asFinance, '/v1/disbursements', 'disbursementId', query);
      const everyone = await listedIds(admin, '/v1/disbursements', 'disbursementId', query);
      expect(theirsListed, JSON.stringify(query)).not.toContain(mine.disbursementId);
      expect(theirsListed, JSON.stringify(query)).not.toContain(pending.body.disbursementId);
      expect(mineListed, JSON.stringify(query)).not.toContain(theirs.disbursementId);
      // What each sees is exactly its share of what the fund-admin sees.
      expect([...theirsListed, ...mineListed].sort(), JSON.stringify(query)).toEqual([...everyone].sort());
      if (query.fundId === undefined && query.status !== 'pending_approval')
        expect(theirsListed, JSON.stringify(query)).toContain(theirs.disbursementId);
    }
    expect(await listedIds(asFinance, '/v1/disbursements', 'disbursementId', { status: 'approved' })).toContain(mine.disbursementId);
    expect(await listedIds(asFinance, '/v1/disbursements', 'disbursementId', { status: 'pending_approval' })).toContain(
      pending.body.disbursementId,
    );
    expect(await listedIds(otherFinance, '/v1/disbursements', 'disbursementId', { fundId: mine.fundId })).toEqual([]);
  });

  it("another finance system's token gets 404 not_found for a batch it does not pay, its payouts and its flags; the paying system reads them", async () => {
    await removeAllEndpoints();
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const created = await h.call('POST', '/v1/disbursement-batches', { ...asRequester(), body: batchBody(fundId, [100, 200, 300]) });
    expect(created.status).toBe(201);
    const batchId = created.body.batchId as string;
    expect((await h.call('POST', `/v1/disbursement-batches/${batchId}/approve`, { ...asApprover('checker-1'), body: {} })).status).toBe(
      200,
    );
    const { expandBatch } = await batchesContext();
    expect((await expandBatch(batchId)).outcome).toBe('expanded');

    for (const path of [
      `/v1/disbursement-batches/${batchId}`,
      `/v1/disbursement-batches/${batchId}/payouts`,
      `/v1/disbursement-batches/${batchId}/flags`,
    ]) {
      const refused = await h.call('GET', path, otherFinance);
      expect([refused.status, refused.body.code], path).toEqual([404, 'not_found']);
      expect(JSON.stringify(refused.body), path).not.toContain(fundId);
      expect((await h.call('GET', path, asFinance)).status, path).toBe(200);
    }
    expect(await listedIds(asFinance, `/v1/disbursement-batches/${batchId}/payouts`, 'payoutId', {})).toHaveLength(3);
    // Its payouts are not in the other system's payout listings either.
    expect(await listedIds(otherFinance, '/v1/payouts', 'payoutId', { batchId })).toEqual([]);
    expect(await listedIds(asFinance, '/v1/payouts', 'payoutId', { batchId })).toHaveLength(3);
  });
});

describe('campaign subsidies are spent or released', () => {
  it('item 2: drawn by a disbursement, given back by its failed payout, and the rest released after endsAt + the claim period', async () => {
    await removeAllEndpoints();
    const fundId = await h.fund({ allocations: { [COUNTY]: 200_000 } });
    const startsAt = new Date();
    const endsAt = new Date(startsAt.getTime() + 2_000);
    const launched = await h.call('POST', '/v1/campaigns', {
      sub: 'ops',
      roles: ['campaign-operator'],
      idempotencyKey: `c-${Math.random()}`,
      body: {
        countyCode: COUNTY,
        title: 'Tea week',
        channel: 'livestream',
        startsAt: startsAt.toISOString(),
        endsAt: endsAt.toISOString(),
        products: [{ sku: 'tea-1', name: 'Tea', unitPrice: 5_000, promoPrice: 4_000 }],
        subsidy: { fundId, amount: 50_000 },
      },
    });
    expect(launched.status).toBe(201);
    const campaignId = launched.body.campaignId as string;
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: 50_000, available: 150_000 });

    // A disbursement draws on the subsidy, not on the allocation's available.
    const body = { ...disbursementBody(fundId, 20_000), campaignId };
    const created = await h.call('POST', '/v1/disbursements', { ...asRequester(), idempotencyKey: `d-${Math.random()}`, body });
    expect(created.status).toBe(201);
    const ok = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, { ...asApprover('checker-1'), body: {} });
    expect(ok.status).toBe(200);
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: 50_000, available: 150_000 });
    const campaign = async () => (await h.call('GET', `/v1/campaigns/${campaignId}`, admin)).body;
    expect((await campaign()).subsidy).toMatchObject({ amount: 50_000, drawn: 20_000, released: 0, status: 'reserved' });
    // More than is left: refused, nothing changes.
    const big = await h.call('POST', '/v1/disbursements', {
      ...asRequester(),
      idempotencyKey: `d-${Math.random()}`,
      body: { ...body, amount: 30_001, beneficiary: beneficiaryNo(accounts++) },
    });
    const refused = await h.call('POST', `/v1/disbursements/${big.body.disbursementId}/approve`, { ...asApprover('checker-1'), body: {} });
    expect([refused.status, refused.body.code]).toEqual([409, 'insufficient_allocation']);

    // Its payout fails: the money goes back to the subsidy while it is reserved.
    const settled = await h.call('POST', `/v1/payouts/${ok.body.payoutId}/settlement`, {
      ...asFinance,
      body: { outcome: 'failed', failureReason: 'closed' },
    });
    expect(settled.status).toBe(200);
    expect((await campaign()).subsidy).toMatchObject({ drawn: 0, released: 0, status: 'reserved' });
    await expectBooksBalance();

    // The claim period ends: the sweep releases the undrawn rest, with its ledger entry and event.
    await new Promise((r) => setTimeout(r, Math.max(0, endsAt.getTime() + 1_100 - Date.now())));
    await subsidies.subsidyReleaseSource.sweep(new Date());
    expect((await campaign()).subsidy).toMatchObject({ amount: 50_000, drawn: 0, released: 50_000, status: 'released' });
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: 0, available: 200_000 });
    const ledger = await h.call('GET', `/v1/funds/${fundId}/ledger`, { ...admin, query: { limit: '100' } });
    expect(ledger.body.items.at(-1)).toMatchObject({ kind: 'released', amount: 50_000, ref: { campaignId } });
    const events = (await h.services.scanTable()).filter(
      (i) => i.type === 'event' && i.eventType === 'campaign.subsidy_released' && i.subject === campaignId,
    );
    expect(events).toHaveLength(1);
    // The release concerns the fund: its paying system reads the event, another finance system does not.
    const releasedEvent = `/v1/events/${String(events[0]!.messageId)}`;
    expect((await h.call('GET', releasedEvent, asFinance)).body).toMatchObject({
      type: 'campaign.subsidy_released',
      data: { campaignId, reason: 'claim_period_ended' },
    });
    expect((await h.call('GET', releasedEvent, otherFinance)).status).toBe(404);
    // A second sweep changes nothing; the allocation can now be lowered to zero.
    await subsidies.subsidyReleaseSource.sweep(new Date());
    expect((await campaign()).subsidy.released).toBe(50_000);
    expect((await h.call('PUT', `/v1/funds/${fundId}/allocations/${COUNTY}`, { ...admin, body: { amount: 0 } })).status).toBe(200);
    await expectBooksBalance();
  });
});

describe('the fund ledger', () => {
  it("lists every balance change oldest first; replaying a county's entries gives its allocation; filters by county and time", async () => {
    await removeAllEndpoints();
    await endpoint({ financeSystem: FINANCE_SYSTEM });
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
    const a = await approved(3_000, fundId);
    const b = await approved(4_000, fundId);
    await h.call('POST', `/v1/payouts/${a.payoutId}/settlement`, { ...asFinance, body: { outcome: 'succeeded', bankReference: 'BR-A' } });
    await h.call('POST', `/v1/payouts/${b.payoutId}/settlement`, { ...asFinance, body: { outcome: 'failed', failureReason: 'closed' } });

    const seen: { kind: string; amount: number; balance: Record<string, number>; at: string; ref: Record<string, string> }[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: typeof seen; nextCursor: string | null } } = await h.call(
        'GET',
        `/v1/funds/${fundId}/ledger`,
        {
          sub: 'aud',
          roles: ['auditor'],
          query: { limit: '2', countyCode: COUNTY, ...(cursor ? { cursor } : {}) },
        },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.map((e) => [e.kind, e.amount])).toEqual([
      ['allocation_set', 100_000],
      ['reserved', 3_000],
      ['reserved', 4_000],
      ['paid', 3_000],
      ['released', 4_000],
    ]);
    expect(seen[3]!.ref).toMatchObject({ payoutId: a.payoutId, disbursementId: a.disbursementId });
    expect(seen.at(-1)!.balance).toEqual({ allocated: 100_000, reserved: 0, paid: 3_000, available: 97_000 });
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject(seen.at(-1)!.balance);
    // The fund's own finance system reads it too; a time range is half-open [from, to).
    const from = seen[1]!.at;
    const ranged = await h.call('GET', `/v1/funds/${fundId}/ledger`, { ...asFinance, query: { from, to: seen[4]!.at, limit: '100' } });
    expect(ranged.status).toBe(200);
    expect(ranged.body.items.every((e: { at: string }) => e.at >= from && e.at < seen[4]!.at)).toBe(true);
    expect((await h.call('GET', `/v1/funds/${fundId}/ledger`, asRequester())).status).toBe(403);
    await expectBooksBalance();
  });
});
