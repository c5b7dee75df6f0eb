/**
 * Examples for the OpenAPI document (request bodies, responses, webhook payloads) of the main routes:
 * one story, a county's infrastructure money from the fund to the bank. Plain data, no schemas here, so
 * the contract modules can import it; test/unit/openapi-examples.test.ts parses every example with the
 * schema it illustrates, so an example that drifts from its contract fails there. Amounts in fen; the
 * account number is masked in every response, as the API masks it.
 */
const FUND_ID = 'fund_01JDXK4V2E8Q6TQ4M3S9W7B5NA';
const DISBURSEMENT_ID = 'dsb_01JDXM2H7R4F0C8Y1K6P3V9QZT';
const BATCH_ID = 'bat_01JDXN8A3W5G2J7M4Q0R6T1YVB';
const PAYOUT_ID = 'pay_01JDXP5C9D2E7H4K1N8S3W6ZXA';
const ENDPOINT_ID = 'whe_01JDXQ1F6G3J8M5P2R9T4V7YBC';
const NOTICE_ID = 'ntc_01JDXR7K2M9P4S1V6X3Z8B5DEF';
const COUNTY = '522727';

const account = { bankName: 'Guizhou Rural Credit Cooperative', accountName: '丹寨县财政局', accountNumber: '6230520012345678' };
const maskedAccount = { ...account, accountNumber: '****5678' };
const countyBeneficiary = { kind: 'county', name: '丹寨县财政局', account };

export const createFundExamples = {
  body: {
    name: '2026 最低生活保障金',
    currency: 'CNY',
    totalBudget: 500_000_000,
    financeSystem: 'ledger-bot',
    dualApprovalThreshold: 10_000_000,
    noticePeriod: 'P7D',
  },
  response: {
    fundId: FUND_ID,
    name: '2026 最低生活保障金',
    currency: 'CNY',
    totalBudget: 500_000_000,
    allocated: 0,
    reserved: 0,
    paid: 0,
    unallocated: 500_000_000,
    financeSystem: 'ledger-bot',
    dualApprovalThreshold: 10_000_000,
    noticePeriod: 'P7D',
    period: { startsOn: '2026-01-01', endsOn: '2026-12-31' },
    accountVerification: 'off',
    createdAt: '2026-11-29T08:00:00Z',
  },
};

const disbursement = {
  disbursementId: DISBURSEMENT_ID,
  fundId: FUND_ID,
  countyCode: COUNTY,
  amount: 1_500_000,
  currency: 'CNY',
  purpose: 'infrastructure',
  beneficiary: { kind: 'county', name: '丹寨县财政局', account: maskedAccount },
  memo: '排调镇村道硬化 (road surfacing, Paidiao)',
  campaignId: null,
  status: 'pending_approval',
  requiredApprovals: 1,
  approvals: [],
  requestedBy: 'maker-01',
  payoutId: null,
  notice: null,
  flags: [],
  verification: null,
  correctionOf: null,
  correctedBy: null,
  createdAt: '2026-11-29T08:05:00Z',
  updatedAt: '2026-11-29T08:05:00Z',
  history: [{ at: '2026-11-29T08:05:00Z', actor: 'maker-01', action: 'requested', fromStatus: null, toStatus: 'pending_approval' }],
};

export const createDisbursementExamples = {
  body: {
    fundId: FUND_ID,
    countyCode: COUNTY,
    amount: 1_500_000,
    currency: 'CNY',
    purpose: 'infrastructure',
    beneficiary: countyBeneficiary,
    memo: '排调镇村道硬化 (road surfacing, Paidiao)',
  },
  response: disbursement,
};

/**
 * An approval's example: `comment` as the body, and the request as checker-01's approval at `at` left it. The
 * changed fields keep their places in the request (a spread), so the example reads as the stored request does.
 */
function approvalExamples<T extends object>(request: T, comment: string, at: string, changes: { [K in keyof T]?: unknown }) {
  return { body: { comment }, response: { ...request, approvals: [{ approver: 'checker-01', at, comment }], updatedAt: at, ...changes } };
}

export const approveDisbursementExamples = approvalExamples(
  disbursement,
  '预算与合同一致 (matches the budget and the contract)',
  '2026-11-29T09:00:00Z',
  {
    status: 'approved',
    payoutId: PAYOUT_ID,
    history: [
      ...disbursement.history,
      { at: '2026-11-29T09:00:00Z', actor: 'checker-01', action: 'approved', fromStatus: 'pending_approval', toStatus: 'approved' },
    ],
  },
);

const batch = {
  batchId: BATCH_ID,
  fundId: FUND_ID,
  countyCode: COUNTY,
  purpose: 'produce-subsidy',
  itemCount: 2,
  totalAmount: 240_000,
  status: 'pending_approval',
  requiredApprovals: 1,
  approvals: [],
  requestedBy: 'maker-01',
  counts: { queued: 0, sent: 0, settled: 0, failed: 0, deliveryFailed: 0 },
  flags: { count: 0, cleared: false },
  notice: null,
  verifications: null,
  correctionOf: null,
  createdAt: '2026-11-29T08:10:00Z',
  updatedAt: '2026-11-29T08:10:00Z',
};

export const createBatchExamples = {
  body: {
    fundId: FUND_ID,
    countyCode: COUNTY,
    purpose: 'produce-subsidy',
    items: [
      {
        beneficiary: {
          kind: 'farmer',
          name: '王小明',
          account: { bankName: 'Guizhou Rural Credit Cooperative', accountName: '王小明', accountNumber: '6230520011112222' },
        },
        amount: 120_000,
        memo: '茶叶收购补贴 (tea purchase subsidy)',
      },
      {
        beneficiary: {
          kind: 'cooperative',
          name: '丹寨县龙泉茶叶专业合作社',
          account: { bankName: 'Agricultural Bank of China', accountName: '丹寨县龙泉茶叶专业合作社', accountNumber: '6228480033334444' },
        },
        amount: 120_000,
      },
    ],
  },
  response: batch,
};

export const approveBatchExamples = approvalExamples(batch, '名单已核对 (list checked)', '2026-11-29T09:10:00Z', {
  status: 'in_notice',
  notice: { noticeId: NOTICE_ID, startsAt: '2026-11-29T09:10:00Z', endsAt: '2026-12-06T09:10:00Z' },
});

/** A payout as the paying finance system sees it in payout.requested: the account in full, to pay it. */
const payout = {
  payoutId: PAYOUT_ID,
  disbursementId: DISBURSEMENT_ID,
  batchId: null,
  fundId: FUND_ID,
  countyCode: COUNTY,
  amount: 1_500_000,
  currency: 'CNY',
  beneficiary: countyBeneficiary,
  status: 'sent',
  attempts: 1,
  createdAt: '2026-11-29T09:00:00Z',
  sentAt: '2026-11-29T09:00:02Z',
  settledAt: null,
  bankReference: null,
  failureCode: null,
  failureReason: null,
  correctedBy: null,
};

export const settlePayoutExamples = {
  body: { outcome: 'succeeded', bankReference: 'RCC20261129000123' },
  response: {
    ...payout,
    beneficiary: { ...countyBeneficiary, account: maskedAccount },
    status: 'settled',
    settledAt: '2026-11-29T11:30:00Z',
    bankReference: 'RCC20261129000123',
  },
};

export const createWebhookEndpointExamples = {
  body: {
    url: 'https://ledger.example.gov.cn/hooks/relief-fund',
    events: ['payout.requested', 'payout.settled', 'payout.failed'],
    description: 'County treasury ledger: pays approved payouts',
    financeSystem: 'ledger-bot',
  },
  response: {
    endpointId: ENDPOINT_ID,
    url: 'https://ledger.example.gov.cn/hooks/relief-fund',
    events: ['payout.requested', 'payout.settled', 'payout.failed'],
    description: 'County treasury ledger: pays approved payouts',
    financeSystem: 'ledger-bot',
    status: 'enabled',
    createdAt: '2026-11-29T07:30:00Z',
    updatedAt: '2026-11-29T07:30:00Z',
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw7s7Y3yZ8Xa4=',
  },
};

/** Webhook bodies (`{ type, timestamp, data }`) by event type. */
export const WEBHOOK_EXAMPLES: Record<string, unknown> = {
  'payout.requested': { type: 'payout.requested', timestamp: '2026-11-29T09:00:02Z', data: payout },
  'payout.settled': {
    type: 'payout.settled',
    timestamp: '2026-11-29T11:30:00Z',
    data: {
      ...payout,
      beneficiary: { ...countyBeneficiary, account: maskedAccount },
      status: 'settled',
      settledAt: '2026-11-29T11:30:00Z',
      bankReference: 'RCC20261129000123',
    },
  },
};
