import { describe, expect, it } from 'vitest';
import { readsFullAccount } from '#shared/domain/payout-instruction';
import { payerScope } from '#shared/domain/roles';

describe('readsFullAccount: the paying finance system alone reads its payout with the full account', () => {
  it('the finance system the fund names as its payer', () => {
    expect(readsFullAccount({ sub: 'ledger-bot', roles: ['finance-system'] }, 'ledger-bot')).toBe(true);
  });

  it.each([
    ['another finance system', { sub: 'other-bot', roles: ['finance-system'] }, 'ledger-bot'],
    ['a fund-admin whose sub is the payer’s', { sub: 'ledger-bot', roles: ['fund-admin'] }, 'ledger-bot'],
    ['an auditor whose sub is the payer’s', { sub: 'ledger-bot', roles: ['auditor'] }, 'ledger-bot'],
    [
      'the paying system’s token that also carries the observer role (an observer always reads masked)',
      { sub: 'ledger-bot', roles: ['finance-system', 'observer'] },
      'ledger-bot',
    ],
    ['anyone, for a payout with no payer recorded', { sub: '', roles: ['finance-system'] }, ''],
  ])('not %s', (_who, reader, payer) => {
    expect(readsFullAccount(reader, payer)).toBe(false);
  });
});

describe('payerScope: an observer reads every fund’s money records (masked), not only a paying system’s', () => {
  it('an observer is not limited to one payer', () => {
    expect(payerScope({ sub: 'observer-7', roles: ['observer'] })).toBeUndefined();
  });
});
