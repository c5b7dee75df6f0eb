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

type RouteInput = Omit<RouteDefinition, 'idempotency' | 'maxBodyBytes'> & Partial<Pick<RouteDefinition, 'idempotency' | 'maxBodyBytes'>>;

/** The public notice routes take no token: each has its own, lower throttle (objections lowest). */
const PUBLIC_READ_THROTTLE = { rateLimit: 50, burstLimit: 100 };
const PUBLIC_WRITE_THROTTLE = { rateLimit: 5, burstLimit: 10 };

function route(input: RouteInput): RouteDefinition {
  return {
    idempotency: input.method === 'POST' ? 'honoured' : 'none',
    maxBodyBytes: SMALL,
    ...input,
  };
}

export const routes: readonly RouteDefinition[] = [
  // public
  route({ method: 'GET', path: '/health', fn: 'public', operationId: 'getHealth', roles: 'public' }),
  route({ method: 'GET', path: '/v1/openapi.json', fn: 'public', operationId: 'getOpenApi', roles: 'public' }),
  route({ method: 'GET', path: '/docs', fn: 'public', operationId: 'getDocs', roles: 'public' }),
  route({ method: 'GET', path: '/docs/reference.js', fn: 'public', operationId: 'getDocsReference', roles: 'public' }),

  // counties
  route({ method: 'PUT', path: '/v1/counties/{countyCode}', fn: 'counties', operationId: 'putCounty', roles: ['fund-admin'] }),
  route({ method: 'GET', path: '/v1/counties', fn: 'counties', operationId: 'listCounties', roles: ALL }),
  route({ method: 'GET', path: '/v1/counties/{countyCode}', fn: 'counties', operationId: 'getCounty', roles: ALL }),
  route({ method: 'GET', path: '/v1/counties/{countyCode}/report', fn: 'counties', operationId: 'getCountyReport', roles: ALL }),

  // funds and allocations
  route({ method: 'POST', path: '/v1/funds', fn: 'funds', operationId: 'createFund', roles: ['fund-admin'], idempotency: 'required' }),
  route({ method: 'GET', path: '/v1/funds', fn: 'funds', operationId: 'listFunds', roles: ALL }),
  route({ method: 'GET', path: '/v1/funds/{fundId}', fn: 'funds', operationId: 'getFund', roles: ALL }),
  route({
    method: 'PUT',
    path: '/v1/funds/{fundId}/allocations/{countyCode}',
    fn: 'funds',
    operationId: 'putAllocation',
    roles: ['fund-admin'],
  }),
  route({ method: 'GET', path: '/v1/funds/{fundId}/allocations', fn: 'funds', operationId: 'listAllocations', roles: ALL }),
  route({ method: 'GET', path: '/v1/funds/{fundId}/ledger', fn: 'funds', operationId: 'getFundLedger', roles: LEDGER_READERS }),
  route({ method: 'GET', path: '/v1/funds/{fundId}/progress', fn: 'funds', operationId: 'getFundProgress', roles: ALL }),
  route({ method: 'POST', path: '/v1/funds/{fundId}/snapshots', fn: 'funds', operationId: 'createSnapshot', roles: ['fund-admin'] }),
  route({ method: 'GET', path: '/v1/funds/{fundId}/snapshots', fn: 'funds', operationId: 'listSnapshots', roles: SNAPSHOT_READERS }),
  route({
    method: 'GET',
    path: '/v1/funds/{fundId}/snapshots/{snapshotId}',
    fn: 'funds',
    operationId: 'getSnapshot',
    roles: SNAPSHOT_READERS,
  }),
  // The half-year report (JSON, HTML, PDF): its own function, which carries the PDF library and the CJK font.
  route({
    method: 'GET',
    path: '/v1/funds/{fundId}/reports/{half}',
    fn: 'reports',
    operationId: 'getHalfYearReport',
    roles: SNAPSHOT_READERS,
  }),
  // The fund's public side (公告公示): no token, aggregates only, the public read throttle.
  route({
    method: 'GET',
    path: '/public/funds/{fundId}',
    fn: 'transparency',
    operationId: 'getPublicFund',
    roles: 'public',
    throttle: PUBLIC_READ_THROTTLE,
  }),
  route({
    method: 'GET',
    path: '/transparency/{fundId}',
    fn: 'transparency',
    operationId: 'getTransparencyPage',
    roles: 'public',
    throttle: PUBLIC_READ_THROTTLE,
  }),

  // warning rules (预警) and the block list
  route({ method: 'PUT', path: '/v1/funds/{fundId}/warning-rules', fn: 'funds', operationId: 'putWarningRules', roles: ['fund-admin'] }),
  route({ method: 'GET', path: '/v1/funds/{fundId}/warning-rules', fn: 'funds', operationId: 'getWarningRules', roles: RULE_READERS }),
  route({
    method: 'POST',
    path: '/v1/funds/{fundId}/blocked-accounts',
    fn: 'funds',
    operationId: 'addBlockedAccounts',
    roles: ['fund-admin'],
    // Up to 10,000 accounts with their reasons: a batch's bound.
    maxBodyBytes: BATCH,
  }),
  route({
    method: 'GET',
    path: '/v1/funds/{fundId}/blocked-accounts',
    fn: 'funds',
    operationId: 'listBlockedAccounts',
    roles: BLOCK_LIST_READERS,
  }),
  route({
    method: 'DELETE',
    path: '/v1/funds/{fundId}/blocked-accounts/{entryId}',
    fn: 'funds',
    operationId: 'deleteBlockedAccount',
    roles: ['fund-admin'],
  }),

  // disbursements
  route({
    method: 'POST',
    path: '/v1/disbursements',
    fn: 'disbursements',
    operationId: 'createDisbursement',
    roles: MAKERS,
    idempotency: 'required',
  }),
  route({ method: 'GET', path: '/v1/disbursements', fn: 'disbursements', operationId: 'listDisbursements', roles: MONEY_READERS }),
  route({
    method: 'GET',
    path: '/v1/disbursements/{disbursementId}',
    fn: 'disbursements',
    operationId: 'getDisbursement',
    roles: MONEY_READERS,
  }),
  route({
    method: 'POST',
    path: '/v1/disbursements/{disbursementId}/approve',
    fn: 'disbursements',
    operationId: 'approveDisbursement',
    roles: ['approver'],
  }),
  route({
    method: 'POST',
    path: '/v1/disbursements/{disbursementId}/reject',
    fn: 'disbursements',
    operationId: 'rejectDisbursement',
    roles: ['approver'],
  }),
  route({
    method: 'POST',
    path: '/v1/disbursements/{disbursementId}/corrections',
    fn: 'disbursements',
    operationId: 'correctDisbursement',
    roles: MAKERS,
  }),
  route({
    method: 'POST',
    path: '/v1/disbursements/{disbursementId}/cancel',
    fn: 'disbursements',
    operationId: 'cancelDisbursement',
    roles: MAKERS,
  }),
  route({
    method: 'POST',
    path: '/v1/disbursements/{disbursementId}/clear-flags',
    fn: 'disbursements',
    operationId: 'clearDisbursementFlags',
    roles: ['fund-admin'],
  }),

  // disbursement batches
  route({
    method: 'POST',
    path: '/v1/disbursement-batches',
    fn: 'batches',
    operationId: 'createBatch',
    roles: MAKERS,
    idempotency: 'required',
    maxBodyBytes: BATCH,
  }),
  route({ method: 'GET', path: '/v1/disbursement-batches', fn: 'batches', operationId: 'listBatches', roles: MONEY_READERS }),
  route({ method: 'GET', path: '/v1/disbursement-batches/{batchId}', fn: 'batches', operationId: 'getBatch', roles: MONEY_READERS }),
  route({
    method: 'GET',
    path: '/v1/disbursement-batches/{batchId}/payouts',
    fn: 'batches',
    operationId: 'listBatchPayouts',
    roles: MONEY_READERS,
  }),
  route({
    method: 'POST',
    path: '/v1/disbursement-batches/{batchId}/approve',
    fn: 'batches',
    operationId: 'approveBatch',
    roles: ['approver'],
  }),
  route({
    method: 'POST',
    path: '/v1/disbursement-batches/{batchId}/reject',
    fn: 'batches',
    operationId: 'rejectBatch',
    roles: ['approver'],
  }),
  route({ method: 'POST', path: '/v1/disbursement-batches/{batchId}/cancel', fn: 'batches', operationId: 'cancelBatch', roles: MAKERS }),
  route({
    method: 'POST',
    path: '/v1/disbursement-batches/{batchId}/corrections',
    fn: 'batches',
    operationId: 'correctBatch',
    roles: MAKERS,
    maxBodyBytes: BATCH,
  }),
  route({
    method: 'GET',
    path: '/v1/disbursement-batches/{batchId}/flags',
    fn: 'batches',
    operationId: 'listBatchFlags',
    roles: MONEY_READERS,
  }),
  route({
    method: 'POST',
    path: '/v1/disbursement-batches/{batchId}/clear-flags',
    fn: 'batches',
    operationId: 'clearBatchFlags',
    roles: ['fund-admin'],
  }),

  // payouts and settlement
  route({ method: 'GET', path: '/v1/payouts', fn: 'payouts', operationId: 'listPayouts', roles: PAYOUT_READERS }),
  route({ method: 'GET', path: '/v1/payouts/{payoutId}', fn: 'payouts', operationId: 'getPayout', roles: PAYOUT_READERS }),
  // 1.2: the failed payouts not yet corrected (a finance system: of a fund it pays)
  route({ method: 'GET', path: '/v1/payouts/failures', fn: 'payouts', operationId: 'getPayoutFailures', roles: PAYOUT_READERS }),
  route({
    method: 'POST',
    path: '/v1/payouts/{payoutId}/settlement',
    fn: 'payouts',
    operationId: 'settlePayout',
    roles: ['finance-system'],
  }),
  route({ method: 'POST', path: '/v1/payouts/{payoutId}/redeliver', fn: 'payouts', operationId: 'redeliverPayout', roles: ['fund-admin'] }),

  // account verification (1.2): served by the payouts function, the paying finance system's other routes
  route({
    method: 'GET',
    path: '/v1/account-verifications',
    fn: 'payouts',
    operationId: 'listAccountVerifications',
    roles: RECONCILIATION_READERS,
  }),
  route({
    method: 'POST',
    path: '/v1/account-verifications/{verificationId}',
    fn: 'payouts',
    operationId: 'answerAccountVerification',
    roles: ['finance-system'],
  }),

  // bank-statement reconciliation (no money moves: its own function, reading payouts, writing only its result)
  route({
    method: 'POST',
    path: '/v1/reconciliations',
    fn: 'reconciliations',
    operationId: 'createReconciliation',
    roles: ['finance-system'],
    // API.md requires the key on its five listed creates only; here it is honoured, as on every other POST.
    maxBodyBytes: STATEMENT,
  }),
  route({
    method: 'GET',
    path: '/v1/reconciliations/{reconciliationId}',
    fn: 'reconciliations',
    operationId: 'getReconciliation',
    roles: RECONCILIATION_READERS,
  }),

  // webhook endpoints
  route({
    method: 'POST',
    path: '/v1/webhook-endpoints',
    fn: 'webhook-endpoints',
    operationId: 'createWebhookEndpoint',
    roles: ENDPOINT_OWNERS,
  }),
  route({
    method: 'GET',
    path: '/v1/webhook-endpoints',
    fn: 'webhook-endpoints',
    operationId: 'listWebhookEndpoints',
    roles: ENDPOINT_OWNER_READERS,
  }),
  route({
    method: 'GET',
    path: '/v1/webhook-endpoints/{endpointId}',
    fn: 'webhook-endpoints',
    operationId: 'getWebhookEndpoint',
    roles: ENDPOINT_OWNER_READERS,
  }),
  route({
    method: 'DELETE',
    path: '/v1/webhook-endpoints/{endpointId}',
    fn: 'webhook-endpoints',
    operationId: 'deleteWebhookEndpoint',
    roles: ENDPOINT_OWNERS,
  }),
  route({
    method: 'POST',
    path: '/v1/webhook-endpoints/{endpointId}/rotate-secret',
    fn: 'webhook-endpoints',
    operationId: 'rotateWebhookSecret',
    roles: ENDPOINT_OWNERS,
  }),
  route({
    method: 'GET',
    path: '/v1/webhook-endpoints/{endpointId}/deliveries',
    fn: 'webhook-endpoints',
    operationId: 'listWebhookDeliveries',
    roles: ENDPOINT_OWNER_READERS,
  }),
  route({
    method: 'PATCH',
    path: '/v1/webhook-endpoints/{endpointId}',
    fn: 'webhook-endpoints',
    operationId: 'updateWebhookEndpoint',
    roles: ENDPOINT_OWNERS,
  }),
  route({
    method: 'POST',
    path: '/v1/webhook-endpoints/{endpointId}/test',
    fn: 'webhook-endpoints',
    operationId: 'testWebhookEndpoint',
    roles: ['fund-admin'],
  }),
  route({
    method: 'POST',
    path: '/v1/webhook-endpoints/{endpointId}/messages/{messageId}/resend',
    fn: 'webhook-endpoints',
    operationId: 'resendWebhookMessage',
    roles: ['fund-admin'],
  }),

  // the event log (the outbox's event items)
  route({ method: 'GET', path: '/v1/events', fn: 'webhook-endpoints', operationId: 'listEvents', roles: EVENT_READERS }),
  route({ method: 'GET', path: '/v1/events/{messageId}', fn: 'webhook-endpoints', operationId: 'getEvent', roles: EVENT_READERS }),

  // campaigns
  route({
    method: 'POST',
    path: '/v1/campaigns',
    fn: 'campaigns',
    operationId: 'launchCampaign',
    roles: ['campaign-operator'],
    idempotency: 'required',
  }),
  route({ method: 'GET', path: '/v1/campaigns', fn: 'campaigns', operationId: 'listCampaigns', roles: ALL }),
  route({ method: 'GET', path: '/v1/campaigns/{campaignId}', fn: 'campaigns', operationId: 'getCampaign', roles: ALL }),
  route({
    method: 'POST',
    path: '/v1/campaigns/{campaignId}/cancel',
    fn: 'campaigns',
    operationId: 'cancelCampaign',
    roles: ['campaign-operator', 'fund-admin'],
  }),
  route({
    method: 'POST',
    path: '/v1/campaigns/{campaignId}/results',
    fn: 'campaigns',
    operationId: 'reportCampaignResults',
    roles: ['campaign-operator'],
  }),

  // public notice (公示) and objections: the public side takes no token (throttled in API Gateway)
  route({
    method: 'GET',
    path: '/public/notices',
    fn: 'notices',
    operationId: 'listPublicNotices',
    roles: 'public',
    throttle: PUBLIC_READ_THROTTLE,
  }),
  route({
    method: 'GET',
    path: '/public/notices/{noticeId}',
    fn: 'notices',
    operationId: 'getPublicNotice',
    roles: 'public',
    throttle: PUBLIC_READ_THROTTLE,
  }),
  route({
    method: 'POST',
    path: '/public/notices/{noticeId}/objections',
    fn: 'notices',
    operationId: 'fileObjection',
    roles: 'public',
    idempotency: 'none',
    maxBodyBytes: OBJECTION,
    throttle: PUBLIC_WRITE_THROTTLE,
  }),
  route({
    method: 'GET',
    path: '/notices',
    fn: 'notices',
    operationId: 'listNoticePages',
    roles: 'public',
    throttle: PUBLIC_READ_THROTTLE,
  }),
  route({
    method: 'GET',
    path: '/notices/{noticeId}',
    fn: 'notices',
    operationId: 'getNoticePage',
    roles: 'public',
    throttle: PUBLIC_READ_THROTTLE,
  }),
  route({
    method: 'POST',
    path: '/notices/{noticeId}/objections',
    fn: 'notices',
    operationId: 'postNoticeObjectionForm',
    roles: 'public',
    idempotency: 'none',
    maxBodyBytes: OBJECTION,
    throttle: PUBLIC_WRITE_THROTTLE,
  }),
  route({ method: 'GET', path: '/v1/objections', fn: 'notices', operationId: 'listObjections', roles: ENDPOINT_READERS }),
  route({
    method: 'POST',
    path: '/v1/objections/{objectionId}/resolve',
    fn: 'notices',
    operationId: 'resolveObjection',
    roles: ['fund-admin'],
  }),
  route({ method: 'POST', path: '/v1/objections/resolve', fn: 'notices', operationId: 'resolveObjections', roles: ['fund-admin'] }),

  // the access log of observers' requests
  route({ method: 'GET', path: '/v1/access-log', fn: 'access-log', operationId: 'listAccessLog', roles: ACCESS_LOG_READERS }),

  // service stations
  route({
    method: 'POST',
    path: '/v1/stations',
    fn: 'stations',
    operationId: 'applyStation',
    roles: ['station-officer'],
    idempotency: 'required',
  }),
  route({ method: 'GET', path: '/v1/stations', fn: 'stations', operationId: 'listStations', roles: ALL }),
  route({ method: 'GET', path: '/v1/stations/{stationId}', fn: 'stations', operationId: 'getStation', roles: ALL }),
  route({
    method: 'POST',
    path: '/v1/stations/{stationId}/training',
    fn: 'stations',
    operationId: 'recordStationTraining',
    roles: ['station-officer'],
  }),
  route({
    method: 'POST',
    path: '/v1/stations/{stationId}/approve',
    fn: 'stations',
    operationId: 'approveStation',
    roles: ['station-officer'],
  }),
  route({
    method: 'POST',
    path: '/v1/stations/{stationId}/reject',
    fn: 'stations',
    operationId: 'rejectStation',
    roles: ['station-officer'],
  }),
  route({
    method: 'POST',
    path: '/v1/stations/{stationId}/suspend',
    fn: 'stations',
    operationId: 'suspendStation',
    roles: ['station-officer'],
  }),
  route({
    method: 'POST',
    path: '/v1/stations/{stationId}/reinstate',
    fn: 'stations',
    operationId: 'reinstateStation',
    roles: ['station-officer'],
  }),
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
