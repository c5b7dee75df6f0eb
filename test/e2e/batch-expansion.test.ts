/**
 * A 5,000-row batch over HTTP on the local runtime: the 6 MiB body is accepted and validated, two
 * approvals reserve the total at once, and the expander (polling the expansion queue, as the event
 * source mapping does) creates 5,000 queued payouts with their `payout.requested` events. Nobody is
 * subscribed here, so the payouts stay queued (the full path is in batches.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';

const COUNTY = '530102';
const ROWS = 5000;

let rt: TestRuntime;
const admin = { roles: 'fund-admin', sub: 'admin-wang' };

beforeAll(async () => {
  rt = await startTestRuntime();
});

afterAll(async () => {
  await rt?.stop();
});

describe('5,000-row batch', () => {
  it('is expanded into 5,000 queued payouts after the final approval', async () => {
    await rt.api('PUT', `/v1/counties/${COUNTY}`, { ...admin, body: { name: 'Wuhua', province: 'Yunnan' } });
    const fund = await rt.api('POST', '/v1/funds', {
      ...admin,
      idempotencyKey: randomUUID(),
      body: { name: 'Spring seedlings 2026', currency: 'CNY', totalBudget: 5_000_000_000, financeSystem: 'ledger-bot' },
    });
    const fundId = fund.body.fundId as string;
    await rt.api('PUT', `/v1/funds/${fundId}/allocations/${COUNTY}`, { ...admin, body: { amount: 1_000_000_000 } });
    const items = Array.from({ length: ROWS }, (_, n) => ({
      beneficiary: {
        kind: 'farmer',
        name: `农户 ${n}`,
        account: { bankName: '中国农业银行 昆明分行', accountName: `农户 ${n}`, accountNumber: `62284800${String(n).padStart(8, '0')}` },
      },
      amount: 10_000 + n,
      memo: `春季种苗补贴 第 ${n} 行`,
    }));
    const total = items.reduce((s, i) => s + i.amount, 0);

    const t0 = Date.now();
    const created = await rt.api('POST', '/v1/disbursement-batches', {
      roles: 'requester',
      sub: 'requester-li',
      idempotencyKey: randomUUID(),
      body: { fundId, countyCode: COUNTY, purpose: 'produce-subsidy', items },
    });
    const createMs = Date.now() - t0;
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ itemCount: ROWS, totalAmount: total, requiredApprovals: 1 });
    const batchId = created.body.batchId as string;

    const t1 = Date.now();
    const approved = await rt.api('POST', `/v1/disbursement-batches/${batchId}/approve`, {
      roles: 'approver',
      sub: 'approver-zhao',
      body: {},
    });
    const approveMs = Date.now() - t1;
    expect(approved.body.status).toBe('approved');
    const allocation = (await rt.api('GET', `/v1/funds/${fundId}/allocations`, admin)).body.items[0];
    expect(allocation).toMatchObject({ reserved: total, available: 1_000_000_000 - total });

    let batch;
    for (const deadline = Date.now() + 55_000; ;) {
      batch = (await rt.api('GET', `/v1/disbursement-batches/${batchId}`, admin)).body;
      if (batch.counts.queued === ROWS || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const expandMs = Date.now() - t1;
    expect(batch).toMatchObject({ status: 'processing', counts: { queued: ROWS, sent: 0, settled: 0, failed: 0, deliveryFailed: 0 } });
    const page = await rt.api('GET', `/v1/disbursement-batches/${batchId}/payouts?limit=100`, admin);
    expect(page.body.items).toHaveLength(100);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    // Timings for the report (visible with --silent=false).
    console.log(JSON.stringify({ rows: ROWS, createMs, approveMs, approveToExpandedMs: expandMs }));
  }, 90_000);
});
