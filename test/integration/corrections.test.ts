/**
 * POST /v1/disbursements/{id}/corrections (API.md 1.2) on DynamoDB Local: a payout_failed disbursement is replaced
 * by a new, linked request that reserves afresh; the failed payout is never paid again and the failed item is never
 * corrected twice, also under races (two corrections at once; a correction racing a late "succeeded" for the failed
 * payout). The ledger check stays clean.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { asApprover, asFinance, asRequester, beneficiaryNo, COUNTY, disbursementBody, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();
let fundId: string;
let accounts = 0;
const auditor = { sub: 'aud', roles: ['auditor'] };

beforeAll(async () => {
  fundId = await h.fund({ allocations: { [COUNTY]: 100_000_000 } });
});

const get = async (path: string) => (await h.call('GET', path, auditor)).body;
const settle = (payoutId: string, body: unknown) => h.call('POST', `/v1/payouts/${payoutId}/settlement`, { ...asFinance, body });
const correct = (id: string, body: unknown, who = asRequester()) => h.call('POST', `/v1/disbursements/${id}/corrections`, { ...who, body });
const corrected = () => ({ beneficiary: beneficiaryNo(++accounts), reason: 'account closed; the cooperative gave its new account' });

async function approved(amount: number) {
  const created = await h.call('POST', '/v1/disbursements', {
    ...asRequester(),
    body: disbursementBody(fundId, amount, { beneficiary: beneficiaryNo(++accounts), memo: 'seed potatoes' }),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const done = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, { ...asApprover('approver-1'), body: {} });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return { disbursementId: created.body.disbursementId as string, payoutId: done.body.payoutId as string };
}

async function failed(amount: number) {
  const d = await approved(amount);
  const res = await settle(d.payoutId, { outcome: 'failed', failureReason: 'account closed' });
  expect(res.status).toBe(200);
  return d;
}

describe('correcting a failed disbursement', () => {
  it('creates a linked request with the same fund, county, amount, purpose and memo; it reserves afresh and pays once', async () => {
    const before = await h.data.funds.findAllocation(fundId, COUNTY);
    const { disbursementId, payoutId } = await failed(250_000);
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: before!.reserved, available: before!.available });

    const failures = async () => (await get(`/v1/payouts/failures?fundId=${fundId}&countyCode=${COUNTY}`)).total as unknown;
    const failedBefore = (await failures()) as { count: number; amount: number };
    expect(failedBefore.count).toBeGreaterThanOrEqual(1);
    expect(await get(`/v1/payouts/${payoutId}`)).toMatchObject({ status: 'failed', failureCode: 'unspecified', correctedBy: null });

    const body = corrected();
    const res = await correct(disbursementId, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      fundId,
      countyCode: COUNTY,
      amount: 250_000,
      purpose: 'produce-subsidy',
      memo: 'seed potatoes',
      status: 'pending_approval',
      correctionOf: disbursementId,
      correctedBy: null,
      payoutId: null,
    });
    expect(res.body.beneficiary.account.accountNumber).toBe(`****${body.beneficiary.account.accountNumber.slice(-4)}`);
    const correction = res.body.disbursementId as string;
    expect(await get(`/v1/disbursements/${disbursementId}`)).toMatchObject({ status: 'payout_failed', correctedBy: correction });
    expect((await get(`/v1/payouts/${payoutId}`)).correctedBy).toBe(correction);
    // It left the failures summary with its link.
    expect(await failures()).toEqual({ count: failedBefore.count - 1, amount: failedBefore.amount - 250_000 });
    // Nothing is reserved until the correction's final approval.
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: before!.reserved });

    const approval = await h.call('POST', `/v1/disbursements/${correction}/approve`, { ...asApprover('approver-1'), body: {} });
    expect(approval.status).toBe(200);
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: before!.reserved + 250_000 });
    const newPayout = approval.body.payoutId as string;
    expect(newPayout).not.toBe(payoutId);
    expect((await settle(newPayout, { outcome: 'succeeded', bankReference: 'ABC-CORR-1' })).status).toBe(200);

    // The failed payout is never paid: a late "succeeded" is refused and it stays failed.
    const late = await settle(payoutId, { outcome: 'succeeded', bankReference: 'ABC-LATE-1' });
    expect([late.status, late.body.code]).toEqual([409, 'invalid_state']);
    expect((await get(`/v1/payouts/${payoutId}`)).status).toBe('failed');
    expect((await get(`/v1/disbursements/${correction}`)).status).toBe('paid');
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it('only a payout_failed disbursement, once; by its makers; with a valid body', async () => {
    const { disbursementId } = await failed(10_000);
    expect((await correct(disbursementId, corrected())).status).toBe(201);
    const again = await correct(disbursementId, corrected());
    expect([again.status, again.body.code]).toEqual([409, 'invalid_state']);

    const pending = await h.call('POST', '/v1/disbursements', {
      ...asRequester(),
      body: disbursementBody(fundId, 10_000, { beneficiary: beneficiaryNo(++accounts) }),
    });
    expect((await correct(pending.body.disbursementId, corrected())).body.code).toBe('invalid_state');
    const paid = await approved(10_000);
    expect((await settle(paid.payoutId, { outcome: 'succeeded', bankReference: 'ABC-PAID-1' })).status).toBe(200);
    expect((await correct(paid.disbursementId, corrected())).body.code).toBe('invalid_state');

    const other = await failed(10_000);
    expect((await correct(other.disbursementId, corrected(), asApprover('approver-2'))).status).toBe(403);
    expect((await correct(other.disbursementId, corrected(), asFinance)).status).toBe(403);
    expect((await correct('dsb_01KBX0000000000000000000AB', corrected())).status).toBe(404);
    for (const body of [
      {},
      { beneficiary: beneficiaryNo(1) },
      { ...corrected(), amount: 5 },
      { reason: 'x', beneficiary: { kind: 'farmer' } },
    ]) {
      const res = await correct(other.disbursementId, body);
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([400, 'validation_failed']);
    }
    expect(await get(`/v1/disbursements/${other.disbursementId}`)).toMatchObject({ status: 'payout_failed', correctedBy: null });
  });
});

describe('races', () => {
  it('two corrections at once: one is created, the other is invalid_state', async () => {
    for (let round = 0; round < 4; round++) {
      const { disbursementId } = await failed(20_000);
      const replies = await Promise.all([correct(disbursementId, corrected()), correct(disbursementId, corrected())]);
      expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
      const winner = replies.find((r) => r.status === 201)!.body.disbursementId as string;
      expect((await get(`/v1/disbursements/${disbursementId}`)).correctedBy).toBe(winner);
      const all = (await h.call('GET', `/v1/disbursements?fundId=${fundId}&limit=100`, auditor)).body.items as {
        correctionOf: string | null;
      }[];
      expect(all.filter((d) => d.correctionOf === disbursementId)).toHaveLength(1);
    }
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it('a correction racing a late "succeeded" for the failed payout: the correction stands, the payout stays failed', async () => {
    for (let round = 0; round < 4; round++) {
      const { disbursementId, payoutId } = await failed(30_000);
      const [correction, late] = await Promise.all([
        correct(disbursementId, corrected()),
        settle(payoutId, { outcome: 'succeeded', bankReference: `ABC-RACE-${round}` }),
      ]);
      expect(correction.status).toBe(201);
      expect([late.status, late.body.code]).toEqual([409, 'invalid_state']);
      expect((await get(`/v1/payouts/${payoutId}`)).status).toBe('failed');
      expect((await get(`/v1/disbursements/${disbursementId}`)).status).toBe('payout_failed');
    }
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it('a correction racing the failure itself: corrected only if it failed first, never paid twice', async () => {
    for (let round = 0; round < 4; round++) {
      const { disbursementId, payoutId } = await approved(40_000);
      const [correction, failure] = await Promise.all([
        correct(disbursementId, corrected()),
        settle(payoutId, { outcome: 'failed', failureReason: 'account frozen' }),
      ]);
      expect(failure.status).toBe(200);
      const d = await get(`/v1/disbursements/${disbursementId}`);
      if (correction.status === 201) expect(d.correctedBy).toBe(correction.body.disbursementId);
      else {
        expect([correction.status, correction.body.code]).toEqual([409, 'invalid_state']);
        expect(d.correctedBy).toBeNull();
      }
    }
    expect((await h.checkLedger()).differences).toEqual([]);
  });
});
