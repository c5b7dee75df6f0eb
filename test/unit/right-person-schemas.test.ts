/** The request bodies of API.md 1.2's verification, warning-rule, block-list and correction routes: what is accepted and what is 400. */
import { describe, expect, it } from 'vitest';
import { BlockedAccountsBody, Flag, WarningRules } from '#shared/schemas/warning-rules';
import { AnswerVerificationBody } from '#shared/schemas/verifications';
import { CorrectBatchBody, FailureSummary } from '#shared/schemas/corrections';
import { CorrectDisbursementBody } from '#shared/schemas/disbursements';
import { listBatches } from '#shared/schemas/batches';
import { DEFAULT_RULES, raiseFlag } from '#shared/domain/warning-rules';
import { summarizeFailures } from '#shared/domain/failures';

const beneficiary = {
  kind: 'farmer',
  name: 'Wang Fang',
  account: { bankName: 'ABC Bank', accountName: 'Wang Fang', accountNumber: '6222020200112233' },
};
const PAYOUT = 'pay_01KBX0000000000000000000AB';
const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  r.success ? [] : r.error!.issues.map((i) => i.path.join('.'));

describe('warning rules', () => {
  it('accepts each rule of the contract with its params, the default set, and no rules at all', () => {
    const rules = [
      { code: 'duplicate_beneficiary', severity: 'high', params: {} },
      { code: 'large_amount', severity: 'medium', params: { minAmount: 5_000_000 } },
      { code: 'repeat_payee', severity: 'low', params: { count: 3, days: 90 } },
      { code: 'shared_account', severity: 'high', params: {} },
      { code: 'blocked_account', severity: 'high', params: {} },
    ];
    expect(WarningRules.parse({ rules })).toEqual({ rules });
    expect(WarningRules.parse({ rules: DEFAULT_RULES })).toEqual({ rules: DEFAULT_RULES });
    expect(WarningRules.parse({ rules: [] })).toEqual({ rules: [] });
  });

  it('rejects a code twice, an unknown code or severity, missing or unknown params, out-of-range params', () => {
    const bad = [
      [
        { code: 'large_amount', severity: 'high', params: { minAmount: 1 } },
        { code: 'large_amount', severity: 'low', params: { minAmount: 2 } },
      ],
      [{ code: 'deceased', severity: 'high', params: {} }],
      [{ code: 'shared_account', severity: 'urgent', params: {} }],
      [{ code: 'large_amount', severity: 'high', params: {} }],
      [{ code: 'shared_account', severity: 'high', params: { x: 1 } }],
      [{ code: 'large_amount', severity: 'high', params: { minAmount: 0 } }],
      [{ code: 'repeat_payee', severity: 'high', params: { count: 1, days: 366 } }],
      [{ code: 'repeat_payee', severity: 'high', params: { count: -1, days: 30 } }],
    ];
    for (const rules of bad) expect(WarningRules.safeParse({ rules }).success, JSON.stringify(rules)).toBe(false);
    expect(issues(WarningRules.safeParse({ rules: bad[0] }))).toEqual(['rules.1.code']);
  });

  it('a flag the rules raise has the shape responses show', () => {
    expect(Flag.parse(raiseFlag('large_amount', 'medium', [], new Date('2026-12-02T00:00:00Z')))).toMatchObject({ severity: 'medium' });
  });
});

describe('the block list', () => {
  it('1..10,000 accounts, each with a reason', () => {
    expect(BlockedAccountsBody.safeParse({ accounts: [{ accountNumber: '6222020200112233', reason: 'fraud case 17' }] }).success).toBe(
      true,
    );
    expect(BlockedAccountsBody.safeParse({ accounts: [] }).success).toBe(false);
    expect(BlockedAccountsBody.safeParse({ accounts: [{ accountNumber: '6222020200112233' }] }).success).toBe(false);
    expect(BlockedAccountsBody.safeParse({ accounts: [{ accountNumber: 'abc', reason: 'x' }] }).success).toBe(false);
    const many = Array.from({ length: 10_001 }, () => ({ accountNumber: '6222020200112233', reason: 'x' }));
    expect(BlockedAccountsBody.safeParse({ accounts: many }).success).toBe(false);
    expect(BlockedAccountsBody.safeParse({ accounts: many.slice(1) }).success).toBe(true);
  });
});

describe('verification answers', () => {
  it('one of the four results; close_match needs the name the bank holds', () => {
    expect(AnswerVerificationBody.safeParse({ result: 'match' }).success).toBe(true);
    expect(AnswerVerificationBody.safeParse({ result: 'close_match', bankAccountName: 'Wang Fang Co.' }).success).toBe(true);
    expect(issues(AnswerVerificationBody.safeParse({ result: 'close_match' }))).toEqual(['bankAccountName']);
    expect(AnswerVerificationBody.safeParse({ result: 'pending' }).success).toBe(false);
    expect(AnswerVerificationBody.safeParse({ result: 'match', extra: 1 }).success).toBe(false);
  });
});

describe('corrections', () => {
  it('a disbursement correction names the corrected beneficiary and a reason', () => {
    expect(CorrectDisbursementBody.safeParse({ beneficiary, reason: 'account closed; new card' }).success).toBe(true);
    expect(issues(CorrectDisbursementBody.safeParse({ beneficiary }))).toEqual(['reason']);
    expect(CorrectDisbursementBody.safeParse({ beneficiary, reason: 'x', amount: 5 }).success).toBe(false);
  });

  it('a batch correction: 1..5000 items, each a payout id and a beneficiary', () => {
    expect(CorrectBatchBody.safeParse({ items: [{ payoutId: PAYOUT, beneficiary }], reason: 'closed accounts' }).success).toBe(true);
    expect(CorrectBatchBody.safeParse({ items: [], reason: 'x' }).success).toBe(false);
    expect(issues(CorrectBatchBody.safeParse({ items: [{ payoutId: 'dsb_1', beneficiary }], reason: 'x' }))).toEqual(['items.0.payoutId']);
    const many = Array.from({ length: 5001 }, () => ({ payoutId: PAYOUT, beneficiary }));
    expect(CorrectBatchBody.safeParse({ items: many, reason: 'x' }).success).toBe(false);
  });

  it('the failures summary has the shape the contract gives it', () => {
    const summary = summarizeFailures(
      [{ amount: 100, failureCode: 'account_closed', failedAt: '2026-12-01T00:00:00Z' }],
      new Date('2026-12-02T00:00:00Z'),
    );
    expect(FailureSummary.parse(summary)).toEqual(summary);
  });
});

describe('the batch list', () => {
  it('filters by status, fund and county, and pages', () => {
    expect(listBatches.query!.parse({ status: 'pending_approval', limit: '10' })).toEqual({ status: 'pending_approval', limit: 10 });
    expect(listBatches.query!.safeParse({ status: 'paid' }).success).toBe(false);
    expect(listBatches.query!.safeParse({ owner: 'x' }).success).toBe(false);
  });
});
