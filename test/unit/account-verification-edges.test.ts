/**
 * Account verification at its edges: reuse exactly 180 days on, answers without a bank name, what is kept of an
 * answer, count moves that move nothing, and what each refusal says.
 */
import { describe, expect, it } from 'vitest';
import {
  answered,
  assertAnswerer,
  decideAnswer,
  pendingVerification,
  verificationCountsMove,
  verificationNeed,
} from '#shared/domain/account-verification';
import { answerOf } from '#test/support/refusal';

const NOW = new Date('2026-12-02T12:00:00.000Z');
const DAY = 86_400_000;
const ACCOUNT = { bankName: 'ABC Bank', accountName: 'Wang Fang', accountNumber: '6222020200112233' };

describe('reuse', () => {
  it('a pending verification requested exactly 180 days ago is still reused; a millisecond more, asked anew', () => {
    const requestedAt = (ms: number) => ({ status: 'pending' as const, requestedAt: new Date(ms).toISOString(), checkedAt: null });
    expect(verificationNeed(requestedAt(NOW.getTime() - 180 * DAY), NOW)).toBe('reuse');
    expect(verificationNeed(requestedAt(NOW.getTime() - 180 * DAY - 1), NOW)).toBe('request');
  });
});

describe('answers', () => {
  const v = pendingVerification('ver_1', 'fund_1', ACCOUNT, NOW.toISOString());

  it('need no bank name unless the result is close_match', () => {
    for (const result of ['match', 'no_match', 'not_possible'] as const) expect(decideAnswer(v, { result })).toBe('apply');
  });

  it('say which field a close_match lacks', () => {
    expect(answerOf(() => decideAnswer(v, { result: 'close_match', bankAccountName: ' ' }))).toEqual({
      code: 'validation_failed',
      message: 'bankAccountName is required when the result is close_match',
      errors: [{ path: 'body.bankAccountName', message: 'required when result is close_match' }],
    });
  });

  it('say what a contradicting answer contradicts', () => {
    const done = answered(v, { result: 'no_match' }, NOW);
    expect(answerOf(() => decideAnswer(done, { result: 'match' }))).toEqual({
      code: 'invalid_state',
      message: 'The verification was already answered no_match; match contradicts it',
    });
  });

  it('keep the name the bank holds, or none, and when the answer came', () => {
    const close = answered(v, { result: 'close_match', bankAccountName: 'Wang Fang Ltd' }, NOW);
    expect(close).toMatchObject({ status: 'close_match', bankAccountName: 'Wang Fang Ltd', checkedAt: NOW.toISOString() });
    expect(answered(v, { result: 'match' }, NOW).bankAccountName).toBeNull();
  });

  it('from anyone but the paying finance system: the verification is not found, by its id', () => {
    expect(answerOf(() => assertAnswerer('fin-a', 'fin-b', 'ver_1'))).toEqual({
      code: 'not_found',
      message: 'Account verification ver_1 was not found',
    });
  });
});

describe('batch count moves', () => {
  it('move nothing when the status stays or no row moves', () => {
    expect(verificationCountsMove('pending', 'pending', 3)).toEqual({});
    expect(verificationCountsMove('pending', 'no_match', 0)).toEqual({});
    expect(verificationCountsMove('pending', 'no_match', 3)).toEqual({ pending: -3, noMatch: 3 });
  });
});
