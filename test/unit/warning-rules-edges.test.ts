/**
 * Warning rules at their edges: the exact bounds of the rule parameters and of large_amount, settlements dated after
 * now, the case folding behind shared_account's stored keys, batch summaries of mixed severities, and what each
 * refusal says.
 */
import { describe, expect, it } from 'vitest';
import {
  accountNameKey,
  assertFinalApprovalAllowed,
  decideUnblock,
  evaluateRules,
  NO_FACTS,
  raiseFlag,
  summarizeRowFlags,
  validateRules,
  type WarningRule,
} from '#shared/domain/warning-rules';
import { answerOf } from '#test/support/refusal';

const NOW = new Date('2026-06-01T00:00:00.000Z');

describe('the rules a fund sets', () => {
  it('accept repeat_payee up to 49 settlements and 365 days', () => {
    const rules: WarningRule[] = [{ code: 'repeat_payee', severity: 'low', params: { count: 49, days: 365 } }];
    expect(validateRules(rules)).toEqual(rules);
  });

  it('name every field that is wrong', () => {
    const rules: WarningRule[] = [
      { code: 'repeat_payee', severity: 'low', params: { count: 50, days: 366 } },
      { code: 'repeat_payee', severity: 'high', params: { count: 1, days: 1 } },
    ];
    expect(answerOf(() => validateRules(rules))).toEqual({
      code: 'validation_failed',
      message: 'The warning rules are not valid',
      errors: [
        { path: 'body.rules.0.params.count', message: 'must be below 50' },
        { path: 'body.rules.0.params.days', message: 'must be at most 365' },
        { path: 'body.rules.1.code', message: 'repeat_payee appears more than once' },
      ],
    });
  });

  it('are copied: changing the input afterwards does not change the rules kept', () => {
    const large = { code: 'large_amount' as const, severity: 'medium' as const, params: { minAmount: 500 } };
    const kept = validateRules([large]);
    large.params.minAmount = 1;
    expect(kept).toEqual([{ code: 'large_amount', severity: 'medium', params: { minAmount: 500 } }]);
  });
});

describe('the rules on one item', () => {
  it('large_amount flags exactly minAmount and above, and points at nothing', () => {
    const rule: WarningRule = { code: 'large_amount', severity: 'medium', params: { minAmount: 500 } };
    expect(evaluateRules([rule], { amount: 499, nameKey: 'a' }, NO_FACTS, NOW)).toEqual([]);
    expect(evaluateRules([rule], { amount: 500, nameKey: 'a' }, NO_FACTS, NOW)).toEqual([raiseFlag('large_amount', 'medium', [], NOW)]);
  });

  it('an account seen for the first time has no facts: only large_amount can flag it', () => {
    expect(NO_FACTS).toEqual({ duplicates: [], settlements: [], names: [], blockedEntryId: null });
    const rules: WarningRule[] = [
      { code: 'duplicate_beneficiary', severity: 'high', params: {} },
      { code: 'repeat_payee', severity: 'low', params: { count: 0, days: 365 } },
      { code: 'shared_account', severity: 'high', params: {} },
      { code: 'blocked_account', severity: 'high', params: {} },
    ];
    expect(evaluateRules(rules, { amount: 1, nameKey: 'a' }, NO_FACTS, NOW)).toEqual([]);
  });

  it('repeat_payee does not count a settlement dated after now', () => {
    const rule: WarningRule = { code: 'repeat_payee', severity: 'low', params: { count: 1, days: 30 } };
    const settlement = (payoutId: string, at: number) => ({ payoutId, settledAt: new Date(NOW.getTime() + at).toISOString() });
    const facts = { ...NO_FACTS, settlements: [settlement('pay_late', 1), settlement('pay_now', 0), settlement('pay_1', -1000)] };
    expect(evaluateRules([rule], { amount: 1, nameKey: 'a' }, facts, NOW)).toEqual([
      raiseFlag('repeat_payee', 'low', ['pay_now', 'pay_1'], NOW),
    ]);
    const oneBefore = { ...NO_FACTS, settlements: [settlement('pay_late', 1), settlement('pay_1', -1000)] };
    expect(evaluateRules([rule], { amount: 1, nameKey: 'a' }, oneBefore, NOW)).toEqual([]);
  });
});

describe('account names for shared_account', () => {
  it('are keyed trimmed and in lower case, as the keys already stored were made', () => {
    expect(accountNameKey('  Wang FANG ')).toBe('wang fang');
    // folded through upper case first, so that the two spellings of ß meet
    expect(accountNameKey('Straße')).toBe(accountNameKey('STRASSE'));
    expect(accountNameKey('Straße')).toBe('strasse');
  });
});

describe('batch flags and approvals', () => {
  it('a batch counts its flags, the high ones among them as blocking, and each code', () => {
    expect(
      summarizeRowFlags([
        { code: 'large_amount', severity: 'high' },
        { code: 'repeat_payee', severity: 'medium' },
        { code: 'shared_account', severity: 'low' },
        { code: 'large_amount', severity: 'high' },
      ]),
    ).toEqual({
      count: 4,
      blocking: 2,
      byCode: { large_amount: 2, repeat_payee: 1, shared_account: 1 },
      cleared: false,
    });
    expect(summarizeRowFlags([{ code: 'shared_account', severity: 'low' }])).toEqual({
      count: 1,
      blocking: 0,
      byCode: { shared_account: 1 },
      cleared: false,
    });
  });

  it('says why the final approval must wait', () => {
    expect(answerOf(() => assertFinalApprovalAllowed([], true))).toEqual({
      code: 'account_unverified',
      message: 'The account verification this request needs is still pending',
    });
    expect(answerOf(() => assertFinalApprovalAllowed([{ severity: 'high', clearedAt: null }], false))).toEqual({
      code: 'flagged',
      message: 'The request has a high flag that a fund-admin must clear before the final approval',
    });
  });

  it('says why an entry of the block list stays', () => {
    expect(answerOf(() => decideUnblock({ addedBy: 'admin-1' }, 'admin-1'))).toEqual({
      code: 'self_approval',
      message: 'You cannot remove a block-list entry you added',
    });
    expect(answerOf(() => decideUnblock({ addedBy: 'admin-1' }, 'admin-2'))).toBeUndefined();
  });
});
