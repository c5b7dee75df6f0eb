/**
 * What the finance system's reports and the webhook worker's acknowledgements do to a payout, and to
 * the disbursement behind it, told as the rules a finance officer would check.
 */
import { describe, expect, it } from 'vitest';
import {
  assertRedeliverable,
  assertSettlementComplete,
  becomesSent,
  decideSettlement,
  maskBeneficiary,
  outcomeStatus,
  queuedPayout,
  type Beneficiary,
  type PayoutStatus,
} from '#shared/domain/payouts';
import { maskDisbursement, settlementStatus, type Disbursement } from '#shared/domain/disbursements';
import { refusalIfAny } from '#test/support/refusal';

const COOPERATIVE: Beneficiary = {
  kind: 'cooperative',
  name: 'Xiushan Tea Cooperative',
  account: { bankName: 'Agricultural Bank of China', accountName: 'Xiushan Tea Cooperative', accountNumber: '6228480012345678' },
};

describe('a settlement report', () => {
  it('a successful settlement settles the payout and marks the disbursement paid', () => {
    expect(outcomeStatus('succeeded')).toBe('settled');
    expect(settlementStatus('succeeded')).toBe('paid');
  });

  it('a failed settlement never marks the disbursement paid: the payout fails and so does the disbursement', () => {
    expect(outcomeStatus('failed')).toBe('failed');
    expect(settlementStatus('failed')).toBe('payout_failed');
  });

  it('the same final outcome reported again is a harmless repeat', () => {
    expect(decideSettlement('settled', 'succeeded')).toBe('repeat');
    expect(decideSettlement('failed', 'failed')).toBe('repeat');
  });

  it('an outcome contradicting a final one is refused as invalid_state, saying what it contradicts', () => {
    const afterSettled = refusalIfAny(() => decideSettlement('settled', 'failed'));
    expect(afterSettled?.code).toBe('invalid_state');
    expect(afterSettled?.status).toBe(409);
    expect(afterSettled?.message).toMatch(/already settled.*failed settlement/);
    const afterFailed = refusalIfAny(() => decideSettlement('failed', 'succeeded'));
    expect(afterFailed?.code).toBe('invalid_state');
    expect(afterFailed?.message).toMatch(/already failed.*succeeded settlement/);
  });

  it('a payout still queued, sent, or whose delivery failed, takes either outcome', () => {
    for (const status of ['queued', 'sent', 'delivery_failed'] as const) {
      expect(decideSettlement(status, 'succeeded')).toBe('apply');
      expect(decideSettlement(status, 'failed')).toBe('apply');
    }
  });
});

describe('a complete settlement report', () => {
  it('a success names the bank reference; a failure names the reason', () => {
    expect(refusalIfAny(() => assertSettlementComplete({ outcome: 'succeeded', bankReference: 'ABC-20261130-0001' }))).toBeUndefined();
    expect(refusalIfAny(() => assertSettlementComplete({ outcome: 'failed', failureReason: 'account closed' }))).toBeUndefined();
  });

  it('a success without a bank reference is refused, pointing at bankReference', () => {
    for (const report of [
      { outcome: 'succeeded' as const },
      { outcome: 'succeeded' as const, bankReference: '' },
      { outcome: 'succeeded' as const, failureReason: 'x' },
    ]) {
      const error = refusalIfAny(() => assertSettlementComplete(report));
      expect(error?.code).toBe('validation_failed');
      expect(error?.status).toBe(400);
      expect(error?.message).toMatch(/bankReference is required/);
      expect(error?.errors).toEqual([{ path: 'body.bankReference', message: 'required when outcome is succeeded' }]);
    }
  });

  it('a failure with neither a code nor a reason is refused, pointing at failureReason', () => {
    for (const report of [
      { outcome: 'failed' as const },
      { outcome: 'failed' as const, failureReason: '' },
      { outcome: 'failed' as const, bankReference: 'ABC-1' },
    ]) {
      const error = refusalIfAny(() => assertSettlementComplete(report));
      expect(error?.code).toBe('validation_failed');
      expect(error?.message).toMatch(/failureCode or failureReason is required/);
      expect(error?.errors).toEqual([
        { path: 'body.failureReason', message: 'failureCode or failureReason is required when outcome is failed' },
      ]);
    }
  });

  it('a failure with a code alone, or a reason alone, and a bank reference (1.2) is complete', () => {
    expect(
      refusalIfAny(() => assertSettlementComplete({ outcome: 'failed', failureCode: 'account_closed', bankReference: 'RET-1' })),
    ).toBeUndefined();
    expect(refusalIfAny(() => assertSettlementComplete({ outcome: 'failed', failureReason: 'returned' }))).toBeUndefined();
  });
});

describe('delivery of the payout.requested webhook', () => {
  it("the receiver's acknowledgement moves a queued payout, or one whose delivery had failed, to sent", () => {
    expect(becomesSent('queued')).toBe(true);
    expect(becomesSent('delivery_failed')).toBe(true);
  });

  it('an acknowledgement arriving after the payout was sent, settled or failed changes nothing', () => {
    for (const status of ['sent', 'settled', 'failed'] as const) expect(becomesSent(status)).toBe(false);
  });

  it('only a payout whose retries ran out can be redelivered', () => {
    expect(refusalIfAny(() => assertRedeliverable('delivery_failed'))).toBeUndefined();
    for (const status of ['queued', 'sent', 'settled', 'failed'] as PayoutStatus[]) {
      const error = refusalIfAny(() => assertRedeliverable(status));
      expect(error?.code).toBe('invalid_state');
      expect(error?.message).toMatch(new RegExp(`only a delivery_failed payout can be redelivered; this one is ${status}$`, 'i'));
    }
  });
});

describe('a new payout', () => {
  it('is queued, in yuan, with nothing sent, settled or failed yet', () => {
    const payout = queuedPayout(
      {
        payoutId: 'pay_01JF0000000000000000000000',
        disbursementId: 'dsb_01JF0000000000000000000000',
        batchId: null,
        fundId: 'fund_01JF0000000000000000000000',
        countyCode: '500241',
        amount: 2_500_000,
        beneficiary: COOPERATIVE,
      },
      '2026-11-30T08:00:00.000Z',
    );
    expect(payout).toEqual({
      payoutId: 'pay_01JF0000000000000000000000',
      disbursementId: 'dsb_01JF0000000000000000000000',
      batchId: null,
      fundId: 'fund_01JF0000000000000000000000',
      countyCode: '500241',
      amount: 2_500_000,
      currency: 'CNY',
      beneficiary: COOPERATIVE,
      status: 'queued',
      attempts: 0,
      createdAt: '2026-11-30T08:00:00.000Z',
      sentAt: null,
      settledAt: null,
      bankReference: null,
      failureCode: null,
      failureReason: null,
      correctedBy: null,
    });
    // The payout keeps the full account number: the finance system needs it to pay.
    expect(payout.beneficiary.account.accountNumber).toBe('6228480012345678');
  });
});

describe('masking the beneficiary', () => {
  it('shows only the last four digits of the account and keeps everything else', () => {
    expect(maskBeneficiary(COOPERATIVE)).toEqual({
      kind: 'cooperative',
      name: 'Xiushan Tea Cooperative',
      account: { bankName: 'Agricultural Bank of China', accountName: 'Xiushan Tea Cooperative', accountNumber: '****5678' },
    });
    expect(COOPERATIVE.account.accountNumber).toBe('6228480012345678');
  });

  it('a disbursement in a response carries the masked account, the stored one keeps it whole', () => {
    const d = { disbursementId: 'dsb_1', amount: 100, beneficiary: COOPERATIVE } as Disbursement;
    const masked = maskDisbursement(d);
    expect(masked.beneficiary.account.accountNumber).toBe('****5678');
    expect(masked.disbursementId).toBe('dsb_1');
    expect(masked.amount).toBe(100);
    expect(d.beneficiary.account.accountNumber).toBe('6228480012345678');
  });
});
