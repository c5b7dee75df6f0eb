/** Account verification as pure rules: one per distinct account, answers reused 180 days, pending blocks, non-match flags. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  answered,
  assertAnswerer,
  countVerifications,
  decideAnswer,
  flagOfAnswer,
  itemVerification,
  pendingVerification,
  verificationCountsMove,
  verificationKey,
  verificationNeed,
  verificationPending,
  verificationRequestedData,
  verificationView,
  type AccountVerification,
  type VerificationResult,
  type VerificationStatus,
} from '#shared/domain/account-verification';
import { assertFinalApprovalAllowed, clearFlags, type Flag } from '#shared/domain/warning-rules';
import type { BankAccount } from '#shared/domain/payouts';
import { codeOf } from '#test/support/refusal';

const KEY = 'v'.repeat(43);
const NOW = new Date('2026-12-02T12:00:00.000Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY);
const RESULTS: VerificationResult[] = ['match', 'close_match', 'no_match', 'not_possible'];

const ACCOUNTS: BankAccount[] = [
  { bankName: 'ABC Bank', accountName: 'Wang Fang', accountNumber: '6222020200112233' },
  { bankName: 'ABC Bank', accountName: 'Li Lei', accountNumber: '6222020200112233' },
  { bankName: 'CCB', accountName: 'Wang Fang', accountNumber: '6217000010002000' },
];

describe('the lookup key', () => {
  it('is secret-keyed, one per distinct account however it is typed, and does not contain the number', () => {
    const [a, b, c] = ACCOUNTS as [BankAccount, BankAccount, BankAccount];
    const k = verificationKey(a, KEY);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(k).not.toContain(a.accountNumber);
    expect(verificationKey({ bankName: ' abc bank', accountName: 'WANG FANG ', accountNumber: '6222 0202-0011 2233' }, KEY)).toBe(k);
    expect(verificationKey(b, KEY)).not.toBe(k); // another name on the same number is another account to check
    expect(verificationKey(c, KEY)).not.toBe(k);
    expect(verificationKey(a, 'other'.repeat(9))).not.toBe(k);
  });
});

describe('reuse', () => {
  it('a pending one or an answer of the last 180 days is reused; older, or none, is requested anew', () => {
    expect(verificationNeed(null, NOW)).toBe('request');
    const answeredAt = (days: number) => ({
      status: 'match' as const,
      requestedAt: at(-400).toISOString(),
      checkedAt: at(-days).toISOString(),
    });
    expect(verificationNeed(answeredAt(180), NOW)).toBe('reuse');
    expect(verificationNeed({ ...answeredAt(0), checkedAt: new Date(at(-180).getTime() - 1).toISOString() }, NOW)).toBe('request');
    expect(verificationNeed({ status: 'no_match', requestedAt: at(-3).toISOString(), checkedAt: at(-2).toISOString() }, NOW)).toBe('reuse');
    expect(verificationNeed({ status: 'pending', requestedAt: at(-10).toISOString(), checkedAt: null }, NOW)).toBe('reuse');
    expect(verificationNeed({ status: 'pending', requestedAt: at(-181).toISOString(), checkedAt: null }, NOW)).toBe('request');
  });
});

describe('answers', () => {
  const v = pendingVerification('ver_1', 'fund_1', ACCOUNTS[0]!, NOW.toISOString());

  it('only the paying finance system answers; to anyone else the verification is not found', () => {
    expect(codeOf(() => assertAnswerer('fin-a', 'fin-b', 'ver_1'))).toBe('not_found');
    expect(codeOf(() => assertAnswerer('fin-a', 'fin-a', 'ver_1'))).toBeUndefined();
  });

  it('close_match needs the name the bank holds', () => {
    expect(codeOf(() => decideAnswer(v, { result: 'close_match' }))).toBe('validation_failed');
    expect(codeOf(() => decideAnswer(v, { result: 'close_match', bankAccountName: '  ' }))).toBe('validation_failed');
    expect(decideAnswer(v, { result: 'close_match', bankAccountName: 'Wang Fang Ltd' })).toBe('apply');
  });

  it('the first answer holds: the same again is a no-op, another is invalid_state, in whatever order answers arrive', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...RESULTS), { maxLength: 8 }), (results) => {
        let current: AccountVerification = v;
        for (const [i, result] of results.entries()) {
          const answer = { result, bankAccountName: 'Bank Name' };
          const code = codeOf(() => decideAnswer(current, answer));
          if (i === 0) expect(code).toBeUndefined();
          else expect(code).toBe(result === results[0] ? undefined : 'invalid_state');
          if (code === undefined && decideAnswer(current, answer) === 'apply') current = answered(current, answer, at(i));
        }
        expect(current.status).toBe(results[0] ?? 'pending');
        expect(current.checkedAt).toBe(results.length > 0 ? at(0).toISOString() : null);
      }),
    );
  });

  it('any answer but match is a high flag naming the verification', () => {
    expect(flagOfAnswer({ verificationId: 'ver_1', status: 'pending' }, NOW)).toBeNull();
    expect(flagOfAnswer({ verificationId: 'ver_1', status: 'match' }, NOW)).toBeNull();
    const codes = (['close_match', 'no_match', 'not_possible'] as const).map((status) =>
      flagOfAnswer({ verificationId: 'ver_1', status }, NOW),
    );
    expect(codes.map((f) => [f?.code, f?.severity, f?.matches])).toEqual([
      ['account_close_match', 'high', ['ver_1']],
      ['account_no_match', 'high', ['ver_1']],
      ['account_not_verified', 'high', ['ver_1']],
    ]);
  });
});

describe('who sees the account', () => {
  it('the paying finance system in full (and in the event), every other reader masked', () => {
    const v = pendingVerification('ver_1', 'fund_1', ACCOUNTS[0]!, NOW.toISOString());
    expect(verificationView(v, true).account.accountNumber).toBe('6222020200112233');
    expect(verificationView(v, false).account.accountNumber).toBe('****2233');
    expect(JSON.stringify(verificationView(v, false))).not.toContain('6222020200112233');
    expect(verificationRequestedData(v)).toEqual({
      verificationId: 'ver_1',
      fundId: 'fund_1',
      bankName: 'ABC Bank',
      accountName: 'Wang Fang',
      accountNumber: '6222020200112233',
    });
    expect(itemVerification(v)).toEqual({ verificationId: 'ver_1', status: 'pending', bankAccountName: null, checkedAt: null });
  });
});

describe('batch counts', () => {
  it('moves keep the counts equal to a recount of the rows', () => {
    const statuses = fc.constantFrom<VerificationStatus>('pending', 'match', 'close_match', 'no_match', 'not_possible');
    fc.assert(
      fc.property(
        fc.array(statuses, { minLength: 1, maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(), statuses), { maxLength: 20 }),
        (rows, moves) => {
          const now = [...rows];
          const counts = countVerifications(now);
          for (const [i, to] of moves) {
            const row = i % now.length;
            for (const [name, delta] of Object.entries(verificationCountsMove(now[row]!, to, 1)))
              counts[name as keyof typeof counts] += delta;
            now[row] = to;
          }
          expect(counts).toEqual(countVerifications(now));
          expect(verificationPending(counts)).toBe(now.includes('pending'));
        },
      ),
    );
    expect(verificationPending(null)).toBe(false);
  });
});

/**
 * The model: requests for accounts and answers of the finance system arrive in any order, or never. After every
 * step: one live verification per distinct account, an item waiting on a pending one cannot be finally approved
 * (account_unverified), and an item whose answer was not `match` carries exactly one high flag from it until cleared.
 */
describe('the verification model', () => {
  type Step =
    | { kind: 'request'; account: number; days: number }
    | { kind: 'answer'; account: number; result: VerificationResult }
    | { kind: 'clear' };
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('request' as const), account: fc.nat(2), days: fc.integer({ min: 0, max: 200 }) }),
    fc.record({ kind: fc.constant('answer' as const), account: fc.nat(2), result: fc.constantFrom(...RESULTS) }),
    fc.record({ kind: fc.constant('clear' as const) }),
  );

  it('holds after every step', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 25 }), (steps) => {
        const byKey = new Map<string, AccountVerification>();
        const all: AccountVerification[] = [];
        const items: { verificationId: string; flags: Flag[] }[] = [];
        let clock = 0;
        for (const step of steps) {
          if (step.kind === 'request') {
            clock += step.days;
            const account = ACCOUNTS[step.account]!;
            const key = verificationKey(account, KEY);
            const earlier = byKey.get(key) ?? null;
            let v = earlier;
            if (verificationNeed(earlier, at(clock)) === 'request') {
              v = pendingVerification(`ver_${all.length}`, 'fund_1', account, at(clock).toISOString());
              byKey.set(key, v);
              all.push(v);
            }
            const flag = flagOfAnswer(v!, at(clock));
            items.push({ verificationId: v!.verificationId, flags: flag ? [flag] : [] });
          } else if (step.kind === 'answer') {
            const v = byKey.get(verificationKey(ACCOUNTS[step.account]!, KEY));
            if (!v) continue;
            const answer = { result: step.result, bankAccountName: 'Held Name' };
            const code = codeOf(() => decideAnswer(v, answer));
            if (code !== undefined) {
              expect(code).toBe('invalid_state');
              continue;
            }
            if (decideAnswer(v, answer) === 'repeat') continue;
            const done = answered(v, answer, at(clock));
            byKey.set(verificationKey(ACCOUNTS[step.account]!, KEY), done);
            all[all.findIndex((x) => x.verificationId === v.verificationId)] = done;
            const flag = flagOfAnswer(done, at(clock));
            for (const item of items) if (item.verificationId === done.verificationId && flag) item.flags.push(flag);
          } else {
            for (const item of items) item.flags = clearFlags(item.flags, 'admin', at(clock).toISOString(), 'called the bank');
          }

          // One live verification per distinct account: every reuse found the one before.
          for (const account of ACCOUNTS) {
            const key = verificationKey(account, KEY);
            const live = all.filter((v) => verificationKey(v.account, KEY) === key && verificationNeed(v, at(clock)) === 'reuse');
            expect(live.length).toBeLessThanOrEqual(1);
          }
          for (const item of items) {
            const v = all.find((x) => x.verificationId === item.verificationId)!;
            const code = codeOf(() => assertFinalApprovalAllowed(item.flags, verificationPending(itemVerification(v))));
            const uncleared = item.flags.filter((f) => f.clearedAt === null);
            if (v.status === 'pending') expect(code).toBe('account_unverified');
            else if (uncleared.length > 0) expect(code).toBe('flagged');
            else expect(code).toBeUndefined();
            expect(item.flags.length).toBe(v.status === 'pending' || v.status === 'match' ? 0 : 1);
          }
        }
      }),
    );
  });
});
