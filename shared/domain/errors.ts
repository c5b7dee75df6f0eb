/**
 * Typed errors with the contract's stable codes. Domain and data code throw these; the HTTP layer
 * (shared/http/problem.ts) is the one place that turns them into problem+json.
 */
export const ERROR_STATUS = {
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
  rate_limited: 429,
  internal_error: 500,
  temporarily_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_TITLES: Record<ErrorCode, string> = {
  validation_failed: 'The request is not valid',
  idempotency_key_missing: 'Idempotency-Key header is required',
  unauthenticated: 'Authentication required',
  forbidden: 'Not allowed',
  self_approval: 'You cannot decide on your own request',
  not_found: 'Not found',
  invalid_state: 'Not allowed in the current status',
  duplicate_approval: 'Already approved by this approver',
  insufficient_allocation: 'The county allocation cannot cover the amount',
  insufficient_fund_budget: 'The fund budget cannot cover the allocations',
  allocation_below_commitments: 'The allocation would fall below what is reserved and paid',
  campaign_overlap: 'An overlapping campaign exists',
  operator_already_registered: 'The operator already runs a station',
  training_required: 'Operator training must be recorded first',
  idempotency_key_in_flight: 'A request with this Idempotency-Key is still in progress',
  flagged: 'Screening flags must be cleared first',
  account_unverified: 'An account verification is still pending',
  payload_too_large: 'Request body too large',
  idempotency_key_reuse: 'Idempotency-Key reused with a different request',
  rate_limited: 'Too many requests from your address; try again later',
  internal_error: 'Internal error',
  temporarily_unavailable: 'Temporarily unavailable, retry shortly',
};

export interface FieldError {
  path: string;
  message: string;
}

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly errors?: FieldError[];

  constructor(code: ErrorCode, detail?: string, errors?: FieldError[]) {
    super(detail ?? ERROR_TITLES[code]);
    this.name = 'DomainError';
    this.code = code;
    if (errors) this.errors = errors;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string): DomainError => new DomainError('not_found', `${what} was not found`);
export const invalidState = (detail: string): DomainError => new DomainError('invalid_state', detail);
export const validationFailed = (errors: FieldError[], detail = 'The request has invalid fields'): DomainError =>
  new DomainError('validation_failed', detail, errors);
