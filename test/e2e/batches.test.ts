/**
 * A disbursement batch end to end over HTTP on the local runtime: fund → allocation → finance
 * endpoint → batch of 500 rows → two approvals → the expander (polling the expansion queue) creates
 * the payouts → the delivery worker sends each `payout.requested` once → the reference finance
 * receiver pays (some rows fail) and reports every settlement → counts exact, batch completed, ledger exact.
 * (5,000 rows through the whole path take minutes on DynamoDB Local; 5,000-row expansion is in
 * batch-expansion.test.ts and the benchmark.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';
import { startFinanceReceiver } from '../../scripts/finance-receiver.ts';
import { eventually } from '#test/support/eventually';

const COUNTY = '530102';
const ROWS = 500;
const ALLOCATION = 1_000_000_000;

let rt: TestRuntime;
let finance: Awaited<ReturnType<typeof startFinanceReceiver>>;
const financeLog: string[] = [];
const financeSecrets: string[] = [];

const admin = { roles: 'fund-admin', sub: 'admin-wang' };
const requester = { roles: 'requester', sub: 'requester-li' };

/** Rows whose amount is a multiple of 7 bounce at the bank. */
const bounces = (amount: number) => amount % 7 === 0;
const amountOf = (n: number) => 10_000 + n * 3;
const accountOf = (n: number) => `62284800${String(n).padStart(8, '0')}`;

beforeAll(async () => {
  rt = await startTestRuntime({ env: { WEBHOOK_RETRY_SCHEDULE: '1,1,1' } });
  const financeToken = await rt.token('finance-system', 'ledger-bot');
  finance = await startFinanceReceiver({
    secrets: financeSecrets,
    apiUrl: rt.url,
    token: financeToken,
    log: (line) => financeLog.push(line),
    pay: async (p) =>
      bounces(p.amount)
        ? { outcome: 'failed', failureReason: 'account frozen' }
        : { outcome: 'succeeded', bankReference: `BR-${p.payoutId.slice(-8)}` },
  });
});

afterAll(async () => {
  await finance?.stop();
  await rt?.stop();
});

describe('disbursement batch', () => {
  it(`pays ${ROWS} rows under one approval, each exactly once, and completes`, async () => {
    expect((await rt.api('PUT', `/v1/counties/${COUNTY}`, { ...admin, body: { name: 'Wuhua', province: 'Yunnan' } })).status).toBe(201);
    const fund = await rt.api('POST', '/v1/funds', {
      ...admin,
      idempotencyKey: randomUUID(),
      body: {
        name: 'Spring seedlings 2026',
        currency: 'CNY',
        totalBudget: 5_000_000_000,
        dualApprovalThreshold: 1_000_000,
        financeSystem: 'ledger-bot',
      },
    });
    const fundId = fund.body.fundId as string;
    expect((await rt.api('PUT', `/v1/funds/${fundId}/allocations/${COUNTY}`, { ...admin, body: { amount: ALLOCATION } })).status).toBe(200);
    const endpoint = await rt.api('POST', '/v1/webhook-endpoints', {
      roles: 'finance-system',
      sub: 'ledger-bot',
      body: { url: `${finance.url}/webhooks`, events: ['payout.requested'], description: 'finance' },
    });
    financeSecrets.push(endpoint.body.secret as string);

    const items = Array.from({ length: ROWS }, (_, n) => ({
      beneficiary: {
        kind: 'farmer',
        name: `Farmer ${n}`,
        account: { bankName: 'ABC Kunming', accountName: `Farmer ${n}`, accountNumber: accountOf(n) },
      },
      amount: amountOf(n),
    }));
    const total = items.reduce((s, i) => s + i.amount, 0);
    const created = await rt.api('POST', '/v1/disbursement-batches', {
      ...requester,
      idempotencyKey: randomUUID(),
      body: { fundId, countyCode: COUNTY, purpose: 'produce-subsidy', items },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ itemCount: ROWS, totalAmount: total, requiredApprovals: 2, status: 'pending_approval' });
    const batchId = created.body.batchId as string;

    const first = await rt.api('POST', `/v1/disbursement-batches/${batchId}/approve`, {
      roles: 'approver',
      sub: 'approver-zhao',
      body: {},
    });
    expect(first.body.status).toBe('pending_approval');
    const second = await rt.api('POST', `/v1/disbursement-batches/${batchId}/approve`, {
      roles: 'approver',
      sub: 'approver-qian',
      body: {},
    });
    expect(second.body.status).toBe('approved');

    const done = await eventually(
      async () => (await rt.api('GET', `/v1/disbursement-batches/${batchId}`, admin)).body,
      (b) => b.status === 'completed',
      90_000,
    );
    await finance.idle();
    const failed = items.filter((i) => bounces(i.amount));
    const paid = total - failed.reduce((s, i) => s + i.amount, 0);
    expect(done.counts).toEqual({ queued: 0, sent: 0, settled: ROWS - failed.length, failed: failed.length, deliveryFailed: 0 });
    expect(finance.seen.size).toBe(ROWS);
    expect(finance.settled.size).toBe(ROWS);

    // `available` is exact at once; reserved → paid of the settled rows may wait for the roll-up, at most one
    // sweep (API 1.2, "Funds and allocations"): the settlers roll up what they can, the outbox sweep the rest.
    const readAllocations = async () => (await rt.api('GET', `/v1/funds/${fundId}/allocations`, admin)).body.items;
    expect(await readAllocations()).toEqual([expect.objectContaining({ countyCode: COUNTY, available: ALLOCATION - paid })]);
    const { sweepRollUps } = await import('#shared/data/ledger/roll-up');
    await sweepRollUps(new Date());
    expect(await readAllocations()).toEqual([
      expect.objectContaining({ countyCode: COUNTY, allocated: ALLOCATION, reserved: 0, paid, available: ALLOCATION - paid }),
    ]);

    // A filtered list reads a bounded amount per request: its pages may be short, so follow the cursor.
    const failedPayouts: { amount: number; beneficiary: { account: { accountNumber: string } }; failureReason: string }[] = [];
    let cursor: string | null = null;
    do {
      const page = await rt.api(
        'GET',
        `/v1/disbursement-batches/${batchId}/payouts?status=failed&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        admin,
      );
      expect(page.status).toBe(200);
      failedPayouts.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(failedPayouts.map((p) => p.amount).sort((a, b) => a - b)).toEqual(failed.map((i) => i.amount).sort((a, b) => a - b));
    expect(
      failedPayouts.every((p) => /^\*{4}\d{4}$/.test(p.beneficiary.account.accountNumber) && p.failureReason === 'account frozen'),
    ).toBe(true);
    expect(financeLog.join('\n')).not.toContain(accountOf(1));
  }, 120_000);
});
