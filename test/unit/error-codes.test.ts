/** The contract's error codes: each answers with the HTTP status the published table gives it, and a title. */
import { describe, expect, it } from 'vitest';
import { DomainError, ERROR_STATUS, ERROR_TITLES, invalidState, notFound, validationFailed, type ErrorCode } from '#shared/domain/errors';

/** API.md 1.2, "Errors" (plus the two server-side codes). */
const CONTRACT: Record<string, number> = {
  validation_failed: 400,
  idempotency_key_missing: 400,
  unauthenticated: 401,
  forbidden: 403,
  self_approval: 403,
  not_found: 404,
  invalid_state: 409,
  duplicate_approval: 409,
  insufficient_allocation: 409,
  insufficient_fund_budget: 409,
  allocation_below_commitments: 409,
  campaign_overlap: 409,
  operator_already_registered: 409,
  training_required: 409,
  idempotency_key_in_flight: 409,
  flagged: 409,
  account_unverified: 409,
  payload_too_large: 413,
  idempotency_key_reuse: 422,
  internal_error: 500,
  temporarily_unavailable: 503,
};

describe('error codes', () => {
  it('each answers with the status of the contract', () => {
    for (const [code, status] of Object.entries(CONTRACT)) {
      expect(new DomainError(code as ErrorCode).status, code).toBe(status);
    }
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
