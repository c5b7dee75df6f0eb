/**
 * API 1.2's failed settlement: a bank gives a reference for a returned transfer, so `bankReference` is allowed on a
 * failed settlement; `failureCode` says why (default `unspecified`), and the payout shows both. A failed settlement
 * needs `failureCode` or `failureReason`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { COUNTY, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();
let fundId: string;
const admin = { sub: 'admin-1', roles: ['fund-admin'] };

beforeAll(async () => {
  fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
});

const payout = async () => (await h.approvedPayout(fundId, 2_000, { ownAccount: true, approver: 'checker-1' })).payoutId;
const settle = (payoutId: string, body: unknown) => h.settle(payoutId, body);

describe('a failed settlement', () => {
  it('carries its bankReference and failureCode, shown on the payout', async () => {
    const id = await payout();
    expect((await h.call('GET', `/v1/payouts/${id}`, admin)).body).toMatchObject({ failureCode: null, bankReference: null });
    const failed = await settle(id, { outcome: 'failed', bankReference: 'RET-20261206-01', failureCode: 'account_closed' });
    expect(failed.status, JSON.stringify(failed.body)).toBe(200);
    expect(failed.body).toMatchObject({
      status: 'failed',
      bankReference: 'RET-20261206-01',
      failureCode: 'account_closed',
      failureReason: null,
    });
    expect((await h.call('GET', `/v1/payouts/${id}`, admin)).body).toMatchObject({
      failureCode: 'account_closed',
      bankReference: 'RET-20261206-01',
    });
    // Repeating it is a no-op 200.
    expect((await settle(id, { outcome: 'failed', failureCode: 'account_closed' })).status).toBe(200);
  });

  it('with a failureReason alone gets failureCode unspecified', async () => {
    const id = await payout();
    const failed = await settle(id, { outcome: 'failed', failureReason: 'returned by the bank' });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ failureCode: 'unspecified', failureReason: 'returned by the bank', bankReference: null });
  });

  it.each([
    ['neither failureCode nor failureReason', { outcome: 'failed' }],
    ['an unknown failureCode', { outcome: 'failed', failureCode: 'stolen' }],
    ['a failureCode on a success', { outcome: 'succeeded', bankReference: 'BR-1', failureCode: 'technical' }],
  ])('%s is 400 validation_failed and changes nothing', async (_what, body) => {
    const id = await payout();
    const refused = await settle(id, body);
    expect([refused.status, refused.body.code]).toEqual([400, 'validation_failed']);
    expect((await h.call('GET', `/v1/payouts/${id}`, admin)).body.status).toBe('queued');
  });
});
