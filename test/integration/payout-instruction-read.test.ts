/**
 * API 1.2, "no single person can redirect a payment": the finance system that pays a payout's fund reads that payout
 * with the full account on `GET /v1/payouts/{payoutId}` (the instruction it pays, so that a receiver checks a signed
 * instruction against it before paying). Every other reader, and every other route, gets the account masked.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_NUMBER, asFinance, COUNTY, FINANCE_SYSTEM, useMoneyHarness, type Call } from './disbursement-harness.ts';

const h = useMoneyHarness();
let payoutId: string;
const MASKED = `****${ACCOUNT_NUMBER.slice(-4)}`;

beforeAll(async () => {
  const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
  ({ payoutId } = await h.approvedPayout(fundId, 12_345, { approver: 'checker-1' }));
});

const accountOf = (body: { beneficiary: { account: { accountNumber: string } } }) => body.beneficiary.account.accountNumber;

describe('GET /v1/payouts/{payoutId}: the full account for the paying finance system only', () => {
  it('the fund’s finance system reads the account in full, and every other field as anyone else does', async () => {
    const paying = await h.call('GET', `/v1/payouts/${payoutId}`, asFinance);
    const admin = await h.call('GET', `/v1/payouts/${payoutId}`, { sub: 'admin-1', roles: ['fund-admin'] });
    expect([paying.status, admin.status]).toEqual([200, 200]);
    expect(accountOf(paying.body)).toBe(ACCOUNT_NUMBER);
    expect({
      ...paying.body,
      beneficiary: { ...paying.body.beneficiary, account: { ...paying.body.beneficiary.account, accountNumber: MASKED } },
    }).toEqual(admin.body);
  });

  it.each<[string, Call]>([
    ['a fund-admin', { sub: 'admin-1', roles: ['fund-admin'] }],
    ['an auditor', { sub: 'auditor-1', roles: ['auditor'] }],
    ['an observer', { sub: 'observer-1', roles: ['observer'] }],
    // An observer always reads masked, even with a token that is also the paying system's.
    ['the paying system’s token that also carries the observer role', { sub: FINANCE_SYSTEM, roles: ['finance-system', 'observer'] }],
    // The fund names its payer by `sub`: a person's token with that sub but without the finance-system role is not it.
    ['a fund-admin whose sub is the finance system’s', { sub: FINANCE_SYSTEM, roles: ['fund-admin'] }],
  ])('%s reads it masked', async (_who, caller) => {
    const read = await h.call('GET', `/v1/payouts/${payoutId}`, caller);
    expect(read.status).toBe(200);
    expect(accountOf(read.body)).toBe(MASKED);
    expect(read.text).not.toContain(ACCOUNT_NUMBER);
  });

  it('another finance system gets 404, and the paying one reads lists and CSV masked', async () => {
    expect((await h.call('GET', `/v1/payouts/${payoutId}`, { sub: 'other-finance', roles: ['finance-system'] })).status).toBe(404);
    const list = await h.call('GET', '/v1/payouts', asFinance);
    expect(list.status).toBe(200);
    expect(list.body.items.map((p: { payoutId: string }) => p.payoutId)).toContain(payoutId);
    expect(list.text).not.toContain(ACCOUNT_NUMBER);
    const csv = await h.call('GET', '/v1/payouts', { ...asFinance, headers: { accept: 'text/csv' } });
    expect(csv.status).toBe(200);
    expect(csv.text).not.toContain(ACCOUNT_NUMBER);
  });
});
