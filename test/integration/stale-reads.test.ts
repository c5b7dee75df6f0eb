/**
 * Reads that may lag. An approval and a settlement read what they decide on eventually consistent on their first
 * attempt (half the read units: shared/data/platform/transactions.ts `retryReadingLightly`), and so does a writer's
 * first look at the allocation's turn. DynamoDB Local never lags, so this file makes it: every eventually consistent
 * read of a chosen item answers with an older copy of it (or with nothing, as a replica that has not seen the item's
 * creation does). Whatever the copy says, the answer and the books are the ones a consistent read gives.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { asApprover, asFinance, COUNTY, disbursementBody, useMoneyHarness, asRequester } from './disbursement-harness.ts';

const h = useMoneyHarness();
/** An item as the handlers' document client reads it (this middleware sits outside its marshalling). */
type Item = Record<string, unknown>;

/** What an eventually consistent read of a key (`pk\0sk`) answers while it lags: an older copy, or nothing. */
const lagging = new Map<string, Item | undefined>();
/** The keys eventually consistent reads asked for while lagging copies were served. */
const servedStale: string[] = [];
const keyOf = (key: Item) => `${String(key.pk)}\u0000${String(key.sk)}`;
let dynamo: typeof import('#shared/data/platform/clients').dynamo;
let documents: typeof import('#shared/data/platform/clients').documents;

beforeAll(async () => {
  ({ dynamo, documents } = await import('#shared/data/platform/clients'));
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: Item; ConsistentRead?: boolean };
      if (context.commandName !== 'GetItemCommand' || input.ConsistentRead === true || !input.Key) return next(args);
      const key = keyOf(input.Key);
      if (!lagging.has(key)) return next(args);
      servedStale.push(key);
      const Item = lagging.get(key);
      return { output: { $metadata: {}, ...(Item ? { Item } : {}) }, response: {} };
    },
    { step: 'initialize', priority: 'low', name: 'testLaggingReplica' },
  );
});

afterEach(() => {
  lagging.clear();
  servedStale.length = 0;
});

/** The item at `key` as it is now, to be served later as the lagging copy. */
async function copyOf(pk: string, sk: string): Promise<Item | undefined> {
  const { Item } = await documents.send(new GetCommand({ TableName: h.services.tableName, Key: { pk, sk }, ConsistentRead: true }));
  return Item;
}

const lag = (pk: string, sk: string, copy: Item | undefined) => lagging.set(`${pk}\u0000${sk}`, copy);
const asAdmin = { sub: 'admin-2', roles: ['fund-admin'] };
const asAuditor = { sub: 'aud', roles: ['auditor'] };

describe('an approval decided on a copy that lags', () => {
  it('that has not seen the disbursement yet: approved, not 404', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const created = await h.call('POST', '/v1/disbursements', { ...asRequester(), body: disbursementBody(fundId, 120_000) });
    expect(created.status).toBe(201);
    const id = created.body.disbursementId as string;
    lag(`DSB#${id}`, 'DSB', undefined);
    const approved = await h.call('POST', `/v1/disbursements/${id}/approve`, { ...asApprover('approver-1'), body: {} });
    expect([approved.status, approved.body.status]).toEqual([200, 'approved']);
    expect(servedStale).toContain(`DSB#${id}\u0000DSB`);
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: 120_000, available: 9_880_000 });
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it('that still shows a high flag a fund-admin has cleared: approved, not 409 flagged', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const rules = await h.call('PUT', `/v1/funds/${fundId}/warning-rules`, {
      ...asAdmin,
      body: { rules: [{ code: 'large_amount', severity: 'high', params: { minAmount: 100_000 } }] },
    });
    expect(rules.status).toBe(200);
    const created = await h.call('POST', '/v1/disbursements', { ...asRequester(), body: disbursementBody(fundId, 150_000) });
    const id = created.body.disbursementId as string;
    expect(created.body.flags).toMatchObject([{ code: 'large_amount', severity: 'high', clearedBy: null }]);
    const flagged = await copyOf(`DSB#${id}`, 'DSB');
    const cleared = await h.call('POST', `/v1/disbursements/${id}/clear-flags`, {
      ...asAdmin,
      body: { reason: 'Checked with the county' },
    });
    expect(cleared.status).toBe(200);
    lag(`DSB#${id}`, 'DSB', flagged);
    const approved = await h.call('POST', `/v1/disbursements/${id}/approve`, { ...asApprover('approver-1'), body: {} });
    expect([approved.status, approved.body.status]).toEqual([200, 'approved']);
    expect(servedStale).toContain(`DSB#${id}\u0000DSB`);
  });

  it('that shows a flag still standing when it does: 409 flagged, as a consistent read decides', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    await h.call('PUT', `/v1/funds/${fundId}/warning-rules`, {
      ...asAdmin,
      body: { rules: [{ code: 'large_amount', severity: 'high', params: { minAmount: 100_000 } }] },
    });
    const created = await h.call('POST', '/v1/disbursements', { ...asRequester(), body: disbursementBody(fundId, 150_000) });
    const id = created.body.disbursementId as string;
    lag(`DSB#${id}`, 'DSB', await copyOf(`DSB#${id}`, 'DSB'));
    const refused = await h.call('POST', `/v1/disbursements/${id}/approve`, { ...asApprover('approver-1'), body: {} });
    expect([refused.status, refused.body.code]).toEqual([409, 'flagged']);
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: 0 });
  });
});

describe('a settlement decided on a copy that lags', () => {
  it('a repeated report read on a copy from before the first: no second payment, the same payout back', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const { disbursementId, payoutId } = await h.approvedPayout(fundId, 300_000);
    const before = await copyOf(`PAY#${payoutId}`, 'PAY');
    const first = await h.settle(payoutId, { outcome: 'succeeded', bankReference: 'LAG-0001' });
    expect([first.status, first.body.status]).toEqual([200, 'settled']);
    lag(`PAY#${payoutId}`, 'PAY', before);
    const again = await h.settle(payoutId, { outcome: 'succeeded', bankReference: 'LAG-0001' });
    expect([again.status, again.body.status, again.body.settledAt]).toEqual([200, 'settled', first.body.settledAt]);
    const contradicting = await h.settle(payoutId, { outcome: 'failed', failureCode: 'account_closed' });
    expect([contradicting.status, contradicting.body.code]).toEqual([409, 'invalid_state']);
    expect(servedStale.filter((k) => k === `PAY#${payoutId}\u0000PAY`).length).toBeGreaterThanOrEqual(2);
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: 0, paid: 300_000, available: 9_700_000 });
    const ledger = await h.call('GET', `/v1/funds/${fundId}/ledger?countyCode=${COUNTY}`, asAuditor);
    const paid = (ledger.body.items as { kind: string; ref: { payoutId?: string } }[]).filter((e) => e.kind === 'paid');
    expect(paid.map((e) => e.ref.payoutId)).toEqual([payoutId]);
    const d = await h.call('GET', `/v1/disbursements/${disbursementId}`, asAuditor);
    expect(d.body.status).toBe('paid');
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it('a repeated report answered from a copy that lags is answered from the payout as it is (its correction linked)', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const { disbursementId, payoutId } = await h.approvedPayout(fundId, 40_000);
    const failed = await h.settle(payoutId, { outcome: 'failed', failureCode: 'account_closed' });
    expect([failed.status, failed.body.correctedBy]).toEqual([200, null]);
    const beforeCorrection = await copyOf(`PAY#${payoutId}`, 'PAY');
    const correction = await h.call('POST', `/v1/disbursements/${disbursementId}/corrections`, {
      ...asRequester(),
      body: { beneficiary: h.nextBeneficiary(), reason: 'the new account' },
    });
    expect(correction.status, JSON.stringify(correction.body)).toBe(201);
    lag(`PAY#${payoutId}`, 'PAY', beforeCorrection);
    const again = await h.settle(payoutId, { outcome: 'failed', failureCode: 'account_closed' });
    expect([again.status, again.body.status]).toEqual([200, 'failed']);
    expect(again.body.correctedBy).toEqual(expect.any(String));
    expect(servedStale).toContain(`PAY#${payoutId}\u0000PAY`);
  });

  it("the account's paid record and the bank reference read on a copy that lags: both settlements counted", async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const account = disbursementBody(fundId, 1).beneficiary;
    const one = await h.approvedPayout(fundId, 10_000, { overrides: { beneficiary: account } });
    // The second payment to the same account waits for a clearance of its duplicate flag first.
    const created = await h.call('POST', '/v1/disbursements', {
      ...asRequester(),
      body: disbursementBody(fundId, 20_000, { beneficiary: account }),
    });
    const twoId = created.body.disbursementId as string;
    if ((created.body.flags as unknown[]).length > 0) {
      const cleared = await h.call('POST', `/v1/disbursements/${twoId}/clear-flags`, { ...asAdmin, body: { reason: 'Two harvests' } });
      expect(cleared.status).toBe(200);
    }
    const approved = await h.call('POST', `/v1/disbursements/${twoId}/approve`, { ...asApprover('approver-1'), body: {} });
    expect(approved.status).toBe(200);
    const twoPayout = approved.body.payoutId as string;
    expect((await h.settle(one.payoutId, { outcome: 'succeeded', bankReference: 'BULK-7' })).status).toBe(200);
    // A replica that has seen neither the first settlement's paid record nor its bank reference.
    const staleKeys = (await h.services.scanTable()).filter(
      (i) => (i.type === 'beneficiary-paid' && String(i.pk).includes(fundId)) || String(i.pk) === `BANKREF#${asFinance.sub}#BULK-7`,
    );
    expect(staleKeys.length).toBe(2);
    for (const item of staleKeys) lag(String(item.pk), String(item.sk), undefined);
    const second = await h.settle(twoPayout, { outcome: 'succeeded', bankReference: 'BULK-7' });
    expect([second.status, second.body.status]).toEqual([200, 'settled']);
    expect(servedStale.length).toBeGreaterThanOrEqual(2);
    const now = await h.services.scanTable();
    const record = now.find((i) => i.type === 'beneficiary-paid' && i.pk === staleKeys.find((k) => k.type === 'beneficiary-paid')?.pk);
    expect((record?.settlements as { payoutId: string }[]).map((s) => s.payoutId).sort()).toEqual([one.payoutId, twoPayout].sort());
    expect(now.find((i) => i.pk === `BANKREF#${asFinance.sub}#BULK-7` && i.sk === 'REF')).toMatchObject({ uses: 2 });
    expect((await h.checkLedger()).differences).toEqual([]);
  });
});
