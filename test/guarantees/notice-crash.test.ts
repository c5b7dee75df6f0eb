/**
 * The whole local runtime killed with SIGKILL (node, pollers and the DynamoDB Local JVM at once)
 * while a batch's public notice ends: the sweeper closes the notice and the expansion of its many
 * rows into payouts is under way. Restarted on the same DATA_DIR, every row that was not objected to
 * gets exactly one payout, the held row none, and the allocation reserves exactly the rows' money.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { killableRuntime, type KillableRuntime } from '#test/support/killable-runtime';

/** The finance system that pays the crash test's fund and owns its endpoint. */
const FINANCE_SYSTEM = 'ledger-bot';

let runtime: KillableRuntime | undefined;

afterAll(async () => {
  await runtime?.dispose();
});

const ROWS = 80;

async function allPayouts(rt: KillableRuntime, token: string, batchId: string) {
  const items: { payoutId: string; amount: number }[] = [];
  let cursor: string | undefined;
  do {
    const page = await rt.api(
      token,
      'GET',
      `/v1/disbursement-batches/${batchId}/payouts?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

describe('SIGKILL of the whole runtime while a notice ends', () => {
  it('every clean row of the batch gets exactly one payout after the restart', async () => {
    const rt = (runtime = await killableRuntime('notice-crash'));
    const port = rt.port;
    await rt.start();
    const admin = await rt.token('fund-admin', 'admin');
    const requester = await rt.token('requester', 'maker');
    const approver = await rt.token('approver', 'checker');

    expect((await rt.api(admin, 'PUT', '/v1/counties/522701', { name: 'Duyun', province: 'Guizhou' })).status).toBe(201);
    const fund = await rt.api(
      admin,
      'POST',
      '/v1/funds',
      {
        name: 'Notice crash fund',
        currency: 'CNY',
        totalBudget: 10_000_000,
        financeSystem: FINANCE_SYSTEM,
        noticePeriod: 'PT3S',
        dualApprovalThreshold: 9_000_000,
      },
      'notice-crash-fund',
    );
    expect(fund.status).toBe(201);
    await rt.api(admin, 'PUT', `/v1/funds/${fund.body.fundId}/allocations/522701`, { amount: 5_000_000 });

    const amountOf = (n: number) => 1_000 + n;
    const items = Array.from({ length: ROWS }, (_, n) => ({
      amount: amountOf(n),
      beneficiary: {
        kind: 'farmer',
        name: `农户${n}`,
        account: { bankName: 'ABC', accountName: `农户${n}`, accountNumber: `622848${String(n).padStart(10, '0')}` },
      },
    }));
    const created = await rt.api(
      requester,
      'POST',
      '/v1/disbursement-batches',
      { fundId: fund.body.fundId, countyCode: '522701', purpose: 'produce-subsidy', items },
      'notice-crash-batch',
    );
    expect(created.status).toBe(201);
    const batchId = created.body.batchId as string;
    const approved = await rt.api(approver, 'POST', `/v1/disbursement-batches/${batchId}/approve`, {});
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('in_notice');
    const noticeId = approved.body.notice.noticeId as string;
    // One row held by an objection: it must not proceed at the end.
    const objected = await fetch(`http://127.0.0.1:${port}/public/notices/${noticeId}/objections`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ itemRef: `${batchId}-0`, reason: '此户已迁出本村，请核实。' }),
    });
    expect(objected.status).toBe(202);
    await sleep(500); // the objection reaches DynamoDB Local's file (see the other crash test)

    // The sweeper (every 2 s) ends the notice after 3 s; pull the plug as soon as it is closed, while
    // the expansion of the rows runs (or has just been queued, and is lost with the queue).
    const deadline = Date.now() + 30_000;
    let status = 'open';
    while (status === 'open' && Date.now() < deadline) {
      await sleep(100);
      status = ((await (await fetch(`http://127.0.0.1:${port}/public/notices/${noticeId}`)).json()) as any).status;
    }
    expect(status).toBe('closed');
    await rt.crash();

    await rt.start();
    const until = Date.now() + 150_000;
    let payouts: { payoutId: string; amount: number }[] = [];
    do {
      await sleep(1_000);
      payouts = await allPayouts(rt, admin, batchId);
    } while (payouts.length < ROWS - 1 && Date.now() < until);
    await sleep(2_500); // one more sweep: nothing is created twice
    payouts = await allPayouts(rt, admin, batchId);
    const amounts = payouts.map((p) => p.amount).sort((a, b) => a - b);
    expect(amounts).toEqual(Array.from({ length: ROWS - 1 }, (_, n) => amountOf(n + 1)));
    expect(new Set(payouts.map((p) => p.payoutId)).size).toBe(ROWS - 1);
    const total = items.reduce((s, i) => s + i.amount, 0);
    const allocations = await rt.api(admin, 'GET', `/v1/funds/${fund.body.fundId}/allocations`);
    const line = allocations.body.items.find((a: { countyCode: string }) => a.countyCode === '522701');
    expect(line).toMatchObject({ reserved: total, paid: 0, available: 5_000_000 - total });
    const notice = (await (await fetch(`http://127.0.0.1:${port}/public/notices/${noticeId}`)).json()) as any;
    expect(notice.items.map((i: { status: string }) => i.status)).toEqual([
      'objected',
      ...Array.from({ length: ROWS - 1 }, () => 'proceeding'),
    ]);
  }, 300_000);
});
