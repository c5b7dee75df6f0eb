/**
 * Settlement and redelivery of payouts on DynamoDB Local: the finance system's outcomes move the
 * payout, the disbursement, the allocation and the county report together; repeats are no-ops;
 * contradictions and unknown payouts are refused; the webhook worker's transitions are idempotent.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { asFinance, COUNTY, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();

async function approvedPayout(amount: number, allocation = 10_000_000) {
  const fundId = await h.fund({ allocations: { [COUNTY]: allocation } });
  return { fundId, ...(await h.approvedPayout(fundId, amount)) };
}

const settle = (payoutId: string, body: unknown) => h.settle(payoutId, body);
const getDisbursement = async (id: string) => (await h.call('GET', `/v1/disbursements/${id}`, { sub: 'aud', roles: ['auditor'] })).body;
const countyStats = async () => (await h.data.stats.readCountyStats(COUNTY)).disbursements;

describe('settlement', () => {
  it('succeeded: payout settled, disbursement paid, reservation becomes paid; the same report again is a no-op', async () => {
    const { fundId, disbursementId, payoutId } = await approvedPayout(2_500_000);
    const statsBefore = await countyStats();
    const res = await settle(payoutId, { outcome: 'succeeded', bankReference: 'ABC-2026-0001' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ payoutId, status: 'settled', bankReference: 'ABC-2026-0001', failureReason: null });
    expect(res.body.settledAt).toEqual(expect.any(String));
    expect(res.body.beneficiary.account.accountNumber).toBe('****2233');
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: 0, paid: 2_500_000, available: 7_500_000 });
    const fund = await h.data.funds.getFund(fundId);
    expect([fund.reserved, fund.paid]).toEqual([0, 2_500_000]);
    const d = await getDisbursement(disbursementId);
    expect(d.status).toBe('paid');
    expect(d.history.at(-1)).toMatchObject({ action: 'paid', actor: 'finance-1', fromStatus: 'approved', toStatus: 'paid' });
    const statsAfter = await countyStats();
    expect((statsAfter.paidAmount ?? 0) - (statsBefore.paidAmount ?? 0)).toBe(2_500_000);
    expect((statsAfter.approvedCount ?? 0) - (statsBefore.approvedCount ?? 0)).toBe(-1);
    const settledEvents = (await h.services.scanTable()).filter(
      (i) => i.type === 'event' && i.subject === payoutId && i.eventType === 'payout.settled',
    );
    expect(settledEvents).toHaveLength(1);
    expect(JSON.stringify(settledEvents[0]!.data)).not.toContain('6222020200112233');

    // Only the idempotency layer's record of the repeated request may appear: the money state stays put.
    const moneyState = async () => (await h.services.scanTable()).filter((i) => !String(i.pk).startsWith('IDEM#'));
    const before = await moneyState();
    const again = await settle(payoutId, { outcome: 'succeeded', bankReference: 'ABC-2026-0001' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    expect(await moneyState()).toEqual(before);
    const contradict = await settle(payoutId, { outcome: 'failed', failureReason: 'account closed' });
    expect([contradict.status, contradict.body.code]).toEqual([409, 'invalid_state']);
  });

  it('failed: payout failed, disbursement payout_failed, reservation released', async () => {
    const { fundId, disbursementId, payoutId } = await approvedPayout(1_000_000);
    const res = await settle(payoutId, { outcome: 'failed', failureReason: 'account closed' });
    expect(res.body).toMatchObject({ status: 'failed', failureReason: 'account closed', bankReference: null });
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: 0, paid: 0, available: 10_000_000 });
    const d = await getDisbursement(disbursementId);
    expect(d.status).toBe('payout_failed');
    expect(d.history.at(-1)).toMatchObject({ action: 'payout_failed', reason: 'account closed' });
    expect((await settle(payoutId, { outcome: 'failed', failureReason: 'account closed' })).status).toBe(200);
    const contradict = await settle(payoutId, { outcome: 'succeeded', bankReference: 'late' });
    expect([contradict.status, contradict.body.code]).toEqual([409, 'invalid_state']);
  });

  it('concurrent contradicting reports: exactly one outcome wins, the ledger moves once', async () => {
    const { fundId, payoutId } = await approvedPayout(300_000);
    const replies = await Promise.all([
      settle(payoutId, { outcome: 'succeeded', bankReference: 'R1' }),
      settle(payoutId, { outcome: 'failed', failureReason: 'bounced' }),
      settle(payoutId, { outcome: 'succeeded', bankReference: 'R1' }),
      settle(payoutId, { outcome: 'failed', failureReason: 'bounced' }),
    ]);
    const final = await h.data.payouts.getPayout(payoutId);
    for (const r of replies) {
      if (r.status === 200) expect(r.body.status).toBe(final.status);
      else expect([r.status, r.body.code]).toEqual([409, 'invalid_state']);
    }
    const line = (await h.data.funds.findAllocation(fundId, COUNTY))!;
    expect(line.reserved).toBe(0);
    expect(line.paid).toBe(final.status === 'settled' ? 300_000 : 0);
    expect(line.available).toBe(line.allocated - line.paid);
  });

  it('refuses unknown payouts, incomplete reports and callers that are not the finance system', async () => {
    const { payoutId } = await approvedPayout(1_000);
    const unknown = await settle('pay_01JZZZZZZZZZZZZZZZZZZZZZZZ', { outcome: 'succeeded', bankReference: 'x' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
    const before = await h.services.scanTable();
    const noReference = await settle(payoutId, { outcome: 'succeeded' });
    expect(noReference.status).toBe(400);
    expect(noReference.body.errors).toContainEqual({ path: 'body.bankReference', message: 'required when outcome is succeeded' });
    expect((await settle(payoutId, { outcome: 'failed' })).status).toBe(400);
    const admin = await h.call('POST', `/v1/payouts/${payoutId}/settlement`, {
      sub: 'a',
      roles: ['fund-admin'],
      body: { outcome: 'succeeded', bankReference: 'x' },
    });
    expect([admin.status, admin.body.code]).toEqual([403, 'forbidden']);
    expect(await h.services.scanTable()).toEqual(before);
  });

  it('answers arbitrary settlement bodies with a 4xx problem and changes nothing', async () => {
    const { payoutId } = await approvedPayout(1_000);
    const before = await h.services.scanTable();
    const body = fc.oneof(
      fc.anything(),
      fc
        .record(
          {
            outcome: fc.oneof(fc.constantFrom('succeeded', 'failed', 'SUCCEEDED'), fc.string()),
            bankReference: fc.anything(),
            failureReason: fc.anything(),
          },
          { requiredKeys: ['outcome'] },
        )
        .filter(
          (b) =>
            !(
              b.outcome === 'succeeded' &&
              typeof b.bankReference === 'string' &&
              b.bankReference.trim() &&
              b.failureReason === undefined
            ) &&
            !(b.outcome === 'failed' && typeof b.failureReason === 'string' && b.failureReason.trim() && b.bankReference === undefined),
        ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const r = await settle(payoutId, b);
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        expect(r.contentType).toBe('application/problem+json');
      }),
      { numRuns: 60 },
    );
    expect(await h.services.scanTable()).toEqual(before);
  });
});

describe('webhook worker transitions and redelivery', () => {
  it('sent and delivery_failed are idempotent; redeliver re-arms the same message; settlement from delivery_failed works', async () => {
    const { fundId, payoutId } = await approvedPayout(40_000);
    const stored = await h.data.payouts.getPayout(payoutId);
    const notYet = await h.call('POST', `/v1/payouts/${payoutId}/redeliver`, { sub: 'admin', roles: ['fund-admin'] });
    expect([notYet.status, notYet.body.code]).toEqual([409, 'invalid_state']);

    await h.data.payouts.markPayoutDeliveryFailed(payoutId, 8, new Date());
    await h.data.payouts.markPayoutDeliveryFailed(payoutId, 8, new Date());
    expect(await h.data.payouts.getPayout(payoutId)).toMatchObject({ status: 'delivery_failed', attempts: 8 });
    const failedEvents = (await h.services.scanTable()).filter(
      (i) => i.type === 'event' && i.subject === payoutId && i.eventType === 'payout.delivery_failed',
    );
    expect(failedEvents).toHaveLength(1);
    expect(JSON.stringify(failedEvents[0]!.data)).not.toContain('6222020200112233');

    // The webhook worker marks its event failed when retries run out; redelivery re-arms exactly that one.
    const { UpdateCommand, DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    await DynamoDBDocumentClient.from(h.services.dynamo).send(
      new UpdateCommand({
        TableName: h.services.tableName,
        Key: { pk: `EVT#${stored.requestedMessageId}`, sk: 'EVT' },
        UpdateExpression: 'SET #s = :failed',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':failed': 'failed' },
      }),
    );
    await h.services.drainQueue(h.services.queueUrls.delivery);
    const redelivered = await h.call('POST', `/v1/payouts/${payoutId}/redeliver`, { sub: 'admin', roles: ['fund-admin'] });
    expect(redelivered.status).toBe(202);
    expect(redelivered.body).toMatchObject({ payoutId, status: 'queued' });
    const jobs = (await h.services.drainQueue(h.services.queueUrls.delivery)).map((m) => JSON.parse(m.Body!).messageId);
    expect(jobs).toEqual([stored.requestedMessageId]);
    const event = (await h.services.scanTable()).find((i) => i.pk === `EVT#${stored.requestedMessageId}`)!;
    expect(event.state).toBe('pending');

    await h.data.payouts.markPayoutSent(payoutId, new Date());
    const sent = await h.data.payouts.getPayout(payoutId);
    expect(sent.status).toBe('sent');
    expect(sent.sentAt).toEqual(expect.any(String));
    await h.data.payouts.markPayoutSent(payoutId, new Date());
    expect((await h.data.payouts.getPayout(payoutId)).sentAt).toBe(sent.sentAt);
    await h.data.payouts.markPayoutDeliveryFailed(payoutId, 9, new Date());
    expect((await h.data.payouts.getPayout(payoutId)).status).toBe('sent');

    await h.data.payouts.recordPayoutAttempts(payoutId, 12);
    await h.data.payouts.recordPayoutAttempts(payoutId, 3);
    expect((await h.data.payouts.getPayout(payoutId)).attempts).toBe(12);

    expect((await settle(payoutId, { outcome: 'succeeded', bankReference: 'R-9' })).body.status).toBe('settled');
    await h.data.payouts.markPayoutSent(payoutId, new Date());
    expect((await h.data.payouts.getPayout(payoutId)).status).toBe('settled');
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ paid: 40_000, reserved: 0 });
  });

  it("the worker's sent move without a read: from delivery_failed via the item as it was, attempts never lowered, once under duplicates", async () => {
    const { payoutId } = await approvedPayout(30_000);
    const stored = await h.data.payouts.getPayout(payoutId);
    const facts = { amount: stored.amount, batchId: stored.batchId, disbursementId: stored.disbursementId };
    await h.data.payouts.markPayoutDeliveryFailed(payoutId, 8, new Date());
    const audits = async () =>
      (await h.services.scanTable()).filter(
        (i) => i.pk === `PAY#${payoutId}` && String(i.sk).startsWith('AUDIT#') && i.action === 'payout.sent',
      );

    // The worker assumes queued and counted 2 attempts; the payout is delivery_failed with 8.
    const moved = await Promise.all(
      Array.from({ length: 4 }, () => h.data.payouts.markPayoutSent(payoutId, new Date(), { attempts: 2, facts })),
    );
    expect(moved.filter(Boolean)).toHaveLength(1);
    expect(await h.data.payouts.getPayout(payoutId)).toMatchObject({ status: 'sent', attempts: 8 });
    const [audit, ...more] = await audits();
    expect(more).toEqual([]);
    expect(audit).toMatchObject({ fromStatus: 'delivery_failed', toStatus: 'sent' });

    expect((await settle(payoutId, { outcome: 'succeeded', bankReference: 'R-10' })).body.status).toBe('settled');
    expect(await h.data.payouts.markPayoutSent(payoutId, new Date(), { attempts: 3, facts })).toBe(false);
    expect(await h.data.payouts.getPayout(payoutId)).toMatchObject({ status: 'settled', attempts: 8 });
    expect(await audits()).toHaveLength(1);
    expect(await h.data.payouts.markPayoutSent('pay_01M8ZZZZZZZZZZZZZZZZZZZZZZ', new Date(), { facts })).toBe(false);
  });

  it('lists payouts by status, newest first, masked', async () => {
    const a = await approvedPayout(1_100);
    const b = await approvedPayout(1_200);
    await settle(a.payoutId, { outcome: 'failed', failureReason: 'closed' });
    const read = asFinance;
    const failed = await h.call('GET', '/v1/payouts', { ...read, query: { status: 'failed' } });
    expect(failed.body.items.map((p: { payoutId: string }) => p.payoutId)).toContain(a.payoutId);
    expect(failed.body.items.map((p: { payoutId: string }) => p.payoutId)).not.toContain(b.payoutId);
    const all = await h.call('GET', '/v1/payouts', { ...read, query: { limit: '2' } });
    expect(all.body.items.map((p: { payoutId: string }) => p.payoutId)).toEqual([b.payoutId, a.payoutId]);
    expect(JSON.stringify(all.body)).not.toContain('6222020200112233');
    expect(all.body.nextCursor).toEqual(expect.any(String));
    const requester = await h.call('GET', '/v1/payouts', { sub: 'r', roles: ['requester'] });
    expect(requester.status).toBe(403);
  });
});
