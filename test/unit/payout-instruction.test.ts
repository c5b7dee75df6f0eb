import { describe, expect, it } from 'vitest';
import { readsFullAccount } from '#shared/domain/payout-instruction';

describe('readsFullAccount: the paying finance system alone reads its payout with the full account', () => {
  it('the finance system the fund names as its payer', () => {
    expect(readsFullAccount({ sub: 'ledger-bot', roles: ['finance-system'] }, 'ledger-bot')).toBe(true);
  });

  it.each([
    ['another finance system', { sub: 'other-bot', roles: ['finance-system'] }, 'ledger-bot'],
    ['a fund-admin whose sub is the payer’s', { sub: 'ledger-bot', roles: ['fund-admin'] }, 'ledger-bot'],
    ['an auditor whose sub is the payer’s', { sub: 'ledger-bot', roles: ['auditor'] }, 'ledger-bot'],
    ['anyone, for a payout with no payer recorded', { sub: '', roles: ['finance-system'] }, ''],
  ])('not %s', (_who, reader, payer) => {
    expect(readsFullAccount(reader, payer)).toBe(false);
  });
});
