/** Settlement decisions and masking of payouts, pure. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideSettlement, maskPayout, PAYOUT_STATUSES, SETTLEABLE, type Payout } from '#shared/domain/payouts';
import { DomainError } from '#shared/domain/errors';

describe('decideSettlement', () => {
  it('applies from queued, sent and delivery_failed; repeats the same final outcome; refuses a contradiction', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PAYOUT_STATUSES), fc.constantFrom('succeeded' as const, 'failed' as const), (status, outcome) => {
        const final = outcome === 'succeeded' ? 'settled' : 'failed';
        if (SETTLEABLE.has(status)) expect(decideSettlement(status, outcome)).toBe('apply');
        else if (status === final) expect(decideSettlement(status, outcome)).toBe('repeat');
        else {
          expect(() => decideSettlement(status, outcome)).toThrow(DomainError);
          try {
            decideSettlement(status, outcome);
          } catch (error) {
            expect((error as DomainError).code).toBe('invalid_state');
          }
        }
      }),
    );
    expect([...SETTLEABLE].sort()).toEqual(['delivery_failed', 'queued', 'sent']);
  });
});

describe('maskPayout', () => {
  it('never lets more than the last four digits of the account number through', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{8,30}$/), (accountNumber) => {
        const payout = {
          beneficiary: { kind: 'farmer', name: 'Wang Fang', account: { bankName: 'ABC', accountName: 'Wang Fang', accountNumber } },
        } as Payout;
        const masked = maskPayout(payout);
        expect(masked.beneficiary.account.accountNumber).toBe(`****${accountNumber.slice(-4)}`);
        expect(payout.beneficiary.account.accountNumber).toBe(accountNumber);
      }),
    );
  });
});
