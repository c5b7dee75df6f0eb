/**
 * Issue 21: the races of the money path with the handlers in 4 processes per function, one request at a
 * time in each, as Lambda runs them. Nothing in one process can make these requests take turns: they wait
 * for an allocation's turn in DynamoDB (a lease item), and only DynamoDB's conditions keep the books right. Every run asserts that
 * the requests really were served by several processes, none of them this one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { handlersServedBy, runHandlersInProcesses } from '#test/support/lambda-processes';
import {
  asApprover,
  asFinance,
  asRequester,
  beneficiaryNo,
  COUNTY,
  disbursementBody,
  moneyHarness,
  type MoneyHarness,
} from '../integration/disbursement-harness.ts';

const PROCESSES = 4;
runHandlersInProcesses(PROCESSES);

let h: MoneyHarness;
let checkLedger: typeof import('#shared/data/ledger/check').checkLedger;

beforeAll(async () => {
  h = await moneyHarness();
  ({ checkLedger } = await import('#shared/data/ledger/check'));
}, 120_000);

const create = (fundId: string, amount: number, n: number) =>
  h.call('POST', '/v1/disbursements', { ...asRequester(), body: disbursementBody(fundId, amount, { beneficiary: beneficiaryNo(n) }) });
const approve = (id: string, approver: string) => h.call('POST', `/v1/disbursements/${id}/approve`, { ...asApprover(approver), body: {} });
const settle = (payoutId: string, body: unknown) => h.call('POST', `/v1/payouts/${payoutId}/settlement`, { ...asFinance, body });

/** The processes that served `fn` since `before`: several, and never the test's own. */
function expectSeveralProcesses(fn: string, atLeast = 2): void {
  const pids = handlersServedBy()[`http/${fn}`] ?? [];
  expect(new Set(pids).size, `processes that served ${fn}`).toBeGreaterThanOrEqual(atLeast);
  expect(pids.length).toBeLessThanOrEqual(PROCESSES);
  expect(pids).not.toContain(process.pid);
}

async function approvedPayouts(count: number, amount: number): Promise<{ fundId: string; payoutIds: string[] }> {
  const fundId = await h.fund({ allocations: { [COUNTY]: count * amount } });
  const created = await Promise.all(Array.from({ length: count }, (_, n) => create(fundId, amount, n)));
  expect(created.map((r) => r.status)).toEqual(created.map(() => 201));
  const approved = await Promise.all(created.map((d, n) => approve(d.body.disbursementId, `approver-${n % 3}`)));
  expect(approved.map((r) => r.status)).toEqual(approved.map(() => 200));
  return { fundId, payoutIds: approved.map((r) => r.body.payoutId as string) };
}

describe(`the money path with handlers in ${PROCESSES} processes per function`, () => {
  it('16 settlements of one county at once all land, and the ledger replays', async () => {
    const amount = 10_000;
    const { fundId, payoutIds } = await approvedPayouts(16, amount);
    const replies = await Promise.all(payoutIds.map((id, n) => settle(id, { outcome: 'succeeded', bankReference: `R-${n}` })));
    expect(replies.map((r) => [r.status, r.body.status])).toEqual(replies.map(() => [200, 'settled']));
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: 0, paid: 16 * amount, available: 0 });
    expect((await checkLedger()).differences).toEqual([]);
    expectSeveralProcesses('payouts');
    expectSeveralProcesses('disbursements');
  }, 90_000);

  it('n + 6 approvals at once against an allocation covering n: exactly n approved, nothing overspent', async () => {
    const n = 6;
    const amount = 10_000;
    const fundId = await h.fund({ allocations: { [COUNTY]: n * amount + amount - 1 } });
    const ds = [];
    for (let i = 0; i < n + 6; i++) ds.push((await create(fundId, amount, 100 + i)).body);
    const replies = await Promise.all(ds.map((d, i) => approve(d.disbursementId, `approver-${i}`)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(n);
    const refused = replies.filter((r) => r.status !== 200);
    expect(refused.map((r) => [r.status, r.body.code])).toEqual(refused.map(() => [409, 'insufficient_allocation']));
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: n * amount, paid: 0, available: amount - 1 });
    expect((await checkLedger()).differences).toEqual([]);
    expectSeveralProcesses('disbursements');
  }, 90_000);

  it('12 approvals of one dual-approval disbursement at once: two approvals, one payout', async () => {
    const fundId = await h.fund({ dualApprovalThreshold: 1_000, allocations: { [COUNTY]: 10_000_000 } });
    const d = (await create(fundId, 50_000, 200)).body;
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => approve(d.disbursementId, `approver-${i}`)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(2);
    const refused = replies.filter((r) => r.status !== 200);
    expect(refused.map((r) => [r.status, r.body.code])).toEqual(refused.map(() => [409, 'invalid_state']));
    const payouts = (await h.services.scanTable()).filter((i) => i.type === 'payout' && i.disbursementId === d.disbursementId);
    expect(payouts).toHaveLength(1);
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ reserved: 50_000, available: 9_950_000 });
    expect((await checkLedger()).differences).toEqual([]);
  }, 90_000);

  it('contradicting settlements of one payout at once: one outcome wins, the ledger moves once', async () => {
    const { fundId, payoutIds } = await approvedPayouts(1, 300_000);
    const payoutId = payoutIds[0]!;
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        settle(payoutId, n % 2 ? { outcome: 'failed', failureReason: 'bounced' } : { outcome: 'succeeded', bankReference: 'R1' }),
      ),
    );
    const final = await h.data.payouts.getPayout(payoutId);
    for (const r of replies) {
      if (r.status === 200) expect(r.body.status).toBe(final.status);
      else expect([r.status, r.body.code]).toEqual([409, 'invalid_state']);
    }
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({
      reserved: 0,
      paid: final.status === 'settled' ? 300_000 : 0,
    });
    expect((await checkLedger()).differences).toEqual([]);
  }, 90_000);
});
