/**
 * The one route table. CDK (infra/constructs/http-routes.ts) and the local HTTP adapter both read it,
 * so a route exists in exactly one place. Data only: no imports of handlers or AWS code.
 */
import { ROLES, type Role } from './domain/roles.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The Lambda function (one per bounded context) that serves a route: functions/http/<fn>.ts. */
export type HttpFunctionName =
  | 'public'
  | 'counties'
  | 'funds'
  | 'disbursements'
  | 'batches'
  | 'payouts'
  | 'webhook-endpoints'
  | 'campaigns'
  | 'stations'
  | 'notices'
  | 'reconciliations'
  | 'access-log'
  | 'reports'
  | 'transparency';

/**
 * `required`: a POST that creates a resource and must carry `Idempotency-Key`.
 * `honoured`: any other POST; a key is used when present.
 */
export type IdempotencyRule = 'required' | 'honoured' | 'none';

export interface RouteDefinition {
  method: HttpMethod;
  /** API Gateway path syntax: `/v1/funds/{fundId}`. */
  path: string;
  fn: HttpFunctionName;
  operationId: string;
  /** Roles allowed to call the route; `public` routes take no token at all. */
  roles: readonly Role[] | 'public';
  idempotency: IdempotencyRule;
  /**
   * Largest accepted body in bytes. API Gateway itself stops at 10 MiB, and Lambda at a 6 MB event with
   * the body escaped inside: above what fits, the caller gets API Gateway's 413, not ours.
   */
  maxBodyBytes: number;
  /** A route's own API Gateway throttle (requests per second, burst), tighter than the stage's: public writes. */
  throttle?: { rateLimit: number; burstLimit: number };
}

const ALL = ROLES;
/** Disbursements, batches and payouts: an observer reads them too, always masked. */
const MONEY_READERS: readonly Role[] = ['fund-admin', 'requester', 'approver', 'finance-system', 'auditor', 'observer'];
const PAYOUT_READERS: readonly Role[] = ['fund-admin', 'finance-system', 'auditor', 'observer'];
/** A bank-statement reconciliation and account verifications: the paying systems' work, not among what an observer reads. */
const RECONCILIATION_READERS: readonly Role[] = ['fund-admin', 'finance-system', 'auditor'];
/** The access log of observers' requests: read by fund-admin and auditor, never by an observer. */
const ACCESS_LOG_READERS: readonly Role[] = ['fund-admin', 'auditor'];
const ENDPOINT_READERS: readonly Role[] = ['fund-admin', 'auditor'];
/** Webhook endpoints: a finance system binds, sees, changes, rotates and deletes its own (checked against each endpoint). */
const ENDPOINT_OWNERS: readonly Role[] = ['fund-admin', 'finance-system'];
const ENDPOINT_OWNER_READERS: readonly Role[] = ['fund-admin', 'finance-system', 'auditor'];
/** The event log: a finance system reads the events of the funds it pays (checked against each event). */
const EVENT_READERS: readonly Role[] = ['fund-admin', 'finance-system', 'auditor'];
/** The fund ledger: fund-admin, auditor and the fund's own finance system (checked against the fund). */
const LEDGER_READERS: readonly Role[] = ['fund-admin', 'finance-system', 'auditor'];
const MAKERS: readonly Role[] = ['requester', 'fund-admin'];
/** Snapshots and reports: fund-admin, auditor and observers. */
const SNAPSHOT_READERS: readonly Role[] = ['fund-admin', 'auditor', 'observer'];
/** A fund's warning rules (observers too) and its block list (masked; not for observers, API.md). */
const RULE_READERS: readonly Role[] = ['fund-admin', 'auditor', 'observer'];
const BLOCK_LIST_READERS: readonly Role[] = ['fund-admin', 'auditor'];

const KB = 1024;
/** A synchronous Lambda invocation takes at most 6 MB of request payload: the whole payload-v2 event, body escaped inside. */
export const LAMBDA_MAX_REQUEST_PAYLOAD_BYTES = 6 * 1024 * KB;
const SMALL = 64 * KB;
/**
 * What the payload-v2 event holds besides the body: the request line and headers (at most 10,240 bytes in
 * HTTP API) show up in it about three times (headers; path and query, raw and parsed; the JWT's claims)
 * and escape to at most twice their size, plus a few fixed fields.
 */
const EVENT_ENVELOPE = 64 * KB;
/**
 * A batch body of up to this many bytes still fits the invocation once in the event, so our function,
 * not API Gateway, answers every batch, and says 413 problem+json above it. A JSON document escapes to
 * at most twice its size in the event's `body` string (`"`, `\` and the whitespace \n \r \t take two
 * characters; UTF-8 stays as it is), a base64-encoded binary body takes 4/3. About 2.97 MiB: a realistic
 * 5,000-row batch (Chinese names, banks, memos) measured 0.9 to 1.4 MB compact, 2.0 MB pretty-printed.
 * Only a body that is not JSON text (raw control characters take six) can escape past it.
 */
/** An objection from the public: the contract's 4 KB. */
const OBJECTION = 4 * KB;
const BATCH = (LAMBDA_MAX_REQUEST_PAYLOAD_BYTES - EVENT_ENVELOPE) / 2;
/**
 * A bank statement of up to 10,000 lines, JSON or CSV, under the same bound as a batch: a line takes about
 * 100 bytes as JSON with a payoutId (1.0 MB for 10,000), at most about 250 with a 100-character reference.
 */
const STATEMENT = BATCH;

/** Any of a route's defaults changed: the idempotency rule, a larger body, a throttle of its own. */
type RouteOptions = Partial<Pick<RouteDefinition, 'idempotency' | 'maxBodyBytes' | 'throttle'>>;
type RouteArgs = [path: string, fn: HttpFunctionName, operationId: string, roles: RouteDefinition['roles'], options?: RouteOptions];

/** The public notice routes take no token: each has its own, lower throttle (objections lowest). */
const PUBLIC_READ_THROTTLE = { rateLimit: 50, burstLimit: 100 };
const PUBLIC_WRITE_THROTTLE = { rateLimit: 5, burstLimit: 10 };

/** A POST honours `Idempotency-Key` and any route takes a small body, unless its options say otherwise. */
function route(method: HttpMethod, ...[path, fn, operationId, roles, options]: RouteArgs): RouteDefinition {
  return {
    idempotency: method === 'POST' ? 'honoured' : 'none',
    maxBodyBytes: SMALL,
    method,
    path,
    fn,
    operationId,
    roles,
    ...options,
  };
}
const get = (...args: RouteArgs) => route('GET', ...args);
const post = (...args: RouteArgs) => route('POST', ...args);
const put = (...args: RouteArgs) => route('PUT', ...args);
const patch = (...args: RouteArgs) => route('PATCH', ...args);
const del = (...args: RouteArgs) => route('DELETE', ...args);

export const routes: readonly RouteDefinition[] = [
  // public
  get('/health', 'public', 'getHealth', 'public'),
  get('/v1/openapi.json', 'public', 'getOpenApi', 'public'),
  get('/docs', 'public', 'getDocs', 'public'),
  get('/docs/reference.js', 'public', 'getDocsReference', 'public'),

  // counties
  put('/v1/counties/{countyCode}', 'counties', 'putCounty', ['fund-admin']),
  get('/v1/counties', 'counties', 'listCounties', ALL),
  get('/v1/counties/{countyCode}', 'counties', 'getCounty', ALL),
  get('/v1/counties/{countyCode}/report', 'counties', 'getCountyReport', ALL),

  // funds and allocations
  post('/v1/funds', 'funds', 'createFund', ['fund-admin'], { idempotency: 'required' }),
  get('/v1/funds', 'funds', 'listFunds', ALL),
  get('/v1/funds/{fundId}', 'funds', 'getFund', ALL),
  put('/v1/funds/{fundId}/allocations/{countyCode}', 'funds', 'putAllocation', ['fund-admin']),
  get('/v1/funds/{fundId}/allocations', 'funds', 'listAllocations', ALL),
  get('/v1/funds/{fundId}/ledger', 'funds', 'getFundLedger', LEDGER_READERS),
  get('/v1/funds/{fundId}/progress', 'funds', 'getFundProgress', ALL),
  post('/v1/funds/{fundId}/snapshots', 'funds', 'createSnapshot', ['fund-admin']),
  get('/v1/funds/{fundId}/snapshots', 'funds', 'listSnapshots', SNAPSHOT_READERS),
  get('/v1/funds/{fundId}/snapshots/{snapshotId}', 'funds', 'getSnapshot', SNAPSHOT_READERS),
  // The half-year report (JSON, HTML, PDF): its own function, which carries the PDF library and the CJK font.
  get('/v1/funds/{fundId}/reports/{half}', 'reports', 'getHalfYearReport', SNAPSHOT_READERS),
  // The fund's public side (公告公示): no token, aggregates only, the public read throttle.
  get('/public/funds/{fundId}', 'transparency', 'getPublicFund', 'public', { throttle: PUBLIC_READ_THROTTLE }),
  get('/transparency/{fundId}', 'transparency', 'getTransparencyPage', 'public', { throttle: PUBLIC_READ_THROTTLE }),

  // warning rules (预警) and the block list
  put('/v1/funds/{fundId}/warning-rules', 'funds', 'putWarningRules', ['fund-admin']),
  get('/v1/funds/{fundId}/warning-rules', 'funds', 'getWarningRules', RULE_READERS),
  // Up to 10,000 accounts with their reasons: a batch's bound.
  post('/v1/funds/{fundId}/blocked-accounts', 'funds', 'addBlockedAccounts', ['fund-admin'], { maxBodyBytes: BATCH }),
  get('/v1/funds/{fundId}/blocked-accounts', 'funds', 'listBlockedAccounts', BLOCK_LIST_READERS),
  del('/v1/funds/{fundId}/blocked-accounts/{entryId}', 'funds', 'deleteBlockedAccount', ['fund-admin']),

  // disbursements
  post('/v1/disbursements', 'disbursements', 'createDisbursement', MAKERS, { idempotency: 'required' }),
  get('/v1/disbursements', 'disbursements', 'listDisbursements', MONEY_READERS),
  get('/v1/disbursements/{disbursementId}', 'disbursements', 'getDisbursement', MONEY_READERS),
  post('/v1/disbursements/{disbursementId}/approve', 'disbursements', 'approveDisbursement', ['approver']),
  post('/v1/disbursements/{disbursementId}/reject', 'disbursements', 'rejectDisbursement', ['approver']),
  post('/v1/disbursements/{disbursementId}/corrections', 'disbursements', 'correctDisbursement', MAKERS),
  post('/v1/disbursements/{disbursementId}/cancel', 'disbursements', 'cancelDisbursement', MAKERS),
  post('/v1/disbursements/{disbursementId}/clear-flags', 'disbursements', 'clearDisbursementFlags', ['fund-admin']),

  // disbursement batches
  post('/v1/disbursement-batches', 'batches', 'createBatch', MAKERS, { idempotency: 'required', maxBodyBytes: BATCH }),
  get('/v1/disbursement-batches', 'batches', 'listBatches', MONEY_READERS),
  get('/v1/disbursement-batches/{batchId}', 'batches', 'getBatch', MONEY_READERS),
  get('/v1/disbursement-batches/{batchId}/payouts', 'batches', 'listBatchPayouts', MONEY_READERS),
  post('/v1/disbursement-batches/{batchId}/approve', 'batches', 'approveBatch', ['approver']),
  post('/v1/disbursement-batches/{batchId}/reject', 'batches', 'rejectBatch', ['approver']),
  post('/v1/disbursement-batches/{batchId}/cancel', 'batches', 'cancelBatch', MAKERS),
  post('/v1/disbursement-batches/{batchId}/corrections', 'batches', 'correctBatch', MAKERS, { maxBodyBytes: BATCH }),
  get('/v1/disbursement-batches/{batchId}/flags', 'batches', 'listBatchFlags', MONEY_READERS),
  post('/v1/disbursement-batches/{batchId}/clear-flags', 'batches', 'clearBatchFlags', ['fund-admin']),

  // payouts and settlement
  get('/v1/payouts', 'payouts', 'listPayouts', PAYOUT_READERS),
  get('/v1/payouts/{payoutId}', 'payouts', 'getPayout', PAYOUT_READERS),
  // 1.2: the failed payouts not yet corrected (a finance system: of a fund it pays)
  get('/v1/payouts/failures', 'payouts', 'getPayoutFailures', PAYOUT_READERS),
  post('/v1/payouts/{payoutId}/settlement', 'payouts', 'settlePayout', ['finance-system']),
  post('/v1/payouts/{payoutId}/redeliver', 'payouts', 'redeliverPayout', ['fund-admin']),

  // account verification (1.2): served by the payouts function, the paying finance system's other routes
  get('/v1/account-verifications', 'payouts', 'listAccountVerifications', RECONCILIATION_READERS),
  post('/v1/account-verifications/{verificationId}', 'payouts', 'answerAccountVerification', ['finance-system']),

  // bank-statement reconciliation (no money moves: its own function, reading payouts, writing only its result)
  // API.md requires the key on its five listed creates only; here it is honoured, as on every other POST.
  post('/v1/reconciliations', 'reconciliations', 'createReconciliation', ['finance-system'], { maxBodyBytes: STATEMENT }),
  get('/v1/reconciliations/{reconciliationId}', 'reconciliations', 'getReconciliation', RECONCILIATION_READERS),

  // webhook endpoints
  post('/v1/webhook-endpoints', 'webhook-endpoints', 'createWebhookEndpoint', ENDPOINT_OWNERS),
  get('/v1/webhook-endpoints', 'webhook-endpoints', 'listWebhookEndpoints', ENDPOINT_OWNER_READERS),
  get('/v1/webhook-endpoints/{endpointId}', 'webhook-endpoints', 'getWebhookEndpoint', ENDPOINT_OWNER_READERS),
  del('/v1/webhook-endpoints/{endpointId}', 'webhook-endpoints', 'deleteWebhookEndpoint', ENDPOINT_OWNERS),
  post('/v1/webhook-endpoints/{endpointId}/rotate-secret', 'webhook-endpoints', 'rotateWebhookSecret', ENDPOINT_OWNERS),
  get('/v1/webhook-endpoints/{endpointId}/deliveries', 'webhook-endpoints', 'listWebhookDeliveries', ENDPOINT_OWNER_READERS),
  patch('/v1/webhook-endpoints/{endpointId}', 'webhook-endpoints', 'updateWebhookEndpoint', ENDPOINT_OWNERS),
  post('/v1/webhook-endpoints/{endpointId}/test', 'webhook-endpoints', 'testWebhookEndpoint', ['fund-admin']),
  post('/v1/webhook-endpoints/{endpointId}/messages/{messageId}/resend', 'webhook-endpoints', 'resendWebhookMessage', ['fund-admin']),

  // the event log (the outbox's event items)
  get('/v1/events', 'webhook-endpoints', 'listEvents', EVENT_READERS),
  get('/v1/events/{messageId}', 'webhook-endpoints', 'getEvent', EVENT_READERS),

  // campaigns
  post('/v1/campaigns', 'campaigns', 'launchCampaign', ['campaign-operator'], { idempotency: 'required' }),
  get('/v1/campaigns', 'campaigns', 'listCampaigns', ALL),
  get('/v1/campaigns/{campaignId}', 'campaigns', 'getCampaign', ALL),
  post('/v1/campaigns/{campaignId}/cancel', 'campaigns', 'cancelCampaign', ['campaign-operator', 'fund-admin']),
  post('/v1/campaigns/{campaignId}/results', 'campaigns', 'reportCampaignResults', ['campaign-operator']),

  // public notice (公示) and objections: the public side takes no token (throttled in API Gateway)
  get('/public/notices', 'notices', 'listPublicNotices', 'public', { throttle: PUBLIC_READ_THROTTLE }),
  get('/public/notices/{noticeId}', 'notices', 'getPublicNotice', 'public', { throttle: PUBLIC_READ_THROTTLE }),
  post('/public/notices/{noticeId}/objections', 'notices', 'fileObjection', 'public', {
    idempotency: 'none',
    maxBodyBytes: OBJECTION,
    throttle: PUBLIC_WRITE_THROTTLE,
  }),
  get('/notices', 'notices', 'listNoticePages', 'public', { throttle: PUBLIC_READ_THROTTLE }),
  get('/notices/{noticeId}', 'notices', 'getNoticePage', 'public', { throttle: PUBLIC_READ_THROTTLE }),
  post('/notices/{noticeId}/objections', 'notices', 'postNoticeObjectionForm', 'public', {
    idempotency: 'none',
    maxBodyBytes: OBJECTION,
    throttle: PUBLIC_WRITE_THROTTLE,
  }),
  get('/v1/objections', 'notices', 'listObjections', ENDPOINT_READERS),
  post('/v1/objections/{objectionId}/resolve', 'notices', 'resolveObjection', ['fund-admin']),
  post('/v1/objections/resolve', 'notices', 'resolveObjections', ['fund-admin']),

  // the access log of observers' requests
  get('/v1/access-log', 'access-log', 'listAccessLog', ACCESS_LOG_READERS),

  // service stations
  post('/v1/stations', 'stations', 'applyStation', ['station-officer'], { idempotency: 'required' }),
  get('/v1/stations', 'stations', 'listStations', ALL),
  get('/v1/stations/{stationId}', 'stations', 'getStation', ALL),
  post('/v1/stations/{stationId}/training', 'stations', 'recordStationTraining', ['station-officer']),
  post('/v1/stations/{stationId}/approve', 'stations', 'approveStation', ['station-officer']),
  post('/v1/stations/{stationId}/reject', 'stations', 'rejectStation', ['station-officer']),
  post('/v1/stations/{stationId}/suspend', 'stations', 'suspendStation', ['station-officer']),
  post('/v1/stations/{stationId}/reinstate', 'stations', 'reinstateStation', ['station-officer']),
];

/** `GET /v1/funds/{fundId}`: API Gateway's route key, also found in payload v2 events. */
export function routeKey(r: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${r.method} ${r.path}`;
}

export const HTTP_FUNCTIONS: readonly HttpFunctionName[] = [...new Set(routes.map((r) => r.fn))];

export function routesOf(fn: HttpFunctionName): RouteDefinition[] {
  return routes.filter((r) => r.fn === fn);
}

/** Background functions: the worker and the expander read SQS, the sweepers run on a schedule. */
export const QUEUE_FUNCTIONS = ['webhook-delivery', 'batch-expander'] as const;
export const SCHEDULED_FUNCTIONS = ['outbox-sweeper', 'ledger-check', 'monthly-snapshots', 'fund-alerts'] as const;
export type QueueFunctionName = (typeof QUEUE_FUNCTIONS)[number];
export type ScheduledFunctionName = (typeof SCHEDULED_FUNCTIONS)[number];
