/**
 * Disbursements under maker-checker rules on DynamoDB Local + the SQS emulator, through the handler:
 * creation checks, approvals (single and dual), the final approval's one transaction, rejection and
 * cancellation, races between approvers and between disbursements for one allocation, and arbitrary
 * bodies that must only ever get a 4xx and change nothing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { expectClientProblems } from '#test/support/handler-call';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newId } from '#shared/ids';
import {
  ACCOUNT_NUMBER,
  beneficiaryNo,
  asApprover,
  asFinance,
  asRequester,
  COUNTY,
  disbursementBody,
  useMoneyHarness,
  OTHER_COUNTY,
  UNKNOWN_COUNTY,
} from './disbursement-harness.ts';

const h = useMoneyHarness();

const create = (body: unknown, sub = 'requester-1') => h.call('POST', '/v1/disbursements', { ...asRequester(sub), body });
const approve = (id: string, approver: string, body: unknown = {}) =>
  h.call('POST', `/v1/disbursements/${id}/approve`, { ...asApprover(approver), body });

async function itemsOf(type: string) {
  return (await h.services.scanTable()).filter((i) => i.type === type);
}

async function putStation(stationId: string, status: string, countyCode: string) {
  const documents = DynamoDBDocumentClient.from(h.services.dynamo);
  await documents.send(
    new PutCommand({
      TableName: h.services.tableName,
      Item: { pk: `STN#${stationId}`, sk: 'STN', type: 'station', stationId, status, countyCode },
    }),
  );
}

/** A table snapshot without the county/fund setup that does not change: what a rejected request must leave alone. */
async function snapshot() {
  const items = await h.services.scanTable();
  return items.map((i) => JSON.stringify(i)).sort();
}

describe('creating', () => {
  it('creates a pending disbursement, masked, with its history, and counts it for the county', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const before = (await h.data.stats.readCountyStats(COUNTY)).disbursements;
    const res = await create(disbursementBody(fundId, 1_500_000, { memo: '  spring seedlings  ' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      fundId,
      countyCode: COUNTY,
      amount: 1_500_000,
      currency: 'CNY',
      status: 'pending_approval',
      requiredApprovals: 1,
      approvals: [],
      requestedBy: 'requester-1',
      payoutId: null,
      memo: 'spring seedlings',
      history: [{ actor: 'requester-1', action: 'created', fromStatus: null, toStatus: 'pending_approval' }],
    });
    expect(res.body.beneficiary.account.accountNumber).toBe(`****${ACCOUNT_NUMBER.slice(-4)}`);
    const got = await h.call('GET', `/v1/disbursements/${res.body.disbursementId}`, { sub: 'aud', roles: ['auditor'] });
    expect(got.body).toEqual(res.body);
    const after = (await h.data.stats.readCountyStats(COUNTY)).disbursements;
    expect((after.pendingApprovalCount ?? 0) - (before.pendingApprovalCount ?? 0)).toBe(1);
    expect((after.pendingApprovalAmount ?? 0) - (before.pendingApprovalAmount ?? 0)).toBe(1_500_000);
  });

  it('needs two approvals from the fund threshold on', async () => {
    const fundId = await h.fund({ dualApprovalThreshold: 5_000_000, allocations: { [COUNTY]: 100_000_000 } });
    expect((await create(disbursementBody(fundId, 4_999_999))).body.requiredApprovals).toBe(1);
    expect((await create(disbursementBody(fundId, 5_000_000))).body.requiredApprovals).toBe(2);
  });

  it('answers 404 / 409 / 400 for what cannot be disbursed, storing nothing', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const before = await snapshot();
    const unknownFund = await create(disbursementBody('fund_01JZZZZZZZZZZZZZZZZZZZZZZZ', 100));
    expect([unknownFund.status, unknownFund.body.code]).toEqual([404, 'not_found']);
    const unknownCounty = await create(disbursementBody(fundId, 100, { countyCode: UNKNOWN_COUNTY }));
    expect([unknownCounty.status, unknownCounty.body.code]).toEqual([404, 'not_found']);
    const noAllocation = await create(disbursementBody(fundId, 100, { countyCode: OTHER_COUNTY }));
    expect([noAllocation.status, noAllocation.body.code]).toEqual([409, 'insufficient_allocation']);
    const station = disbursementBody(fundId, 100).beneficiary;
    const noStationId = await create(disbursementBody(fundId, 100, { beneficiary: { ...station, kind: 'station' } }));
    expect([noStationId.status, noStationId.body.code]).toEqual([400, 'validation_failed']);
    expect(noStationId.body.errors).toContainEqual({ path: 'body.beneficiary.stationId', message: 'required when kind is station' });
    const unknownStation = await create(
      disbursementBody(fundId, 100, { beneficiary: { ...station, kind: 'station', stationId: 'stn_01JZZZZZZZZZZZZZZZZZZZZZZZ' } }),
    );
    expect([unknownStation.status, unknownStation.body.code]).toEqual([404, 'not_found']);
    const badAccount = await create(
      disbursementBody(fundId, 100, { beneficiary: { ...station, account: { ...station.account, accountNumber: '12ab' } } }),
    );
    expect([badAccount.status, badAccount.body.code]).toEqual([400, 'validation_failed']);
    const missingKey = await h.call('POST', '/v1/disbursements', {
      ...asRequester(),
      body: disbursementBody(fundId, 100),
      idempotencyKey: null,
    });
    expect([missingKey.status, missingKey.body.code]).toEqual([400, 'idempotency_key_missing']);
    const forbidden = await h.call('POST', '/v1/disbursements', { sub: 'a-1', roles: ['approver'], body: disbursementBody(fundId, 100) });
    expect([forbidden.status, forbidden.body.code]).toEqual([403, 'forbidden']);
    expect(await snapshot()).toEqual(before);
  });

  it('pays a station only while it is active in that county', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const ids = { applied: newId('station'), other: newId('station'), active: newId('station') };
    await putStation(ids.applied, 'applied', COUNTY);
    await putStation(ids.other, 'active', OTHER_COUNTY);
    await putStation(ids.active, 'active', COUNTY);
    const base = disbursementBody(fundId, 100).beneficiary;
    const forStation = (stationId: string) =>
      create(disbursementBody(fundId, 1000, { beneficiary: { ...base, kind: 'station', stationId } }));
    expect((await forStation(ids.applied)).body.code).toBe('invalid_state');
    expect((await forStation(ids.other)).body.code).toBe('invalid_state');
    const ok = await forStation(ids.active);
    expect(ok.status).toBe(201);

    // Suspended between the request and its approval: the approval's condition check refuses, nothing moves.
    await putStation(ids.active, 'suspended', COUNTY);
    const before = await snapshot();
    const refused = await approve(ok.body.disbursementId, 'approver-1');
    expect([refused.status, refused.body.code]).toEqual([409, 'invalid_state']);
    expect(await snapshot()).toEqual(before);
    await putStation(ids.active, 'active', COUNTY);
    expect((await approve(ok.body.disbursementId, 'approver-1')).body.status).toBe('approved');
  });

  it('replays the same request with the same Idempotency-Key instead of creating twice', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const body = disbursementBody(fundId, 2000);
    const first = await h.call('POST', '/v1/disbursements', { ...asRequester(), body, idempotencyKey: 'key-1' });
    const again = await h.call('POST', '/v1/disbursements', { ...asRequester(), body, idempotencyKey: 'key-1' });
    expect(again.status).toBe(201);
    expect(again.body.disbursementId).toBe(first.body.disbursementId);
    const reuse = await h.call('POST', '/v1/disbursements', { ...asRequester(), body: { ...body, amount: 2001 }, idempotencyKey: 'key-1' });
    expect([reuse.status, reuse.body.code]).toEqual([422, 'idempotency_key_reuse']);
    expect((await itemsOf('disbursement')).filter((d) => d.fundId === fundId)).toHaveLength(1);
  });
});

describe('approving', () => {
  it('the final approval reserves, creates the queued payout and writes both events in one step', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const d = (await create(disbursementBody(fundId, 3_000_000))).body;
    await h.services.drainQueue(h.services.queueUrls.delivery);
    const res = await approve(d.disbursementId, 'approver-1', { comment: 'checked the invoice' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'approved',
      approvals: [{ approver: 'approver-1', comment: 'checked the invoice' }],
      history: [{ action: 'created' }, { action: 'approved', actor: 'approver-1', fromStatus: 'pending_approval', toStatus: 'approved' }],
    });
    expect(res.body.payoutId).toMatch(/^pay_/);
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({
      allocated: 10_000_000,
      reserved: 3_000_000,
      paid: 0,
      available: 7_000_000,
    });

    const payout = await h.call('GET', `/v1/payouts/${res.body.payoutId}`, asFinance);
    expect(payout.body).toMatchObject({
      disbursementId: d.disbursementId,
      batchId: null,
      amount: 3_000_000,
      status: 'queued',
      attempts: 0,
    });
    // API 1.2: the paying finance system reads its payout with the full account (to check an instruction); others masked.
    expect(payout.body.beneficiary.account.accountNumber).toBe(ACCOUNT_NUMBER);
    expect(
      (await h.call('GET', `/v1/payouts/${res.body.payoutId}`, { sub: 'admin-1', roles: ['fund-admin'] })).body.beneficiary.account
        .accountNumber,
    ).toBe('****2233');

    const events = (await itemsOf('event')).filter((e) => e.subject === d.disbursementId || e.subject === res.body.payoutId);
    const byType = Object.fromEntries(events.map((e) => [e.eventType, e]));
    expect(Object.keys(byType).sort()).toEqual(['disbursement.approved', 'payout.requested']);
    expect(
      (byType['payout.requested']!.data as { beneficiary: { account: { accountNumber: string } } }).beneficiary.account.accountNumber,
    ).toBe(ACCOUNT_NUMBER);
    expect(JSON.stringify(byType['disbursement.approved']!.data)).not.toContain(ACCOUNT_NUMBER);
    const stored = (await itemsOf('payout')).find((p) => p.payoutId === res.body.payoutId)!;
    expect(stored.requestedMessageId).toBe(byType['payout.requested']!.messageId);

    // Nobody here subscribes to `disbursement.approved`: it is written finished, and only the payment instruction is queued.
    expect(byType['disbursement.approved']!.state).toBe('dropped');
    const jobs = (await h.services.drainQueue(h.services.queueUrls.delivery)).map((m) => JSON.parse(m.Body!).messageId).sort();
    expect(jobs).toEqual([byType['payout.requested']!.messageId]);
  });

  it('applies the maker-checker rules: not the requester, once per approver, only while pending', async () => {
    const fundId = await h.fund({ dualApprovalThreshold: 1_000, allocations: { [COUNTY]: 10_000_000 } });
    const d = (await create(disbursementBody(fundId, 5_000))).body;
    const self = await h.call('POST', `/v1/disbursements/${d.disbursementId}/approve`, {
      sub: 'requester-1',
      roles: ['approver', 'requester'],
      body: {},
    });
    expect([self.status, self.body.code]).toEqual([403, 'self_approval']);
    const first = await approve(d.disbursementId, 'approver-1');
    expect(first.body).toMatchObject({ status: 'pending_approval', payoutId: null });
    expect(first.body.approvals).toHaveLength(1);
    const twice = await approve(d.disbursementId, 'approver-1');
    expect([twice.status, twice.body.code]).toEqual([409, 'duplicate_approval']);
    expect((await approve(d.disbursementId, 'approver-2')).body.status).toBe('approved');
    const late = await approve(d.disbursementId, 'approver-3');
    expect([late.status, late.body.code]).toEqual([409, 'invalid_state']);
    const unknown = await approve('dsb_01JZZZZZZZZZZZZZZZZZZZZZZZ', 'approver-1');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
    const notAnId = await approve('nope', 'approver-1');
    expect(notAnId.status).toBe(404);
  });

  it('refuses an approval the allocation cannot cover, and changes nothing', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000 } });
    const d = (await create(disbursementBody(fundId, 1_001))).body;
    const before = await snapshot();
    const res = await approve(d.disbursementId, 'approver-1');
    expect([res.status, res.body.code]).toEqual([409, 'insufficient_allocation']);
    expect(await snapshot()).toEqual(before);
  });

  it('12 concurrent approvals of a dual-approval disbursement: one payout, one payout.requested, two approvals', async () => {
    const fundId = await h.fund({ dualApprovalThreshold: 1_000, allocations: { [COUNTY]: 10_000_000 } });
    const d = (await create(disbursementBody(fundId, 50_000))).body;
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => approve(d.disbursementId, `approver-${i}`)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(replies.filter((r) => r.status !== 200).every((r) => r.status === 409 && r.body.code === 'invalid_state')).toBe(true);
    const final = (await h.call('GET', `/v1/disbursements/${d.disbursementId}`, { sub: 'aud', roles: ['auditor'] })).body;
    expect(final.status).toBe('approved');
    expect(final.approvals).toHaveLength(2);
    expect((await itemsOf('payout')).filter((p) => p.disbursementId === d.disbursementId)).toHaveLength(1);
    expect((await itemsOf('event')).filter((e) => e.subject === final.payoutId && e.eventType === 'payout.requested')).toHaveLength(1);
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: 50_000, available: 9_950_000 });
  });

  it('12 concurrent approvals by the same approver record one approval', async () => {
    const fundId = await h.fund({ dualApprovalThreshold: 1_000, allocations: { [COUNTY]: 10_000_000 } });
    const d = (await create(disbursementBody(fundId, 50_000))).body;
    const replies = await Promise.all(Array.from({ length: 12 }, () => approve(d.disbursementId, 'approver-same')));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409 && r.body.code === 'duplicate_approval')).toHaveLength(11);
    const final = (await h.call('GET', `/v1/disbursements/${d.disbursementId}`, { sub: 'aud', roles: ['auditor'] })).body;
    expect(final).toMatchObject({ status: 'pending_approval', payoutId: null });
    expect(final.approvals).toHaveLength(1);
  });

  it('n + 6 concurrent final approvals against an allocation covering n: exactly n approved', async () => {
    const n = 6;
    const amount = 10_000;
    const fundId = await h.fund({ allocations: { [COUNTY]: n * amount + amount - 1 } });
    const ds = [];
    for (let i = 0; i < n + 6; i++) ds.push((await create(disbursementBody(fundId, amount, { beneficiary: beneficiaryNo(i) }))).body);
    const replies = await Promise.all(ds.map((d, i) => approve(d.disbursementId, `approver-${i}`)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(n);
    const refused = replies.filter((r) => r.status !== 200);
    expect(refused.every((r) => r.status === 409 && r.body.code === 'insufficient_allocation')).toBe(true);
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toEqual({
      fundId,
      countyCode: COUNTY,
      allocated: n * amount + amount - 1,
      reserved: n * amount,
      paid: 0,
      available: amount - 1,
    });
    const payouts = (await itemsOf('payout')).filter((p) => p.fundId === fundId);
    expect(payouts).toHaveLength(n);
  });
});

describe('rejecting and cancelling', () => {
  it('rejects with a reason (not by the requester) and cancels (its requester or a fund admin) only while pending', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const a = (await create(disbursementBody(fundId, 100))).body;
    const selfReject = await h.call('POST', `/v1/disbursements/${a.disbursementId}/reject`, {
      sub: 'requester-1',
      roles: ['approver'],
      body: { reason: 'mine' },
    });
    expect([selfReject.status, selfReject.body.code]).toEqual([403, 'self_approval']);
    const noReason = await h.call('POST', `/v1/disbursements/${a.disbursementId}/reject`, { ...asApprover('approver-1'), body: {} });
    expect(noReason.status).toBe(400);
    const rejected = await h.call('POST', `/v1/disbursements/${a.disbursementId}/reject`, {
      ...asApprover('approver-1'),
      body: { reason: ' duplicate invoice ' },
    });
    expect(rejected.body).toMatchObject({ status: 'rejected' });
    expect(rejected.body.history.at(-1)).toMatchObject({
      action: 'rejected',
      actor: 'approver-1',
      reason: 'duplicate invoice',
      fromStatus: 'pending_approval',
      toStatus: 'rejected',
    });
    expect((await approve(a.disbursementId, 'approver-2')).body.code).toBe('invalid_state');

    const b = (await create(disbursementBody(fundId, 100))).body;
    const stranger = await h.call('POST', `/v1/disbursements/${b.disbursementId}/cancel`, {
      ...asRequester('requester-2'),
      body: { reason: 'x' },
    });
    expect([stranger.status, stranger.body.code]).toEqual([403, 'forbidden']);
    const byOwner = await h.call('POST', `/v1/disbursements/${b.disbursementId}/cancel`, { ...asRequester(), body: { reason: 'typo' } });
    expect(byOwner.body.status).toBe('cancelled');

    const c = (await create(disbursementBody(fundId, 100))).body;
    const byAdmin = await h.call('POST', `/v1/disbursements/${c.disbursementId}/cancel`, {
      sub: 'admin-9',
      roles: ['fund-admin'],
      body: { reason: 'duplicate' },
    });
    expect(byAdmin.body.status).toBe('cancelled');

    const d = (await create(disbursementBody(fundId, 100))).body;
    await approve(d.disbursementId, 'approver-1');
    const late = await h.call('POST', `/v1/disbursements/${d.disbursementId}/cancel`, { ...asRequester(), body: { reason: 'too late' } });
    expect([late.status, late.body.code]).toEqual([409, 'invalid_state']);
  });
});

describe('listing', () => {
  it('filters by status, fund and county, newest first, across signed cursor pages', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000, [OTHER_COUNTY]: 10_000_000 } });
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      made.push((await create(disbursementBody(fundId, 100 + i, { countyCode: i % 2 ? OTHER_COUNTY : COUNTY }))).body.disbursementId);
    }
    await approve(made[0]!, 'approver-1');
    const read = { sub: 'aud', roles: ['auditor'] };
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await h.call('GET', '/v1/disbursements', { ...read, query: { fundId, limit: '2', ...(cursor ? { cursor } : {}) } });
      expect(page.status).toBe(200);
      all.push(...page.body.items.map((d: { disbursementId: string }) => d.disbursementId));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    expect(all).toEqual([...made].reverse());

    const county = await h.call('GET', '/v1/disbursements', { ...read, query: { fundId, countyCode: COUNTY, status: 'pending_approval' } });
    expect(county.body.items.map((d: { disbursementId: string }) => d.disbursementId)).toEqual([made[4], made[2]]);
    const approved = await h.call('GET', '/v1/disbursements', { ...read, query: { status: 'approved', fundId } });
    expect(approved.body.items.map((d: { disbursementId: string }) => d.disbursementId)).toEqual([made[0]]);

    const forged = await h.call('GET', '/v1/disbursements', { ...read, query: { cursor: 'eyJrIjp7fX0.forged' } });
    expect([forged.status, forged.body.code]).toEqual([400, 'validation_failed']);
    const badStatus = await h.call('GET', '/v1/disbursements', { ...read, query: { status: 'paid-ish' } });
    expect(badStatus.status).toBe(400);
  });
});

describe('arbitrary input', () => {
  it('create/approve/reject/cancel answer only 4xx problem+json to arbitrary bodies and store nothing', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const target = (await create(disbursementBody(fundId, 100))).body.disbursementId as string;
    const valid = disbursementBody(fundId, 100);
    const mutatedCreate = fc.oneof(
      fc.anything(),
      fc.record({
        fundId: fc.oneof(fc.constant(valid.fundId), fc.string()),
        countyCode: fc.oneof(fc.constant(COUNTY), fc.string(), fc.integer()),
        amount: fc.oneof(fc.constant(0), fc.constant(-1), fc.double(), fc.constant(10_000_000_000_001), fc.string()),
        currency: fc.oneof(fc.constant('CNY'), fc.constant('USD')),
        purpose: fc.oneof(fc.constant('training'), fc.string()),
        beneficiary: fc.oneof(fc.anything(), fc.constant({ ...valid.beneficiary, kind: 'station' })),
      }),
      fc.string().map((s) => `{"fundId":${JSON.stringify(s)}`),
    );
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(mutatedCreate, fc.anything(), async (createBody, actionBody) => {
        const replies = [
          await create(createBody),
          await approve(target, 'approver-1', actionBody === undefined ? { comment: 5 } : { comment: actionBody, extra: 1 }),
          await h.call('POST', `/v1/disbursements/${target}/reject`, {
            ...asApprover('approver-1'),
            body: { reason: actionBody, unexpected: true },
          }),
          await h.call('POST', `/v1/disbursements/${target}/cancel`, {
            ...asRequester(),
            body: { reason: typeof actionBody === 'string' ? '' : actionBody },
          }),
        ];
        expectClientProblems(replies);
      }),
      { numRuns: 40 },
    );
    expect(await snapshot()).toEqual(before);
  });
});
