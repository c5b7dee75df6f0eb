/** The contract's error codes: each answers with the HTTP status the published table gives it, and a title. */
import { describe, expect, it } from 'vitest';
import { DomainError, ERROR_STATUS, ERROR_TITLES, invalidState, notFound, validationFailed, type ErrorCode } from '#shared/domain/errors';

/**
 * API.md 1.2, "Errors", by status, plus the codes answered outside that table: 429 of the public objection form
 * (docs/public-notice.md) and the two server-side codes.
 */
const CONTRACT: Record<number, readonly string[]> = {
  400: ['validation_failed', 'idempotency_key_missing'],
  401: ['unauthenticated'],
  403: ['forbidden', 'self_approval'],
  404: ['not_found'],
  409: [
    'invalid_state',
    'duplicate_approval',
    'insufficient_allocation',
    'insufficient_fund_budget',
    'allocation_below_commitments',
    'campaign_overlap',
    'operator_already_registered',
    'training_required',
    'idempotency_key_in_flight',
    'flagged',
    'account_unverified',
  ],
  413: ['payload_too_large'],
  422: ['idempotency_key_reuse'],
  429: ['rate_limited'],
  500: ['internal_error'],
  503: ['temporarily_unavailable'],
};
const contractStatus = new Map(Object.entries(CONTRACT).flatMap(([status, codes]) => codes.map((code) => [code, Number(status)] as const)));

describe('error codes', () => {
  it('each code the service has answers with the status of the contract, and the contract names every one', () => {
    const codes = Object.keys(ERROR_STATUS) as ErrorCode[];
    for (const code of codes) expect(new DomainError(code).status, code).toBe(contractStatus.get(code));
    expect([...contractStatus.keys()].sort()).toEqual([...codes].sort());
  });

  it('every code has a title of its own, which is the detail when none is given', () => {
    const codes = Object.keys(ERROR_STATUS) as ErrorCode[];
    const titles = codes.map((code) => ERROR_TITLES[code]);
    expect(titles.every((t) => typeof t === 'string' && t.trim().length > 0)).toBe(true);
    expect(new Set(titles).size).toBe(codes.length);
    expect(new DomainError('self_approval').message).toBe('You cannot decide on your own request');
    expect(new DomainError('insufficient_allocation').message).toBe('The county allocation cannot cover the amount');
  });

  it('a domain error carries its code, its field errors when there are some, and says it is a DomainError', () => {
    const error = new DomainError('validation_failed', 'bad', [{ path: 'body.amount', message: 'must be positive' }]);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DomainError');
    expect(error.code).toBe('validation_failed');
    expect(error.message).toBe('bad');
    expect(error.errors).toEqual([{ path: 'body.amount', message: 'must be positive' }]);
    expect(new DomainError('forbidden').errors).toBeUndefined();
  });

  it('the shorthands make the codes the contract names', () => {
    const missing = notFound('Disbursement dsb_1');
    expect([missing.code, missing.status, missing.message]).toEqual(['not_found', 404, 'Disbursement dsb_1 was not found']);
    const state = invalidState('The batch is completed');
    expect([state.code, state.status, state.message]).toEqual(['invalid_state', 409, 'The batch is completed']);
    const invalid = validationFailed([{ path: 'body.amount', message: 'too large' }]);
    expect([invalid.code, invalid.status, invalid.message]).toEqual(['validation_failed', 400, 'The request has invalid fields']);
    expect(invalid.errors).toEqual([{ path: 'body.amount', message: 'too large' }]);
    expect(validationFailed([], 'Row 3 is invalid').message).toBe('Row 3 is invalid');
  });
});
